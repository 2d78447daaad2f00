import { describe, expect, it } from 'vitest';
import { ChatState } from './chat.svelte';
import type { Conversation, Message, SessionInfo } from './types';

function msg(id: string, from: string, extra: Partial<Message> = {}): Message {
  return {
    ID: id, type: 'TIMTextElem', payload: { text: id }, conversationID: 'C2Cbob',
    from, flow: from === 'me' ? 'out' : 'in', time: 1, status: 'success', atUserList: [], nick: '',
    ...extra,
  };
}

function session(conversations: Conversation[] = [], totalUnread = 0, eventSeq = 0): SessionInfo {
  return { serverUrl: 'ws://x', embedded: false, userID: 'me', conversations, totalUnread, netState: 'connected', eventSeq };
}

function conversation(id: string, unreadCount: number): Conversation {
  return { conversationID: id, type: 'C2C', unreadCount, lastMessage: null, groupProfile: null, userProfile: { userID: id.slice(3) } };
}

describe('ChatState', () => {
  it('keeps statuses moving forward whichever of reply and event comes first', () => {
    const chat = new ChatState();
    chat.signedIn(session());
    chat.opened('C2Cbob', { messageList: [], nextReqMessageID: '', isCompleted: true }, 0);
    chat.handle({ seq: 1, kind: 'messageStatus', message: msg('m1', 'me'), error: null });
    chat.upsert(msg('m1', 'me', { status: 'unSend' }));
    expect(chat.messages.map((m) => m.status)).toEqual(['success']);

    chat.upsert(msg('m2', 'me', { status: 'unSend' }));
    chat.handle({ seq: 2, kind: 'messageStatus', message: msg('m2', 'me', { status: 'fail' }), error: { code: 80002, message: 'too long' } });
    expect(chat.failures['m2']).toBe('too long (80002)');
    chat.upsert(msg('m2', 'me', { status: 'unSend' }));
    expect(chat.messages[1].status).toBe('unSend');
  });

  it('prepends older pages without duplicates and marks the first unread', () => {
    const chat = new ChatState();
    chat.signedIn(session());
    chat.opened('C2Cbob', { messageList: [msg('3', 'bob'), msg('4', 'me'), msg('5', 'bob')], nextReqMessageID: '3', isCompleted: false }, 2);
    expect(chat.firstUnreadId).toBe('3');
    chat.olderLoaded('C2Cbob', { messageList: [msg('1', 'bob'), msg('2', 'bob'), msg('3', 'bob')], nextReqMessageID: '', isCompleted: true });
    expect(chat.messages.map((m) => m.ID)).toEqual(['1', '2', '3', '4', '5']);
    expect(chat.historyComplete).toBe(true);
    chat.handle({ seq: 3, kind: 'messageReceived', messages: [msg('6', 'bob'), msg('x', 'carol', { conversationID: 'C2Ccarol' })] });
    expect(chat.messages.map((m) => m.ID)).toEqual(['1', '2', '3', '4', '5', '6']);
  });

  it('lists started conversations until the SDK knows them', () => {
    const chat = new ChatState();
    chat.signedIn(session());
    chat.start('GROUPteam', 'Team');
    expect(chat.visibleConversations.map((c) => c.conversationID)).toEqual(['GROUPteam']);
    expect(chat.visibleConversations[0].groupProfile?.name).toBe('Team');
    const known = { ...chat.visibleConversations[0], unreadCount: 2 };
    chat.handle({ seq: 4, kind: 'conversationListUpdated', conversations: [known] });
    expect(chat.visibleConversations).toHaveLength(1);
    expect(chat.visibleConversations[0].unreadCount).toBe(2);
  });
});

describe('ChatState.resynced', () => {
  it('replaces the whole values and keeps the open conversation', () => {
    const chat = new ChatState();
    chat.signedIn(session([conversation('C2Cbob', 0)], 0, 3));
    chat.opened('C2Cbob', { messageList: [msg('m1', 'bob')], nextReqMessageID: '', isCompleted: true }, 0);
    chat.resynced({ ...session([conversation('C2Cbob', 4)], 4, 90), netState: 'connecting' });
    expect(chat.conversations[0].unreadCount).toBe(4);
    expect(chat.total).toBe(4);
    expect(chat.net).toBe('connecting');
    expect(chat.selected).toBe('C2Cbob');
    expect(chat.messages.map((m) => m.ID)).toEqual(['m1']);
    // Events the new snapshot covers no longer apply.
    chat.handle({ seq: 90, kind: 'totalUnread', total: 1 });
    expect(chat.total).toBe(4);
    chat.handle({ seq: 91, kind: 'totalUnread', total: 5 });
    expect(chat.total).toBe(5);
  });

  it("ignores another user's session (signed out and in meanwhile)", () => {
    const chat = new ChatState();
    chat.signedIn(session([], 0, 3));
    chat.resynced({ ...session([conversation('C2Cbob', 4)], 4, 90), userID: 'someone-else' });
    expect(chat.total).toBe(0);
    expect(chat.conversations).toEqual([]);
  });
});

