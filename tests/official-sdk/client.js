// One user of Tencent's unmodified Web SDK (@tencentcloud/chat), driven over
// stdin/stdout by a Rust test. The SDK is a singleton per SDKAppID per JS
// realm, so each user is its own Node process.
//
// Commands (one JSON object per stdin line, each with an `id`):
//   {id, cmd: "login", userID, userSig}
//   {id, cmd: "sendText", to, conversationType: "C2C"|"GROUP", text, atUserList?}
//   {id, cmd: "history", conversationID, pages}      -> all pages, oldest first
//   {id, cmd: "conversations"}
//   {id, cmd: "logout"}
// Output (one JSON object per stdout line):
//   {reply: id, ok: true, data} | {reply: id, ok: false, code, message}
//   {event: "<SDK event name>", data}

'use strict';
const readline = require('readline');
globalThis.WebSocket = require('ws');
const TencentCloudChat = require('@tencentcloud/chat');

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
