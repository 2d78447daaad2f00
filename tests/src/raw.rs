//! The wire without an SDK: raw WebSocket frames and raw HTTP requests, for
//! tests that check bytes or act as a hostile client would.

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message as Ws;

use crate::{sig, TestServer, ADMIN, SDKAPPID};

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens `path` (`/binfo` or `/info`) with the query the Web SDK sends.
pub async fn open(server: &TestServer, path: &str) -> Socket {
    let url = format!(
        "{}{path}?sdkappid={SDKAPPID}&instanceid=abc&random=0.5&platform=7",
        server.ws_url()
    );
    tokio_tungstenite::connect_async(url)
        .await
        .expect("websocket opens")
        .0
}

pub async fn send(ws: &mut Socket, binary: bool, frame: Value) {
    let text = frame.to_string();
    let msg = if binary {
        Ws::Binary(text.into_bytes().into())
    } else {
        Ws::Text(text.into())
    };
    ws.send(msg).await.expect("frame sent");
}

/// Next frame, asserting it has the kind the path promises.
pub async fn next(ws: &mut Socket, binary: bool) -> Value {
    let msg = tokio::time::timeout(std::time::Duration::from_secs(5), ws.next())
        .await
        .expect("a frame in time")
        .expect("socket open")
        .expect("frame ok");
    match (msg, binary) {
        (Ws::Binary(b), true) => serde_json::from_slice(&b).expect("binary frame holds JSON"),
        (Ws::Text(t), false) => serde_json::from_str(&t).expect("text frame holds JSON"),
        (other, _) => panic!("wrong frame kind: {other:?}"),
    }
}

/// Reads until the server closes the socket; the close code, if it sent one.
pub async fn closed(ws: &mut Socket, within: std::time::Duration) -> Option<u16> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, ws.next()).await {
            Err(_) => panic!("the socket is still open after {within:?}"),
            Ok(None) | Ok(Some(Err(_))) => return None,
            Ok(Some(Ok(Ws::Close(frame)))) => return frame.map(|f| u16::from(f.code)),
            Ok(Some(Ok(_))) => {}
        }
    }
}

pub fn login_frame(user: &str, usersig: &str, seq: u64) -> Value {
    json!({"head": {"servcmd": "im_open_status.wslogin", "seq": seq, "ver": "v4", "platform": 7,
        "sdkappid": SDKAPPID, "identifier": user, "usersig": usersig, "cs": 0},
        "body": {"State": "Online", "is_web_uniapp": 0, "InstType": 0, "CustomInfo": ""}})
}

/// A request frame with `servcmd`, `seq` and `body`.
pub fn request(servcmd: &str, seq: u64, body: Value) -> Value {
    json!({"head": {"servcmd": servcmd, "seq": seq}, "body": body})
}

/// Sends one request and returns the reply's body.
pub async fn call(ws: &mut Socket, servcmd: &str, seq: u64, body: Value) -> Value {
    send(ws, true, request(servcmd, seq, body)).await;
    loop {
        let frame = next(ws, true).await;
        if frame["head"]["seq"] == seq && frame["head"]["servcmd"] == servcmd {
            return frame["body"].clone();
        }
    }
}

/// Opens `/binfo` and logs in as `user` with a fresh UserSig; the login reply's body too.
pub async fn logged_in(server: &TestServer, user: &str) -> (Socket, Value) {
    let mut ws = open(server, "/binfo").await;
    send(&mut ws, true, login_frame(user, &sig(user), 1)).await;
    let reply = next(&mut ws, true).await["body"].clone();
    assert_eq!(reply["ErrorCode"], 0, "{user} logs in: {reply}");
    (ws, reply)
}

/// POSTs `body` to `path?query`; the HTTP status and the JSON reply.
pub async fn rest(
    server: &TestServer,
    path: &str,
    query: &str,
    body: &str,
    content_type: Option<&str>,
) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}{path}?{query}", server.http_url()))
        .body(body.to_owned());
    if let Some(ct) = content_type {
        req = req.header("Content-Type", ct);
    }
    let resp = req.send().await.expect("http reply");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("JSON reply"))
}

/// The query string of an administrator's REST call.
pub fn admin_query() -> String {
    format!(
        "sdkappid={SDKAPPID}&identifier={ADMIN}&usersig={}&random=99&contenttype=json",
        sig(ADMIN)
    )
}
