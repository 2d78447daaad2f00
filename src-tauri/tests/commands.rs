//! The Tauri commands through Tauri's IPC on the mock runtime, with the
//! app's real configuration and capability: what the UI's `invoke` calls
//! get back (values, and errors as `{code, message}`), and that nothing
//! outside Natter's own commands can be invoked.

use natter_desktop::desktop::Desktop;
use natter_system_tests::TestServer;
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::WebviewWindow;

fn invoke(
    window: &WebviewWindow<tauri::test::MockRuntime>,
    cmd: &str,
    args: Value,
) -> Result<Value, Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().expect("url"),
        body: InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(window, request).map(|body| body.deserialize::<Value>().expect("JSON reply"))
}

#[test]
fn commands_answer_through_ipc_with_codes_on_errors() {
    let server = tauri::async_runtime::block_on(TestServer::start());
    let dir = tempfile::tempdir().unwrap();
    let app = mock_builder()
        .manage(Desktop::new(dir.path().to_owned()))
        .invoke_handler(natter_desktop::natter_commands!())
        .build(tauri::generate_context!("../tauri.conf.json", test = true))
        .expect("app builds");
    let window = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("window");

    let start = invoke(&window, "startup", json!({"events": "__CHANNEL__:7"})).unwrap();
    assert_eq!(
        start,
        json!({"settings": {"serverUrl": null, "lastUser": null}, "session": null, "error": null})
    );

    let err = invoke(
        &window,
        "get_message_list",
        json!({"conversationId": "C2Cbob", "nextReqMessageId": null}),
    )
    .unwrap_err();
    assert_eq!(err["code"], 2024);

    let session = invoke(
        &window,
        "sign_in",
        json!({"request": {"serverUrl": server.ws_url(), "userId": "alice", "password": "pw-alice", "createAccount": true}}),
    )
    .unwrap();
    assert_eq!(session["userID"], "alice");
    assert_eq!(session["embedded"], false);
    assert_eq!(session["conversations"], json!([]));
    assert_eq!(session["totalUnread"], 0);
    assert_eq!(session["netState"], "connected");
    let again = invoke(&window, "session", json!({})).unwrap();
    assert_eq!(again["userID"], "alice");
    assert!(again["eventSeq"].as_u64().unwrap() >= session["eventSeq"].as_u64().unwrap());

    let queued = invoke(
        &window,
        "send_text",
        json!({"to": "bob", "conversationType": "C2C", "text": "hi", "atUserList": []}),
    )
    .unwrap();
    assert_eq!(queued["status"], "unSend");
    assert_eq!(queued["payload"]["text"], "hi");
    assert_eq!(queued["conversationID"], "C2Cbob");
    assert!(
        queued.get("_elements").is_none(),
        "the page gets the slim message shape"
    );

    let err = invoke(&window, "find_user", json!({"userId": "nobody"})).unwrap_err();
    assert_eq!(err["code"], 90012);
    assert!(err["message"]
        .as_str()
        .is_some_and(|m| m.contains("nobody")));

    let err = invoke(&window, "open_link", json!({"url": "file:///etc/passwd"})).unwrap_err();
    assert_eq!(err["code"], 2903);

    // Missing arguments are refused by Tauri before Natter sees them.
    assert!(invoke(&window, "mark_read", json!({})).is_err());

    // Only Natter's commands are granted: the opener plugin is used from
    // Rust (after checking the link), never callable by the page.
    assert!(invoke(
        &window,
        "plugin:opener|open_url",
        json!({"url": "https://x.test"})
    )
    .is_err());

    // The capability covers the main window only.
    let other = tauri::WebviewWindowBuilder::new(&app, "other", Default::default())
        .build()
        .expect("second window");
    assert!(invoke(&other, "startup", json!({"events": "__CHANNEL__:8"})).is_err());

    invoke(&window, "sign_out", json!({})).unwrap();
    let start = invoke(&window, "startup", json!({"events": "__CHANNEL__:7"})).unwrap();
    assert_eq!(start["session"], Value::Null);
    let err = invoke(&window, "session", json!({})).unwrap_err();
    assert_eq!(err["code"], 2024, "no session once signed out");
    assert_eq!(start["settings"]["lastUser"], "alice");
}
