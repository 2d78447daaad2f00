import { render, screen, fireEvent } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import ChatView from './ChatView.svelte';
import type { Message } from '../lib/types';

function msg(id: string, from: string, text: string, extra: Partial<Message> = {}): Message {
  return {
    ID: id, type: 'TIMTextElem', payload: { text }, conversationID: 'C2Cbob', conversationType: 'C2C',
    to: 'alice', from, flow: from === 'alice' ? 'out' : 'in', time: 1, status: 'success', sequence: 1,
    atUserList: [], nick: '', ...extra,
  };
}

describe('ChatView', () => {
  it('Enter sends, Shift+Enter does not', async () => {
    const onSend = vi.fn();
    render(ChatView, { messages: [], me: 'alice', onSend });
    const box = screen.getByRole('textbox') as HTMLTextAreaElement;
    await fireEvent.input(box, { target: { value: 'line one' } });
    await fireEvent.keyDown(box, { key: 'Enter', shiftKey: true });
    expect(onSend).not.toHaveBeenCalled();
    await fireEvent.keyDown(box, { key: 'Enter' });
    expect(onSend).toHaveBeenCalledWith('line one');
    expect(box.value).toBe('');
  });

  it('shows text safely, own messages on the right, status and mentions', () => {
    const { container } = render(ChatView, {
      messages: [
        msg('1', 'bob', '<script>x</script>'),
        msg('2', 'alice', 'mine', { status: 'fail' }),
        msg('3', 'bob', '@alice look', { atUserList: ['alice'] }),
      ],
      me: 'alice',
      onSend: () => {},
    });
    expect(container.querySelector('script')).toBeNull();
    expect(screen.getByText('<script>x</script>')).toBeTruthy();
    expect(container.querySelector('[data-message="2"]')?.classList.contains('out')).toBe(true);
    expect(container.querySelector('.status.failed')).toBeTruthy();
    expect(container.querySelector('[data-message="3"] .mentioned')).toBeTruthy();
  });
});
