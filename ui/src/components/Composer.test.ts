import { render, screen, fireEvent } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import Composer from './Composer.svelte';
import { AT_ALL } from '../lib/mentions';

const members = [
  { userID: 'alice', role: 'Owner' },
  { userID: 'bob', role: 'Member' },
  { userID: 'carol', role: 'Member' },
];

async function type(box: HTMLTextAreaElement, value: string) {
  box.value = value;
  box.setSelectionRange(value.length, value.length);
  await fireEvent.input(box);
}

describe('Composer', () => {
  it('picks a member with the keyboard and sends the @ list', async () => {
    const onSend = vi.fn();
    render(Composer, { me: 'alice', members, onSend });
    const box = screen.getByRole('textbox') as HTMLTextAreaElement;
    await type(box, 'hi @b');
    const options = screen.getAllByRole('option');
    expect(options.map((o) => o.textContent?.trim())).toEqual(['@bob']);
    await fireEvent.keyDown(box, { key: 'Enter' });
    expect(box.value).toBe('hi @bob ');
    expect(onSend).not.toHaveBeenCalled();
    await type(box, 'hi @bob and @');
    expect(screen.getAllByRole('option')[0].textContent?.trim()).toBe('@all');
    await fireEvent.keyDown(box, { key: 'Tab' });
    await fireEvent.keyDown(box, { key: 'Enter' });
    expect(onSend).toHaveBeenCalledWith('hi @bob and @all', ['bob', AT_ALL]);
  });

  it('has no picker in one-to-one chats, and Escape closes it', async () => {
    const { rerender } = render(Composer, { me: 'alice', members: null, onSend: () => {} });
    const box = screen.getByRole('textbox') as HTMLTextAreaElement;
    await type(box, '@b');
    expect(screen.queryByRole('listbox')).toBeNull();
    await rerender({ me: 'alice', members, onSend: () => {} });
    await type(box, '@c');
    expect(screen.getByRole('listbox')).toBeTruthy();
    await fireEvent.keyDown(box, { key: 'Escape' });
    expect(screen.queryByRole('listbox')).toBeNull();
  });

  it('sends a pasted image as an image, and leaves pasted text to the draft', async () => {
    const onPasteImage = vi.fn();
    render(Composer, { me: 'alice', members: null, onSend: () => {}, onPasteImage });
    const box = screen.getByRole('textbox');
    const image = new File([new Uint8Array([137, 80, 78, 71])], 'shot.png', { type: 'image/png' });
    const withImage = { items: [{ kind: 'file', type: 'image/png', getAsFile: () => image }] };
    await fireEvent.paste(box, { clipboardData: withImage });
    expect(onPasteImage).toHaveBeenCalledWith(image);
    const withText = { items: [{ kind: 'string', type: 'text/plain', getAsFile: () => null }] };
    await fireEvent.paste(box, { clipboardData: withText });
    expect(onPasteImage).toHaveBeenCalledTimes(1);
  });

  it('has an attach button', async () => {
    const onAttach = vi.fn();
    render(Composer, { me: 'alice', members: null, onSend: () => {}, onAttach });
    await fireEvent.click(screen.getByTestId('attach'));
    expect(onAttach).toHaveBeenCalled();
  });
});
