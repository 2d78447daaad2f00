import { render, screen, fireEvent } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import ChatView from './ChatView.svelte';
import type { Message } from '../lib/types';

function msg(id: string, from: string, text: string, extra: Partial<Message> = {}): Message {
  return {
    ID: id, type: 'TIMTextElem', payload: { text }, conversationID: 'C2Cbob',
    from, flow: from === 'alice' ? 'out' : 'in', time: 1_700_000_000, status: 'success',
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
    expect(onSend).toHaveBeenCalledWith('line one', []);
    expect(box.value).toBe('');
  });

  it('shows text safely, own messages on the right, retry on failure, mentions and links', async () => {
    const onRetry = vi.fn();
    const onOpenLink = vi.fn();
    const { container } = render(ChatView, {
      messages: [
        msg('1', 'bob', '<script>x</script> <img src=x onerror=alert(1)>'),
        msg('2', 'alice', 'mine', { status: 'fail' }),
        msg('3', 'bob', '@alice look https://natter.chat/x', { atUserList: ['alice'] }),
      ],
      me: 'alice',
      onSend: () => {},
      onRetry,
      onOpenLink,
    });
    expect(container.querySelector('script')).toBeNull();
    expect(container.querySelector('img')).toBeNull();
    expect(screen.getByText('<script>x</script> <img src=x onerror=alert(1)>')).toBeTruthy();
    expect(container.querySelector('[data-message="2"]')?.classList.contains('out')).toBe(true);
    await fireEvent.click(container.querySelector('[data-message="2"] .status.failed')!);
    expect(onRetry).toHaveBeenCalledWith('2');
    expect(container.querySelector('[data-message="3"] .mentioned')).toBeTruthy();
    const link = screen.getByText('https://natter.chat/x');
    await fireEvent.click(link);
    expect(onOpenLink).toHaveBeenCalledWith('https://natter.chat/x');
  });

  it('shows the sender once per run, a day separator and the new-messages marker', () => {
    const { container } = render(ChatView, {
      messages: [msg('1', 'bob', 'a'), msg('2', 'bob', 'b'), msg('3', 'carol', 'c')],
      me: 'alice',
      firstUnreadId: '2',
      onSend: () => {},
    });
    expect(container.querySelectorAll('.from')).toHaveLength(2);
    expect(container.querySelectorAll('.day')).toHaveLength(1);
    const marker = screen.getByTestId('new-marker');
    const rows = Array.from(container.querySelectorAll('.row'));
    const markerRow = rows.findIndex((r) => r.contains(marker));
    expect(rows[markerRow + 1].querySelector('[data-message="2"]')).toBeTruthy();
  });

  it('renders only a window of a 10,000-message conversation', () => {
    const messages = Array.from({ length: 10_000 }, (_, i) => msg(String(i), i % 2 ? 'bob' : 'alice', `message ${i}`));
    const { container } = render(ChatView, { messages, me: 'alice', onSend: () => {} });
    const rendered = container.querySelectorAll('[data-message]').length;
    expect(rendered).toBeGreaterThan(0);
    expect(rendered).toBeLessThan(200);
  });
});
