// The only module that talks to Tauri. Everything else in the UI calls these
// functions, so components can be tested without a running shell.

import { Channel, invoke } from '@tauri-apps/api/core';
import type { BackendError, ChatEvent, Conversation, Message } from './types';

export interface Session {
  /** The server the app talks to. */
  serverUrl: string;
  /** True when it is the server built into the app. */
  embedded: boolean;
}

export interface SignInRequest {
  serverUrl: string | null;
  userId: string;
  password: string;
  createAccount: boolean;
}

export interface HistoryPage {
  messageList: Message[];
  nextReqMessageID: string;
  isCompleted: boolean;
}

function asBackendError(e: unknown): BackendError {
  if (e && typeof e === 'object' && 'code' in e && 'message' in e) {
    return e as BackendError;
  }
  return { code: 2903, message: String(e) };
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw asBackendError(e);
  }
}

/** Signs in (or creates the account) and returns the session. */
export function signIn(request: SignInRequest): Promise<Session> {
  return call<Session>('sign_in', { request });
}

export function listConversations(): Promise<Conversation[]> {
  return call<Conversation[]>('list_conversations');
}

export function getMessageList(conversationId: string, nextReqMessageId: string | null): Promise<HistoryPage> {
  return call<HistoryPage>('get_message_list', { conversationId, nextReqMessageId });
}

export function sendText(to: string, conversationType: 'C2C' | 'GROUP', text: string, atUserList: string[] = []): Promise<Message> {
  return call<Message>('send_text', { to, conversationType, text, atUserList });
}

export function markRead(conversationId: string): Promise<void> {
  return call<void>('mark_read', { conversationId });
}

/** Live events (messages, conversation updates, connection state) through a Tauri channel. */
export function subscribe(onEvent: (e: ChatEvent) => void): Promise<void> {
  const channel = new Channel<ChatEvent>();
  channel.onmessage = onEvent;
  return call<void>('subscribe', { channel });
}
