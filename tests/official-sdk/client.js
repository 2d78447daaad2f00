// One user of Tencent's unmodified Web SDK (@tencentcloud/chat), driven over
// stdin/stdout by a Rust test. The SDK is a singleton per SDKAppID per JS
// realm, so each user is its own Node process.
//
// Commands (one JSON object per stdin line, each with an `id`):
//   {id, cmd: "login", userID, userSig}
//   {id, cmd: "sendText", to, conversationType: "C2C"|"GROUP", text, atUserList?}
//   {id, cmd: "sendMedia", to, conversationType, kind: "image"|"file"|"audio"|"video",
//        path, name, mime, durationMs?}   -> {message, progress: [0..1 values]}
//   {id, cmd: "history", conversationID, pages}      -> all pages, oldest first
//   {id, cmd: "conversations"}
//   {id, cmd: "logout"}
// Output (one JSON object per stdout line):
//   {reply: id, ok: true, data} | {reply: id, ok: false, code, message}
//   {event: "<SDK event name>", data}

'use strict';
const fs = require('fs');
const readline = require('readline');

// With NATTER_BROWSER_MODE=1 the SDK is loaded as in a browser (the only
// mode in which it builds video messages; web-sdk-upload-protocol.md §10):
// the globals it looks for are defined before it is required.
if (process.env.NATTER_BROWSER_MODE === '1') {
  globalThis.window = globalThis;
  globalThis.addEventListener = () => {};
  globalThis.removeEventListener = () => {};
  globalThis.location = { href: 'http://localhost/' };
  Object.defineProperty(globalThis, 'navigator', {
    value: { userAgent: 'node', cookieEnabled: false }, configurable: true, writable: true,
  });
  globalThis.document = { charset: 'UTF-8' };
  globalThis.HTMLInputElement = class {};
}

// The upload plugin's transport is XMLHttpRequest, which Node lacks: a
// small one over fetch (the body is the File, sent as is).
globalThis.XMLHttpRequest = class {
  constructor() { this.upload = {}; this.headers = {}; this.readyState = 0; this.status = 0; }
  open(method, url) { this.method = method; this.url = url; this.readyState = 1; }
  setRequestHeader(k, v) { this.headers[k] = v; }
  getAllResponseHeaders() { return ''; }
  abort() {}
  send(body) {
    const total = body && (body.size || body.length) || 0;
    if (this.upload.onprogress) this.upload.onprogress({ lengthComputable: true, loaded: 0, total });
    fetch(this.url, { method: this.method, headers: this.headers, body }).then(async (r) => {
      this.status = r.status;
      this.statusText = r.statusText;
      this.responseText = await r.text();
      this.response = this.responseText;
      this.readyState = 4;
      if (this.upload.onprogress) this.upload.onprogress({ lengthComputable: true, loaded: total, total });
      if (this.onreadystatechange) this.onreadystatechange();
      if (this.onload) this.onload();
    }, (e) => {
      this.readyState = 4;
      if (this.onerror) this.onerror(e);
    });
  }
};

// The size probe of pre_sig mode loads the image with `new Image()`: read
// the size from a PNG or JPEG header instead.
function imageSize(b) {
  if (b.length > 24 && b.readUInt32BE(0) === 0x89504e47) return [b.readUInt32BE(16), b.readUInt32BE(20)];
  for (let i = 2; i + 9 < b.length;) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1];
    const len = b.readUInt16BE(i + 2);
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
      return [b.readUInt16BE(i + 7), b.readUInt16BE(i + 5)];
    }
    i += 2 + len;
  }
  return null;
}
globalThis.Image = class {
  set src(url) {
    this._src = url;
    fetch(url).then(async (r) => {
      const size = r.ok && imageSize(Buffer.from(await r.arrayBuffer()));
      if (!size) throw new Error('not an image');
      [this.width, this.height] = size;
      this.naturalWidth = this.width;
      this.naturalHeight = this.height;
      if (this.onload) this.onload();
    }).catch((e) => { if (this.onerror) this.onerror(e); });
  }
  get src() { return this._src; }
};

globalThis.WebSocket = require('ws');
const TencentCloudChat = require('@tencentcloud/chat');
const TIMUploadPlugin = require('tim-upload-plugin');
if (process.env.NATTER_BROWSER_MODE !== '1') {
  // Node mode: image previews use window.URL (§10).
  globalThis.window = { URL };
  Object.defineProperty(globalThis, 'navigator', {
    value: { cookieEnabled: false }, configurable: true, writable: true,
  });
}

const proxyServer = process.env.NATTER_WS;
const SDKAppID = Number(process.env.NATTER_SDKAPPID);

