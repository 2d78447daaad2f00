//! A request body through the server's real router and handlers, as the
//! REST transport and the WebSocket transport hand it over: any command,
//! from the administrator, a signed-in user or nobody, against a real
//! SQLite store. Every answer must be a success or one of Tencent's codes;
//! an internal error (20005) for input alone is a bug.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use natter_server::bus::LocalBus;
use natter_server::config::Limits;
use natter_server::handlers::dispatch;
use natter_server::media::Media;
use natter_server::sessions::Sessions;
use natter_server::state::{AppState, Caller};
use natter_server::store::{SqliteStore, Store};
use natter_server::Config;
use serde_json::Value;

/// Every command a client can name (the first input byte picks one).
const COMMANDS: &[&str] = &[
    "im_open_login_svc.account_import",
    "im_open_login_svc.multiaccount_import",
    "im_open_login_svc.account_check",
    "im_open_login_svc.account_delete",
    "im_open_login_svc.kick",
    "openim.sendmsg",
    "openim.batchsendmsg",
    "openim.admin_getroammsg",
    "openim.getroammsg",
    "openim.admin_set_msg_read",
    "openim.set_c2c_msg_read",
    "openim.get_c2c_unread_msg_num",
    "openim.query_online_status",
    "openim.getmsg",
    "openim.get_peer_read_time",
    "group_open_http_svc.create_group",
    "group_open_http_svc.get_group_info",
    "group_open_http_svc.get_group_member_info",
    "group_open_http_svc.add_group_member",
    "group_open_http_svc.delete_group_member",
    "group_open_http_svc.destroy_group",
    "group_open_http_svc.get_joined_group_list",
    "group_open_http_svc.get_appid_group_list",
    "group_open_http_svc.send_group_msg",
    "group_open_http_svc.group_msg_get_simple",
    "group_open_http_svc.group_msg_get",
    "group_open_http_svc.msg_read_report",
    "group_open_http_svc.get_group_self_member_info",
    "recentcontact.page_get",
    "profile.portrait_get_all",
    "natter_account.login",
    "sns.black_list_get",
];

struct Server {
    runtime: tokio::runtime::Runtime,
    state: Arc<AppState>,
    _dir: tempfile::TempDir,
}

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let dir = tempfile::tempdir().expect("a temp dir");
        let config = Config {
            listen: "127.0.0.1:0".parse().expect("an address"),
            data_dir: dir.path().to_owned(),
            sdkappid: 1_400_000_000,
            secret_key: "fuzz-key".into(),
            admin: "administrator".into(),
            public_url: None,
            limits: Limits::default(),
        };
        let store = Arc::new(SqliteStore::open(&dir.path().join("natter.db")).expect("a store"));
        let state = runtime.block_on(async {
            for user in ["administrator", "alice", "bob"] {
                store.ensure_user(user).await.expect("an account");
            }
            let sessions = Arc::new(Sessions::new(config.limits.sessions_per_user));
            let bus = Arc::new(LocalBus::new(sessions.clone()));
            let media = Media::open(dir.path(), "http://127.0.0.1:1", "fuzz-key", &config.limits)
                .expect("media storage");
            Arc::new(AppState::new(config, store, sessions, bus, media))
        });
        Server {
            runtime,
            state,
            _dir: dir,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let [command, who, body @ ..] = data else {
        return;
    };
    let servcmd = COMMANDS[usize::from(*command) % COMMANDS.len()];
    // Only the public service is reached without a login.
    let caller = match who % 2 {
        0 => Caller::admin("administrator"),
        _ if servcmd.starts_with("natter_account.") => Caller::anonymous(None),
        _ => Caller::user("alice", Some(1)),
    };
    // As the REST transport decodes a body.
    let Ok(body) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    if !body.is_object() {
        return;
    }
    let server = server();
    let result = server
        .runtime
        .block_on(dispatch(&server.state, &caller, servcmd, body));
    if let Err(e) = result {
        assert_ne!(e.code(), 20005, "{servcmd}: an internal error for input alone: {e}");
    }
});
