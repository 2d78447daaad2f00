import { render, screen, fireEvent } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import ConversationList from './ConversationList.svelte';
import type { Conversation } from '../lib/types';

function conv(id: string, preview: string, unread: number): Conversation {
  const group = id.startsWith('GROUP');
  return {
    conversationID: id,
    type: group ? 'GROUP' : 'C2C',
    unreadCount: unread,
    lastMessage: { lastTime: 1_700_000_000, fromAccount: 'bob', messageForShow: preview, type: 'TIMTextElem' },
    groupProfile: group ? { groupID: id.slice(5), name: 'Team room', type: 'Private' } : null,
    userProfile: group ? null : { userID: id.slice(3) },
  };
}

describe('ConversationList', () => {
  it('shows names, initials, previews and unread badges', () => {
    render(ConversationList, {
      conversations: [conv('C2Cbob', 'hi there', 3), conv('GROUP@TGS#1', '[Image]', 0)],
      selected: null,
      onSelect: () => {},
    });
    expect(screen.getByText('bob')).toBeTruthy();
    expect(screen.getByText('BO')).toBeTruthy();
    expect(screen.getByText('TR')).toBeTruthy();
    expect(screen.getByText('[Image]')).toBeTruthy();
    const badges = screen.getAllByTestId('unread');
    expect(badges.map((b) => b.textContent)).toEqual(['3']);
  });

  it('renders user text as text, never as HTML', () => {
    const { container } = render(ConversationList, {
      conversations: [conv('C2Cmallory', '<img src=x onerror=alert(1)><b>bold</b>', 1)],
      selected: null,
      onSelect: () => {},
    });
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('b')).toBeNull();
    expect(screen.getByText('<img src=x onerror=alert(1)><b>bold</b>')).toBeTruthy();
  });

  it('reports the chosen conversation', async () => {
    const onSelect = vi.fn();
    render(ConversationList, { conversations: [conv('C2Cbob', 'x', 0)], selected: null, onSelect });
    await fireEvent.click(screen.getByText('bob'));
    expect(onSelect).toHaveBeenCalledWith('C2Cbob');
  });

  it('moves between conversations with the arrow keys', async () => {
    render(ConversationList, {
      conversations: [conv('C2Cbob', 'x', 0), conv('C2Ccarol', 'y', 0), conv('C2Cdave', 'z', 0)],
      selected: 'C2Ccarol',
      onSelect: () => {},
    });
    const buttons = screen.getAllByRole('button');
    expect(buttons.map((b) => b.tabIndex)).toEqual([-1, 0, -1]);
    buttons[1].focus();
    await fireEvent.keyDown(buttons[1], { key: 'ArrowDown' });
    expect(document.activeElement).toBe(buttons[2]);
    await fireEvent.keyDown(buttons[2], { key: 'Home' });
    expect(document.activeElement).toBe(buttons[0]);
  });
});
