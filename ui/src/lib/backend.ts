// The only module that talks to Tauri. Everything else in the UI calls these
// functions, so components can be tested without a running shell.

import { Channel, invoke } from '@tauri-apps/api/core';
import type {
  BackendError,
  ChatEvent,
  GroupMember,
  GroupType,
  HistoryPage,
  Message,
  SentFiles,
  SessionInfo,
  Startup,
  VoiceNote,
} from './types';

export interface SignInRequest {
  /** null: the server built into the app. */
  serverUrl: string | null;
  userId: string;
  /** A password (to sign in or create the account) ... */
  password?: string;
  /** ... or a UserSig made by the server's owner. */
  userSig?: string;
  createAccount: boolean;
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

/**
 * The first call: live events (messages, statuses, conversation updates,
 * connection state) go to `onEvent` from now on, across sign-ins. Answers
 * with the remembered settings and, if the kept UserSig still works, the
 * session as of after the subscription.
 */
export function startup(onEvent: (e: ChatEvent) => void): Promise<Startup> {
  const events = new Channel<ChatEvent>();
  events.onmessage = onEvent;
  return call<Startup>('startup', { events });
}

/** The session as of now: to start over after a `resync` event. */
export function session(): Promise<SessionInfo> {
  return call<SessionInfo>('session');
}

/** Signs in (or creates the account) and returns the session. */
export function signIn(request: SignInRequest): Promise<SessionInfo> {
  return call<SessionInfo>('sign_in', { request });
}

export function signOut(): Promise<void> {
  return call<void>('sign_out');
}

export function getMessageList(conversationId: string, nextReqMessageId: string | null): Promise<HistoryPage> {
  return call<HistoryPage>('get_message_list', { conversationId, nextReqMessageId });
}

/** Queues a text message; it comes back at once as `unSend`, its outcome as a `messageStatus` event. */
export function sendText(to: string, conversationType: 'C2C' | 'GROUP', text: string, atUserList: string[] = []): Promise<Message> {
  return call<Message>('send_text', { to, conversationType, text, atUserList });
}

/** Queues a failed message again. */
export function resendMessage(messageId: string): Promise<Message> {
  return call<Message>('resend_message', { messageId });
}

export function markRead(conversationId: string): Promise<void> {
  return call<void>('mark_read', { conversationId });
}

/** The C2C conversation ID for a user, if the user exists. */
export function findUser(userId: string): Promise<string> {
  return call<string>('find_user', { userId });
}

/** Creates a group owned by the user; returns its conversation ID. */
export function createGroup(name: string, groupType: GroupType, members: string[]): Promise<string> {
  return call<string>('create_group', { name, groupType, members });
}

/** Invites users; returns those added. */
export function addGroupMembers(groupId: string, members: string[]): Promise<string[]> {
  return call<string[]>('add_group_members', { groupId, members });
}

export function groupMembers(groupId: string): Promise<GroupMember[]> {
  return call<GroupMember[]>('group_members', { groupId });
}

/** Opens an http(s) or mailto link in the system browser. */
export function openLink(url: string): Promise<void> {
  return call<void>('open_link', { url });
}

/** Sends files by path (dropped on the window): images, videos and other files, queued in order. */
export function sendFiles(to: string, conversationType: 'C2C' | 'GROUP', paths: string[]): Promise<SentFiles> {
  return call<SentFiles>('send_files', { to, conversationType, paths });
}

/** Opens the system's file dialog and sends the files picked. */
export function attachFiles(to: string, conversationType: 'C2C' | 'GROUP'): Promise<SentFiles> {
  return call<SentFiles>('attach_files', { to, conversationType });
}

/** Sends an image pasted into the composer: its bytes travel raw, not as JSON. */
export async function sendPastedImage(to: string, conversationType: 'C2C' | 'GROUP', image: Blob): Promise<SentFiles> {
  const bytes = new Uint8Array(await image.arrayBuffer());
  try {
    return await invoke<SentFiles>('send_pasted_image', bytes, {
      headers: { to, 'conversation-type': conversationType, 'content-type': image.type },
    });
  } catch (e) {
    throw asBackendError(e);
  }
}

/** Stops an upload; the message becomes failed (retry resumes it). */
export function cancelUpload(messageId: string): Promise<boolean> {
  return call<boolean>('cancel_upload', { messageId });
}

/** Downloads a message's file to the Downloads folder; resolves with its path. */
export function downloadFile(id: string, url: string, fileName: string): Promise<string> {
  return call<string>('download_file', { id, url, fileName });
}

export function showInFolder(path: string): Promise<void> {
  return call<void>('show_in_folder', { path });
}

/** Starts recording a voice note from the default microphone; resolves once it runs. */
export function startRecording(): Promise<{ id: string; device: string }> {
  return call<{ id: string; device: string }>('start_recording', { device: null });
}

/** Ends the recording; the note waits for `sendVoice` or `cancelRecording`. */
export function stopRecording(): Promise<VoiceNote> {
  return call<VoiceNote>('stop_recording');
}

/** Discards the recording, running or finished. */
export function cancelRecording(): Promise<void> {
  return call<void>('cancel_recording');
}

/** Sends the finished voice note `id` to the conversation. */
export function sendVoice(to: string, conversationType: 'C2C' | 'GROUP', id: string): Promise<Message> {
  return call<Message>('send_voice', { to, conversationType, id });
}

/** The waveform (levels 0–1) of the voice message a bubble plays from `src`. */
export function voiceWaveform(src: string): Promise<number[]> {
  return call<number[]>('voice_waveform', { src });
}
