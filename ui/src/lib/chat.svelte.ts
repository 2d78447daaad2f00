// The signed-in user's chat state, as Svelte 5 runes. It holds no Tauri
// code: App.svelte feeds it backend results and events, components read it.

import { emptyConversation, type ChatEvent, type Conversation, type Message, type NetState, type SessionInfo, type Settings } from './types';

/** How many recent levels the recording meter shows. */
export const METER_LEVELS = 32;

export interface LiveRecording {
  id: string;
  levels: number[];
  atMs: number;
  ended: string | null;
}

const STATUS_RANK: Record<Message['status'], number> = { unSend: 0, fail: 1, success: 2 };

export class ChatState {
  me = $state<string | null>(null);
  // Lists from the backend are replaced whole, never mutated in place, so
  // they are raw state: deep proxies on 10,000 messages cost memory and time.
  /** From the SDK, newest first. */
  conversations = $state.raw<Conversation[]>([]);
  /** Conversations opened here that have no message yet (not in the SDK's list). */
  started = $state.raw<Conversation[]>([]);
  selected = $state<string | null>(null);
  /** The selected conversation's messages, oldest first. */
  messages = $state.raw<Message[]>([]);
  nextReqMessageID = $state<string | null>(null);
  historyComplete = $state(true);
  /** The first message that was unread when the conversation was opened. */
  firstUnreadId = $state<string | null>(null);
  net = $state<NetState>('connected');
  total = $state(0);
  /** Why the last send failed, per message ID. */
  failures = $state<Record<string, string>>({});
  /** Upload progress (0–1) of outgoing media messages still uploading, by message ID. */
  uploads = $state<Record<string, number>>({});
  /** Downloads started here, by message ID: progress (0–1) and, once done, where the file is. */
  downloads = $state<Record<string, { progress: number; path: string | null }>>({});
  /** The voice note being recorded: its recent levels (for the meter), length so far, and why it ended by itself. */
  recording = $state<LiveRecording | null>(null);
  /** Files are being dragged over the window. */
  dragging = $state(false);
  /** IDs in `messages`, kept alongside so adding a page does not rebuild a set of them all. */
  #messageIds = new Set<string>();
  /** The last event the session snapshot already reflects (`SessionInfo.eventSeq`). */
  #snapshotSeq = 0;
  /** The session's server, null for the one built into the app. */
  #serverUrl: string | null = null;

  /** What the list shows: started conversations not yet known to the SDK, then the SDK's. */
  get visibleConversations(): Conversation[] {
    const known = new Set(this.conversations.map((c) => c.conversationID));
    return [...this.started.filter((c) => !known.has(c.conversationID)), ...this.conversations];
  }

