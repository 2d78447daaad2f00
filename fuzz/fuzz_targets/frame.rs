//! A WebSocket frame as it arrives, and the credentials and cursors a frame
//! carries: the frame envelope, UserSigs, A2Keys, sync cookies and C2C
//! message keys. None of them may panic or allocate beyond the input's size.
#![no_main]

use libfuzzer_sys::fuzz_target;
use natter_proto::wire::{ok_body, Frame};
use natter_proto::MsgItem;
use natter_server::auth::Auth;
use natter_server::store::SyncCursor;

fuzz_target!(|data: &[u8]| {
    if let Ok(frame) = serde_json::from_slice::<Frame>(data) {
        // What the server does with every frame: answer it, echoing its head.
        let reply = Frame::reply_to(&frame.head, ok_body(frame.body.clone()));
        let _ = reply.to_bytes();
        let _ = natter_proto::wire::crc32(&frame.body);
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = natter_proto::usersig::verify(text, 1_400_000_000, "fuzz-key", "alice", 1_800_000_000);
    let auth = Auth::new(1_400_000_000, "fuzz-key");
    let _ = auth.verify_a2(text, Some("144115200000000001"));
    let _ = SyncCursor::from_cookie(text);
    if let Some((seq, random, time)) = MsgItem::parse_c2c_msg_key(text) {
        assert!(seq <= u64::from(u32::MAX) && random <= u64::from(u32::MAX) && time <= u64::from(u32::MAX));
    }
});
