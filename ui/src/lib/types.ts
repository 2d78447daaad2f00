// Shapes shared with the Rust side (natter-sdk serialises them with the
// Web SDK's field names). `src-tauri` has a test that checks these names.

export interface Message {
  ID: string;
  type: string;
  payload: Record<string, unknown>;
  conversationID: string;
  conversationType: string;
  to: string;
  from: string;
  flow: 'in' | 'out' | '';
  time: number;
  status: 'unSend' | 'success' | 'fail';
  sequence: number;
  atUserList: string[];
  nick: string;
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

/** Errors from the backend carry Tencent's numeric code. */
export interface BackendError {
  code: number;
  message: string;
}

export type ChatEvent =
  | { kind: 'messageReceived'; messages: Message[] }
  | { kind: 'conversationListUpdated'; conversations: Conversation[] }
  | { kind: 'totalUnread'; total: number }
  | { kind: 'netState'; state: 'connected' | 'connecting' | 'disconnected' }
  | { kind: 'kickedOut'; reason: string }
  | { kind: 'ready' }
  | { kind: 'notReady' };

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