  /** What the sign-in form offers once this session ends: the same user on the same server. */
  get signInSettings(): Settings {
    return { serverUrl: this.#serverUrl, lastUser: this.me };
  }

  get current(): Conversation | null {
    const id = this.selected;
    return this.visibleConversations.find((c) => c.conversationID === id) ?? null;
  }

  /** A new session: its state as of sign-in (events bring the changes after it). */
  signedIn(session: SessionInfo) {
    this.me = session.userID;
    this.conversations = session.conversations;
    this.started = [];
    this.selected = null;
    this.messages = [];
    this.#messageIds.clear();
    this.total = session.totalUnread;
    this.net = session.netState;
    this.failures = {};
    this.#snapshotSeq = session.eventSeq;
    this.#serverUrl = session.embedded ? null : session.serverUrl;
  }

  /** The same session fetched again after missed events: its whole values are replaced, the open conversation stays. */
  resynced(session: SessionInfo) {
    if (session.userID !== this.me) return;
    this.conversations = session.conversations;
    this.total = session.totalUnread;
    this.net = session.netState;
    this.#snapshotSeq = session.eventSeq;
  }

  /** A recording started (its levels arrive as events) or ended (null). */
  recordingStarted(id: string | null) {
    this.recording = id ? { id, levels: [], atMs: 0, ended: null } : null;
  }

  /** A download of a message's file started (`done` with its path when finished, `failed` to forget it). */
  downloadStarted(messageId: string) {
    this.downloads = { ...this.downloads, [messageId]: { progress: 0, path: null } };
  }

  downloadDone(messageId: string, path: string | null) {
    if (path === null) {
      const { [messageId]: _gone, ...rest } = this.downloads;
      this.downloads = rest;
    } else {
      this.downloads = { ...this.downloads, [messageId]: { progress: 1, path } };
    }
  }

  signedOut() {
    this.uploads = {};
    this.downloads = {};
    this.me = null;
    this.selected = null;
    this.messages = [];
    this.#messageIds.clear();
  }

  /** A conversation started here (new C2C chat, new group). */
  start(conversationID: string, name?: string) {
    if (!this.visibleConversations.some((c) => c.conversationID === conversationID)) {
      this.started = [emptyConversation(conversationID, name), ...this.started];
    }
  }

  /** The first page of a newly opened conversation. */
  opened(conversationID: string, page: { messageList: Message[]; nextReqMessageID: string; isCompleted: boolean }, unread: number) {
    this.selected = conversationID;
    this.messages = page.messageList;
    this.#messageIds = new Set(page.messageList.map((m) => m.ID));
    this.nextReqMessageID = page.nextReqMessageID || null;
    this.historyComplete = page.isCompleted;
    const incoming = page.messageList.filter((m) => m.from !== this.me);
    this.firstUnreadId = unread > 0 && incoming.length > 0 ? incoming[Math.max(0, incoming.length - unread)].ID : null;
  }

  /** An older page, prepended. */
  olderLoaded(conversationID: string, page: { messageList: Message[]; nextReqMessageID: string; isCompleted: boolean }) {
    if (conversationID !== this.selected) return;
    const older = page.messageList.filter((m) => !this.#messageIds.has(m.ID));
    for (const m of older) this.#messageIds.add(m.ID);
    this.messages = older.concat(this.messages);
    this.nextReqMessageID = page.nextReqMessageID || null;
    this.historyComplete = page.isCompleted;
  }

  /** Adds or updates a message of the selected conversation (never moves a status backwards). */
  upsert(m: Message) {
    if (m.conversationID !== this.selected) return;
    if (!this.#messageIds.has(m.ID)) {
      this.#messageIds.add(m.ID);
      this.messages = [...this.messages, m];
    } else {
      // Updates are to recent messages: look from the end.
      const i = this.messages.findLastIndex((x) => x.ID === m.ID);
      // Statuses only move forward, except a retry ('unSend' after 'fail').
      const old = this.messages[i].status;
      const retry = m.status === 'unSend' && old === 'fail';
      if (retry || STATUS_RANK[m.status] >= STATUS_RANK[old]) {
        this.messages = this.messages.map((x, j) => (j === i ? m : x));
      }
    }
  }

  handle(e: ChatEvent) {
    // The list, unread total and connection state are whole values: one the
    // snapshot already covers is older than it and must not replace it.
    const stale = e.seq <= this.#snapshotSeq;
    switch (e.kind) {
      case 'conversationListUpdated':
        if (!stale) this.conversations = e.conversations;
        break;
      case 'totalUnread':
        if (!stale) this.total = e.total;
        break;
      case 'netState':
        if (!stale) this.net = e.state;
        break;
      case 'signedOut':
        // Stale once a later sign-in's snapshot covers it.
        if (!stale) this.signedOut();
        break;
      case 'messageReceived':
        for (const m of e.messages) this.upsert(m);
        break;
      case 'messageStatus':
        if (e.error) this.failures = { ...this.failures, [e.message.ID]: `${e.error.message} (${e.error.code})` };
        if (e.message.ID in this.uploads) {
          const { [e.message.ID]: _done, ...rest } = this.uploads;
          this.uploads = rest;
        }
        this.upsert(e.message);
        break;
      case 'messageQueued':
        this.upsert(e.message);
        break;
      case 'uploadProgress': {
        // Only ever forward, whatever order events come in.
        const before = this.uploads[e.messageId] ?? 0;
        const now = e.total > 0 ? Math.min(1, e.bytes / e.total) : 1;
        if (now > before) this.uploads = { ...this.uploads, [e.messageId]: now };
        break;
      }
      case 'downloadProgress': {
        const d = this.downloads[e.id];
        if (d) this.downloads = { ...this.downloads, [e.id]: { ...d, progress: e.total > 0 ? Math.min(1, e.bytes / e.total) : d.progress } };
        break;
      }
      case 'recordingLevel':
        if (this.recording?.id === e.id) {
          this.recording = { ...this.recording, levels: [...this.recording.levels, e.level].slice(-METER_LEVELS), atMs: e.atMs };
        }
        break;
      case 'recordingEnded':
        if (this.recording?.id === e.id) this.recording = { ...this.recording, ended: e.reason };
        break;
      case 'fileDrag':
        this.dragging = e.state === 'over';
        break;
      default:
        break;
    }
  }
}
