// UI strings in English and Simplified Chinese, picked from the system locale.

const en = {
  signIn: 'Sign in',
  createAccount: 'Create account',
  server: 'Server',
  serverHint: 'Leave empty to use the server built into this app',
  userId: 'User ID',
  password: 'Password',
  conversations: 'Conversations',
  noConversations: 'No conversations yet',
  typeMessage: 'Type a message',
  send: 'Send',
  sending: 'Sending…',
  failed: 'Failed — retry',
  connecting: 'Connecting…',
  offline: 'Offline',
  newChat: 'New chat with user ID',
  start: 'Start',
};

export type Strings = typeof en;

const zh: Strings = {
  signIn: '登录',
  createAccount: '创建账号',
  server: '服务器',
  serverHint: '留空则使用本应用内置的服务器',
  userId: '用户 ID',
  password: '密码',
  conversations: '会话',
  noConversations: '暂无会话',
  typeMessage: '输入消息',
  send: '发送',
  sending: '发送中…',
  failed: '发送失败，点击重试',
  connecting: '连接中…',
  offline: '离线',
  newChat: '输入用户 ID 发起单聊',
  start: '开始',
};

/** `zh*` locales get Simplified Chinese, everything else English. */
export function stringsFor(locale: string | undefined): Strings {
  return locale && locale.toLowerCase().startsWith('zh') ? zh : en;
}

export const t: Strings = stringsFor(typeof navigator === 'undefined' ? undefined : navigator.language);
