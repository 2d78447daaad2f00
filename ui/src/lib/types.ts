// Shapes shared with the Rust side (natter-sdk serialises them with the
// Web SDK's field names). `src-tauri` has a test that checks these names.

/** The fields of the Web SDK `Message` the UI reads (the backend sends only these). */
export interface Message {
  ID: string;
  type: string;
  payload: Record<string, unknown>;
  conversationID: string;
  from: string;
  nick: string;
  flow: 'in' | 'out' | '';
  time: number;
  status: 'unSend' | 'success' | 'fail';
  atUserList: string[];
}

export interface LastMessage {
  lastTime: number;
  fromAccount: string;
  messageForShow: string;
  type: string;
}

export interface Conversation {
  conversationID: string;
  type: 'C2C' | 'GROUP' | '@TIM#SYSTEM';
  unreadCount: number;
  lastMessage: LastMessage | null;
  groupProfile: { groupID: string; name: string; type: string } | null;
  userProfile: { userID: string } | null;
}

export interface Settings {
  /** null: the server built into the app. */
  serverUrl: string | null;
  lastUser: string | null;
}

/** The signed-in session, with the state the UI starts from (events carry every change after it). */
export interface SessionInfo {
  serverUrl: string;
  /** True when it is the server built into the app. */
  embedded: boolean;
  userID: string;
  conversations: Conversation[];
  totalUnread: number;
  netState: NetState;
  /** Events numbered up to this are already reflected here (see `ChatEvent`). */
  eventSeq: number;
}

export interface Startup {
  settings: Settings;
  session: SessionInfo | null;
  error: BackendError | null;
}

export interface HistoryPage {
  messageList: Message[];
  nextReqMessageID: string;
  isCompleted: boolean;
}

export interface GroupMember {
  userID: string;
  role: string;
}

export type GroupType = 'Work' | 'Public' | 'Meeting';

/** The outcome of sending files: queued messages, and files that could not be sent. */
export interface SentFiles {
  sent: Message[];
  refused: { name: string; code: number; message: string }[];
}

/** A recorded voice note waiting to be sent or discarded. */
export interface VoiceNote {
  id: string;
  durationMs: number;
  bytes: number;
  /** Levels 0–1 for its waveform. */
  waveform: number[];
  /** Why it ended by itself: 'maxDuration', or the lost microphone's reason. */
  ended: string | null;
}

/** Errors from the backend carry Tencent's numeric code. */
export interface BackendError {
  code: number;
  message: string;
}

export type NetState = 'connected' | 'connecting' | 'disconnected';

/**
 * A live event. `seq` numbers events in the order the backend sent them; a
 * `SessionInfo` snapshot says up to which number it already covers, since
 * an event and the answer with the snapshot may arrive in either order.
 */
export type ChatEvent = { seq: number } & (
  | { kind: 'messageReceived'; messages: Message[] }
  | { kind: 'messageStatus'; message: Message; error: BackendError | null }
  /** A message was queued for sending (by the composer, a drop, the file dialog or a paste). */
  | { kind: 'messageQueued'; message: Message }
  /** Upload progress of an outgoing media message (≤ 30/s, growing, last bytes = total). */
  | { kind: 'uploadProgress'; messageId: string; bytes: number; total: number }
  /** Progress of a download started with `downloadFile(id, …)`. */
  | { kind: 'downloadProgress'; id: string; bytes: number; total: number }
  /** Files dragged over the window (CSS pixels), dragged away, or dropped. */
  | { kind: 'fileDrag'; state: 'over' | 'left' | 'dropped'; paths: string[]; x: number; y: number }
  /** The loudness (0–1) of the voice note being recorded, 20 times a second. */
  | { kind: 'recordingLevel'; id: string; level: number; atMs: number }
  /** The recording ended by itself: 'maxDuration', or why the microphone was lost. */
  | { kind: 'recordingEnded'; id: string; reason: string }
  | { kind: 'openConversation'; conversationID: string }
  | { kind: 'conversationListUpdated'; conversations: Conversation[] }
  | { kind: 'totalUnread'; total: number }
  | { kind: 'netState'; state: NetState }
  | { kind: 'kickedOut'; reason: string }
  | { kind: 'ready' }
  | { kind: 'notReady' }
  /** Events were missed: fetch the session again (`resynced`). */
  | { kind: 'resync' }
  | { kind: 'signedOut' }
);

/** The peer (C2C) or group ID of a conversation ID, and its type. */
export function conversationTarget(conversationID: string): { to: string; type: 'C2C' | 'GROUP' } {
  return conversationID.startsWith('GROUP')
    ? { to: conversationID.slice(5), type: 'GROUP' }
    : { to: conversationID.replace(/^C2C/, ''), type: 'C2C' };
}

/** An empty conversation (just started, no message yet). */
export function emptyConversation(conversationID: string, name?: string): Conversation {
  const { to, type } = conversationTarget(conversationID);
  return {
    conversationID,
    type,
    unreadCount: 0,
    lastMessage: null,
    groupProfile: type === 'GROUP' ? { groupID: to, name: name ?? to, type: '' } : null,
    userProfile: type === 'C2C' ? { userID: to } : null,
  };
}

/** The name shown for a conversation. */
export function conversationName(c: Conversation): string {
  return c.groupProfile?.name || c.userProfile?.userID || c.conversationID;
}

/** One or two letters for an avatar without a picture. */
export function initials(name: string): string {
  const words = name.trim().split(/[\s_.-]+/).filter(Boolean);
  if (words.length === 0) return '?';
  const letters = words.length > 1 ? words[0][0] + words[1][0] : words[0].slice(0, 2);
  return letters.toUpperCase();
}
