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
  newChat: 'New chat',
  start: 'Start',
  newConversation: 'New conversation',
  newGroup: 'New group',
  groupName: 'Group name',
  groupType: 'Type',
  groupWork: 'Work (members invite)',
  groupPublic: 'Public (anyone may ask to join)',
  groupMeeting: 'Meeting (join freely)',
  members: 'Members',
  addMembers: 'Add members by user ID',
  create: 'Create',
  close: 'Close',
  messages: 'Messages',
  newMessages: 'New messages',
  newMessagesCount: '{n} new messages',
  jumpToBottom: 'Latest',
  mention: 'Mention someone',
  atAll: 'all',
  signInWith: 'Sign in with',
  signOut: 'Sign out',
  syncing: 'Syncing…',
  queued: 'Offline — messages will be sent when the connection is back',
  showMembers: 'Members',
  kickedMultipleAccount: 'You were signed out: this account signed in elsewhere',
  kickedMultipleDevice: 'You were signed out: this account signed in on another device',
  kickedExpired: 'Your sign-in has expired: please sign in again',
  kickedByAdmin: 'You were signed out by the server administrator',
  kickedOther: 'You were signed out ({reason})',
  attach: 'Send files',
  dropHere: 'Drop to send to {name}',
  cancelUpload: 'Cancel',
  uploadCancelled: 'Cancelled — retry',
  download: 'Download',
  downloaded: 'Downloaded',
  showInFolder: 'Show in folder',
  viewOriginal: 'Original',
  image: 'Image',
  video: 'Video',
  voice: 'Voice message',
  record: 'Record a voice message (click, or hold and release to send)',
  stopRecording: 'Stop',
  cancelRecording: 'Discard',
  sendVoice: 'Send',
  play: 'Play',
  pause: 'Pause',
  recording: 'Recording',
  tooShort: 'Too short — hold to record, release to send',
  recordingLimit: 'Stopped at the 1-minute limit',
  microphoneLost: 'The microphone stopped; what was recorded is kept ({reason})',
  microphoneError: 'Cannot record: {reason}',
  unplayed: 'Not played yet',
  fileRefused: '{name} was not sent: {reason}',
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
  newChat: '发起单聊',
  start: '开始',
  newConversation: '新会话',
  newGroup: '创建群组',
  groupName: '群名称',
  groupType: '类型',
  groupWork: '好友工作群（成员邀请）',
  groupPublic: '陌生人社交群（申请加入）',
  groupMeeting: '临时会议群（自由加入）',
  members: '群成员',
  addMembers: '输入用户 ID 添加成员',
  create: '创建',
  close: '关闭',
  messages: '消息',
  newMessages: '以下为新消息',
  newMessagesCount: '{n} 条新消息',
  jumpToBottom: '回到最新',
  mention: '提及成员',
  atAll: '所有人',
  signInWith: '登录方式',
  signOut: '退出登录',
  syncing: '同步中…',
  queued: '离线中，消息将在恢复连接后发送',
  showMembers: '成员',
  kickedMultipleAccount: '账号已在别处登录，您已下线',
  kickedMultipleDevice: '账号已在其他设备登录，您已下线',
  kickedExpired: '登录已过期，请重新登录',
  kickedByAdmin: '您已被服务器管理员强制下线',
  kickedOther: '您已下线（{reason}）',
  attach: '发送文件',
  dropHere: '松开以发送给 {name}',
  cancelUpload: '取消',
  uploadCancelled: '已取消，点击重试',
  download: '下载',
  downloaded: '已下载',
  showInFolder: '在文件夹中显示',
  viewOriginal: '查看原图',
  image: '图片',
  video: '视频',
  voice: '语音消息',
  record: '录制语音消息（点击，或按住录音、松开发送）',
  stopRecording: '停止',
  cancelRecording: '放弃',
  sendVoice: '发送',
  play: '播放',
  pause: '暂停',
  recording: '正在录音',
  tooShort: '录音时间太短：按住录音，松开发送',
  recordingLimit: '已达到 1 分钟上限，录音已停止',
  microphoneLost: '麦克风已停止，已录制的内容已保留（{reason}）',
  microphoneError: '无法录音：{reason}',
  unplayed: '未播放',
  fileRefused: '{name} 未发送：{reason}',
};

/**
 * A BCP 47 tag Intl accepts, or undefined (Intl's default). WebKit reports
 * the POSIX locale as is, e.g. "C" when LANG is unset, and Intl throws on it.
 */
export function usableLocale(tag: string | undefined): string | undefined {
  if (!tag) return undefined;
  try {
    return Intl.getCanonicalLocales(tag)[0];
  } catch {
    return undefined;
  }
}

/** The system locale, for dates and times. */
export const locale: string | undefined = usableLocale(typeof navigator === 'undefined' ? undefined : navigator.language);

/** `zh*` locales get Simplified Chinese, everything else English. */
export function stringsFor(locale: string | undefined): Strings {
  return locale && locale.toLowerCase().startsWith('zh') ? zh : en;
}

export const t: Strings = stringsFor(typeof navigator === 'undefined' ? undefined : navigator.language);

/** Why the user was signed out, from the SDK's `KICKED_OUT` reason. */
export function kickMessage(reason: string, strings: Strings = t): string {
  switch (reason) {
    case 'multipleAccount':
      return strings.kickedMultipleAccount;
    case 'multipleDevice':
      return strings.kickedMultipleDevice;
    case 'userSigExpired':
      return strings.kickedExpired;
    case 'REST_API_Kick':
      return strings.kickedByAdmin;
    default:
      return strings.kickedOther.replace('{reason}', reason);
  }
}