describe('ChatState.signedIn', () => {
  it('keeps the snapshot over list events it already covers, whichever arrives first', () => {
    const chat = new ChatState();
    // Event 4 arrives before the answer whose snapshot (taken after event 5) covers it.
    chat.handle({ seq: 4, kind: 'conversationListUpdated', conversations: [conversation('C2Cbob', 1)] });
    chat.handle({ seq: 4, kind: 'totalUnread', total: 1 });
    chat.signedIn(session([conversation('C2Cbob', 2)], 2, 5));
    expect(chat.total).toBe(2);
    // Event 5 was sent before the snapshot was read but arrives after the answer.
    chat.handle({ seq: 5, kind: 'conversationListUpdated', conversations: [conversation('C2Cbob', 1)] });
    chat.handle({ seq: 5, kind: 'totalUnread', total: 1 });
    chat.handle({ seq: 5, kind: 'netState', state: 'disconnected' });
    expect(chat.conversations[0].unreadCount).toBe(2);
    expect(chat.total).toBe(2);
    expect(chat.net).toBe('connected');
    // Later events are newer than the snapshot.
    chat.handle({ seq: 6, kind: 'conversationListUpdated', conversations: [conversation('C2Cbob', 3)] });
    chat.handle({ seq: 7, kind: 'totalUnread', total: 3 });
    expect(chat.conversations[0].unreadCount).toBe(3);
    expect(chat.total).toBe(3);
    // Messages are not whole values: one covered by the snapshot still shows.
    chat.opened('C2Cbob', { messageList: [], nextReqMessageID: '', isCompleted: true }, 0);
    chat.handle({ seq: 2, kind: 'messageReceived', messages: [msg('m9', 'bob')] });
    expect(chat.messages.map((m) => m.ID)).toEqual(['m9']);
  });

  it('starts from the session as the backend answered it', () => {
    const chat = new ChatState();
    chat.signedIn(session());
    chat.opened('C2Cbob', { messageList: [msg('1', 'bob')], nextReqMessageID: '', isCompleted: true }, 0);
    const bob = { conversationID: 'C2Cbob', type: 'C2C' as const, unreadCount: 3, lastMessage: null, groupProfile: null, userProfile: { userID: 'bob' } };
    chat.signedIn({ ...session([bob], 3), userID: 'me2', netState: 'connecting' });
    expect(chat.me).toBe('me2');
    expect(chat.conversations).toEqual([bob]);
    expect(chat.total).toBe(3);
    expect(chat.net).toBe('connecting');
    expect(chat.selected).toBeNull();
    expect(chat.messages).toEqual([]);
  });
});

describe('the signedOut event', () => {
  it('ends the session, unless a later sign-in already covers it', () => {
    const chat = new ChatState();
    chat.signedIn(session([], 0, 3));
    chat.opened('C2Cbob', { messageList: [msg('m1', 'bob')], nextReqMessageID: '', isCompleted: true }, 0);
    chat.handle({ seq: 4, kind: 'signedOut' });
    expect(chat.me).toBeNull();
    expect(chat.selected).toBeNull();
    expect(chat.messages).toEqual([]);

    // Signed out and in again; the old sign-out arrives after the new snapshot.
    chat.signedIn(session([], 0, 6));
    chat.handle({ seq: 5, kind: 'signedOut' });
    expect(chat.me).toBe('me');
  });
});

describe('ChatState.signInSettings', () => {
  it("offers the ended session's user and server, none for the built-in one", () => {
    const chat = new ChatState();
    chat.signedIn({ ...session(), serverUrl: 'ws://chat.example:8080' });
    expect(chat.signInSettings).toEqual({ serverUrl: 'ws://chat.example:8080', lastUser: 'me' });
    chat.signedIn({ ...session(), serverUrl: 'ws://127.0.0.1:41234', embedded: true });
    expect(chat.signInSettings).toEqual({ serverUrl: null, lastUser: 'me' });
  });

  it('keeps upload progress growing until the message is sent, and tracks drags', () => {
    const chat = new ChatState();
    chat.signedIn({ serverUrl: 'ws://x', embedded: true, userID: 'alice', conversations: [], totalUnread: 0, netState: 'connected', eventSeq: 0 });
    chat.handle({ seq: 1, kind: 'uploadProgress', messageId: 'm1', bytes: 50, total: 100 });
    chat.handle({ seq: 2, kind: 'uploadProgress', messageId: 'm1', bytes: 30, total: 100 });
    expect(chat.uploads['m1']).toBe(0.5);
    chat.handle({ seq: 3, kind: 'uploadProgress', messageId: 'm1', bytes: 100, total: 100 });
    expect(chat.uploads['m1']).toBe(1);
    const sent = { ID: 'm1', type: 'TIMImageElem', payload: {}, conversationID: 'C2Cbob', from: 'alice', nick: '', flow: 'out' as const, time: 1, status: 'success' as const, atUserList: [] };
    chat.handle({ seq: 4, kind: 'messageStatus', message: sent, error: null });
    expect('m1' in chat.uploads).toBe(false);
    chat.handle({ seq: 5, kind: 'fileDrag', state: 'over', paths: [], x: 1, y: 2 });
    expect(chat.dragging).toBe(true);
    chat.handle({ seq: 6, kind: 'fileDrag', state: 'dropped', paths: ['/tmp/a.png'], x: 1, y: 2 });
    expect(chat.dragging).toBe(false);
  });

  it('follows a download to its file', () => {
    const chat = new ChatState();
    chat.downloadStarted('m2');
    chat.handle({ seq: 1, kind: 'downloadProgress', id: 'm2', bytes: 25, total: 100 });
    expect(chat.downloads['m2']).toEqual({ progress: 0.25, path: null });
    chat.downloadDone('m2', '/home/u/Downloads/a.pdf');
    expect(chat.downloads['m2']).toEqual({ progress: 1, path: '/home/u/Downloads/a.pdf' });
    chat.downloadDone('m2', null);
    expect('m2' in chat.downloads).toBe(false);
  });
});