function out(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

// Unanswered SDK requests reject inside the SDK without a catch; in Node that
// would kill the process. Report them instead (wire protocol pitfall 16).
process.on('unhandledRejection', (e) => out({ event: 'unhandledRejection', data: String(e && e.message || e) }));

// The raw `ws` package lets an exception in onmessage stall the socket; a
// browser would carry on. Wrap handlers to behave like a browser.
const RealWS = globalThis.WebSocket;
globalThis.WebSocket = class extends RealWS {
  set onmessage(fn) {
    super.onmessage = (ev) => {
      try { fn(ev); } catch (e) { out({ event: 'onmessageError', data: String(e) }); }
    };
  }
  get onmessage() { return super.onmessage; }
};

const chat = TencentCloudChat.create({ SDKAppID, proxyServer });
chat.setLogLevel(4);
// Before login, or uploads fail with 2040.
chat.registerPlugin({ 'tim-upload-plugin': TIMUploadPlugin });

function slim(m) {
  return {
    ID: m.ID, type: m.type, payload: m.payload, conversationID: m.conversationID, from: m.from, to: m.to,
    flow: m.flow, time: m.time, sequence: m.sequence, status: m.status, atUserList: m.atUserList,
  };
}

const E = TencentCloudChat.EVENT;
chat.on(E.SDK_READY, () => out({ event: 'ready' }));
chat.on(E.SDK_NOT_READY, () => out({ event: 'notReady' }));
chat.on(E.MESSAGE_RECEIVED, (ev) => out({ event: 'messageReceived', data: ev.data.map(slim) }));
chat.on(E.NET_STATE_CHANGE, (ev) => out({ event: 'netStateChange', data: ev.data.state }));
chat.on(E.KICKED_OUT, (ev) => out({ event: 'kickedOut', data: ev.data.type }));
chat.on(E.TOTAL_UNREAD_MESSAGE_COUNT_UPDATED, (ev) => out({ event: 'totalUnread', data: ev.data }));

async function history(conversationID, pages) {
  let all = [];
  let nextReqMessageID;
  for (let i = 0; i < pages; i++) {
    const r = await chat.getMessageList({ conversationID, nextReqMessageID });
    all = r.data.messageList.map(slim).concat(all);
    if (r.data.isCompleted) return { messages: all, completed: true, pages: i + 1 };
    nextReqMessageID = r.data.nextReqMessageID;
  }
  return { messages: all, completed: false, pages };
}

async function run(c) {
  switch (c.cmd) {
    case 'login':
      await chat.login({ userID: c.userID, userSig: c.userSig });
      return {};
    case 'sendText': {
      const options = { to: c.to, conversationType: c.conversationType, payload: { text: c.text } };
      let msg;
      if (c.atUserList) {
        options.payload.atUserList = c.atUserList;
        msg = chat.createTextAtMessage(options);
      } else {
        msg = chat.createTextMessage(options);
      }
      const r = await chat.sendMessage(msg);
      return slim(r.data.message);
    }
    case 'sendMedia': {
      const file = new File([fs.readFileSync(c.path)], c.name, { type: c.mime });
      if (c.durationMs) file.duration = c.durationMs;
      const progress = [];
      const options = {
        to: c.to, conversationType: c.conversationType,
        // A bare File in browser mode, {files: [File]} in Node mode (§10).
        payload: { file: process.env.NATTER_BROWSER_MODE === '1' ? file : { files: [file] } },
        onProgress: (p) => progress.push(p),
      };
      const create = {
        image: 'createImageMessage', file: 'createFileMessage',
        audio: 'createAudioMessage', video: 'createVideoMessage',
      }[c.kind];
      if (c.kind === 'audio') options.payload = { file };
      const msg = chat[create](options);
      const r = await chat.sendMessage(msg);
      return { message: slim(r.data.message), progress };
    }
    case 'history':
      return history(c.conversationID, c.pages || 10);
    case 'conversations': {
      const r = await chat.getConversationList();
      return r.data.conversationList.map((x) => ({
        conversationID: x.conversationID, unreadCount: x.unreadCount,
        lastMessage: x.lastMessage && x.lastMessage.messageForShow,
      }));
    }
    case 'logout':
      await chat.logout();
      return {};
    case 'exit':
      setTimeout(() => process.exit(0), 10);
      return {};
    default:
      throw { code: -1, message: 'unknown command ' + c.cmd };
  }
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  let c;
  try { c = JSON.parse(line); } catch (e) { return out({ event: 'badCommand', data: line }); }
  run(c).then(
    (data) => out({ reply: c.id, ok: true, data }),
    (e) => out({ reply: c.id, ok: false, code: e && e.code, message: String(e && e.message || e) }),
  );
});
out({ event: 'started' });
