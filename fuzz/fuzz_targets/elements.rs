//! A `MsgBody` as a client sends it: decoded into elements, checked against
//! the limits, and turned into what the Web SDK is sent (`payload`, the
//! conversation's `messageForShow`). Nothing may panic, and a body that
//! passes the checks must serialise back to at most its limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use natter_proto::element::{body_size, validate_body, Element};
use natter_proto::{Message, MsgItem};

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<Vec<Element>>(data) else {
        return;
    };
    let valid = validate_body(&body, "").is_ok();
    if valid {
        assert!(body_size(&body) <= natter_proto::limits::MAX_BODY_BYTES);
    }
    for element in &body {
        let _ = element.web_payload();
        let _ = element.msg_type();
    }
    let item = MsgItem {
        from_account: "alice".into(),
        to_account: Some("bob".into()),
        msg_body: body,
        ..MsgItem::default()
    };
    let message = Message::from_item(&item, "bob");
    let _ = message.message_for_show();
    let _ = serde_json::to_vec(&item);
});
