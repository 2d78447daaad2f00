//! `natter-bench`: measures a natter-server on loopback and prints a
//! Markdown table for `docs/benchmarks.md`.
//!
//! * `throughput` — durable C2C sends acknowledged per second, many
//!   natter-sdk senders each waiting for its ack before the next send;
//! * `latency` — send→receive latency p50/p99 at a fixed total rate;
//! * `fanout` — deliveries per second to the connected members of a group;
//! * `passwords` — how long a password sign-in takes for a known account
//!   with a wrong password and for an unknown one (they must not differ, or
//!   the time tells which accounts exist);
//! * `upload` — a large file uploaded by natter-sdk (tus) beside the same
//!   file sent with `curl -T` to the same server (the Web SDK's PUT path),
//!   and the uploading client's peak memory above its idle (the client runs
//!   in a child process of its own, so the server's memory is not counted).
//!
//! The server runs in this process (SQLite in a temp dir, `synchronous=FULL`),
//! so server and load share the machine's cores: the numbers are a floor.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use natter_sdk::{Chat, ChatOptions, Event, SendOptions};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message as Ws;

const APP: u64 = 1_400_000_000;
const KEY: &str = "bench-key";
/// Members sending to the fan-out group at once.
const SPEAKERS: usize = 20;

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum Scenario {
    All,
    Throughput,
    Latency,
    Fanout,
    Passwords,
    Upload,
}

#[derive(Parser)]
#[command(about = "Measure natter-server on loopback")]
struct Cli {
    #[arg(value_enum, default_value = "all")]
    scenario: Scenario,
    /// Seconds each timed phase runs.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent senders in the throughput run.
    #[arg(long, default_value_t = 128)]
    senders: usize,
    /// Total sends per second in the latency run.
    #[arg(long, default_value_t = 1000)]
    rate: u64,
    /// Members of the fan-out group (all connected).
    #[arg(long, default_value_t = 1000)]
    members: usize,
    /// Messages sent to the group in the fan-out run.
    #[arg(long, default_value_t = 300)]
    group_messages: usize,
    /// Size of the file of the upload run, in MiB.
    #[arg(long, default_value_t = 1024)]
    upload_mib: u64,
    /// Internal: be the uploading client of the upload run (server URL, file).
    #[arg(long, hide = true, num_args = 2, value_names = ["URL", "FILE"])]
    upload_client: Option<Vec<String>>,
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn sig(user: &str) -> String {
    natter_proto::usersig::generate(APP, KEY, user, 86_400, now())
}

async fn start_server(dir: &tempfile::TempDir) -> natter_server::RunningServer {
    start_server_with(dir, natter_server::config::Limits::default()).await
}

async fn start_server_with(
    dir: &tempfile::TempDir,
    limits: natter_server::config::Limits,
) -> natter_server::RunningServer {
    let config = natter_server::Config {
        listen: "127.0.0.1:0".parse().expect("address"),
        data_dir: dir.path().to_owned(),
        sdkappid: APP,
        secret_key: KEY.into(),
        admin: "administrator".into(),
        public_url: None,
        // All load comes from loopback: the per-address cap would refuse
        // the fan-out's 1,000 members.
        limits: natter_server::config::Limits {
            connections_per_address: usize::MAX,
            ..limits
        },
    };
    natter_server::start(config).await.expect("server starts")
}

async fn client(url: &str, user: &str) -> Chat {
    let chat = Chat::create(ChatOptions::new(url, APP));
    chat.login(user, &sig(user)).await.expect("login");
    chat
}

async fn throughput(url: &str, senders: usize, seconds: u64) -> (f64, u64) {
    let receiver = client(url, "sink").await;
    let mut chats = Vec::with_capacity(senders);
    for i in 0..senders {
        chats.push(client(url, &format!("s{i}")).await);
    }
    let acked = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for chat in chats.clone() {
        let acked = acked.clone();
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < deadline {
                let Ok(mut m) = chat.create_text_message("sink", "C2C", &format!("t{n}")) else {
                    break;
                };
                if chat
                    .send_message(&mut m, &SendOptions::default())
                    .await
                    .is_ok()
                {
                    acked.fetch_add(1, Ordering::Relaxed);
                }
                n += 1;
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let total = acked.load(Ordering::Relaxed);
    let elapsed = start.elapsed();
    for chat in chats.iter().chain(std::iter::once(&receiver)) {
        let _ = chat.logout().await;
    }
    (total as f64 / elapsed.as_secs_f64(), total)
}

async fn latency(url: &str, rate: u64, seconds: u64) -> Histogram<u64> {
    // Many users each sending a little, as in real traffic: one connection's
    // requests are handled in order, so a few hot senders would measure queueing.
    let senders = 100usize;
    let receiver = client(url, "lat-sink").await;
    let mut events = receiver.events();
    let origin = Instant::now();
    let total = rate * seconds;
    let per_sender = total / senders as u64;
    let interval = Duration::from_secs_f64(senders as f64 / rate as f64);
    let mut chats = Vec::with_capacity(senders);
    for i in 0..senders {
        chats.push(client(url, &format!("l{i}")).await);
    }
    let mut tasks = Vec::new();
    for (i, chat) in chats.into_iter().enumerate() {
        // Spread the senders' ticks evenly: independent users are not in lockstep.
        let offset = interval.mul_f64(i as f64 / senders as f64);
        tasks.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + offset, interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
            for _ in 0..per_sender {
                tick.tick().await;
                let sent_at = origin.elapsed().as_micros();
                let Ok(mut m) = chat.create_text_message("lat-sink", "C2C", &sent_at.to_string())
                else {
                    break;
                };
                let chat = chat.clone();
                // Fire without waiting for the ack, to hold the rate.
                tokio::spawn(async move {
                    let _ = chat.send_message(&mut m, &SendOptions::default()).await;
                });
            }
        }));
    }
    let mut hist = Histogram::<u64>::new(3).expect("histogram");
    let expected = per_sender * senders as u64;
    let give_up = Instant::now() + Duration::from_secs(seconds + 30);
    while hist.len() < expected && Instant::now() < give_up {
        match tokio::time::timeout(Duration::from_secs(5), events.recv()).await {
            Ok(Ok(Event::MessageReceived(list))) => {
                let now = origin.elapsed().as_micros();
                for m in list {
                    if let Some(sent) = m.payload["text"]
                        .as_str()
                        .and_then(|t| t.parse::<u128>().ok())
                    {
                        let _ = hist.record((now.saturating_sub(sent)) as u64);
                    }
                }
            }
            Ok(Ok(_)) => {}
            Ok(Err(_)) | Err(_) => break,
        }
    }
    for t in tasks {
        let _ = t.await;
    }
    hist
}

/// Raw WebSocket member: logs in and counts pushed group messages.
async fn raw_member(
    url: String,
    user: String,
    counter: Arc<AtomicU64>,
) -> tokio::task::JoinHandle<()> {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("{url}/binfo?sdkappid={APP}"))
        .await
        .expect("connect");
    let login = json!({"head": {"servcmd": "im_open_status.wslogin", "seq": 1, "identifier": user, "usersig": sig(&user)}, "body": {}});
    ws.send(Ws::Binary(login.to_string().into_bytes().into()))
        .await
        .expect("login frame");
    let _ = ws.next().await;
    tokio::spawn(async move {
        while let Some(Ok(msg)) = ws.next().await {
            // After login only pushes arrive, and the server pushes each
            // group message in a frame of its own: one frame, one delivery.
            if matches!(msg, Ws::Binary(_)) {
                counter.fetch_add(1, Ordering::Relaxed);
            }
        }
    })
}

async fn fanout(
    server: &natter_server::RunningServer,
    members: usize,
    messages: usize,
) -> (f64, u64, Duration) {
    let url = server.ws_url();
    let admin =
        natter_sdk::account::AdminClient::with_key(&server.http_url(), APP, "administrator", KEY);
    let names: Vec<String> = (0..members).map(|i| format!("m{i}")).collect();
    for chunk in names.chunks(100) {
        admin
            .call(
                "im_open_login_svc",
                "multiaccount_import",
                &json!({"Accounts": chunk}),
            )
            .await
            .expect("import");
    }
    // Several speakers, as in a busy group: one connection's requests are
    // handled in order, so a single speaker would measure its own ack rate.
    let speakers: Vec<String> = (0..SPEAKERS).map(|i| format!("speaker{i}")).collect();
    let mut senders = Vec::new();
    for s in &speakers {
        senders.push(client(&url, s).await);
    }
    admin
        .call(
            "group_open_http_svc",
            "create_group",
            &json!({"Type": "Meeting", "Name": "Fan", "GroupId": "fan",
            "Owner_Account": "speaker0", "MaxMemberCount": members + SPEAKERS + 10}),
        )
        .await
        .expect("group");
    let speaker_list: Vec<_> = speakers[1..]
        .iter()
        .map(|n| json!({"Member_Account": n}))
        .collect();
    admin
        .call(
            "group_open_http_svc",
            "add_group_member",
            &json!({"GroupId": "fan", "MemberList": speaker_list}),
        )
        .await
        .expect("speakers");
    for chunk in names.chunks(500) {
        let list: Vec<_> = chunk.iter().map(|n| json!({"Member_Account": n})).collect();
        admin
            .call(
                "group_open_http_svc",
                "add_group_member",
                &json!({"GroupId": "fan", "MemberList": list}),
            )
            .await
            .expect("members");
    }
    let counter = Arc::new(AtomicU64::new(0));
    let mut readers = Vec::new();
    for n in &names {
        readers.push(raw_member(url.clone(), n.clone(), counter.clone()).await);
    }
    let expected = (members * messages) as u64;
    let start = Instant::now();
    for (s, chat) in senders.iter().enumerate() {
        let chat = chat.clone();
        let share = messages / SPEAKERS + usize::from(s < messages % SPEAKERS);
        tokio::spawn(async move {
            for i in 0..share {
                if let Ok(mut m) = chat.create_text_message("fan", "GROUP", &format!("f{s}-{i}")) {
                    let _ = chat.send_message(&mut m, &SendOptions::default()).await;
                }
            }
        });
    }
    let give_up = Instant::now() + Duration::from_secs(120);
    while counter.load(Ordering::Relaxed) < expected && Instant::now() < give_up {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let elapsed = start.elapsed();
    let delivered = counter.load(Ordering::Relaxed);
    for r in readers {
        r.abort();
    }
    (delivered as f64 / elapsed.as_secs_f64(), delivered, elapsed)
}

/// Median sign-in time (ms) for wrong passwords of known accounts and for
/// unknown accounts, each account tried up to its lock-out, alternating.
async fn passwords(server: &natter_server::RunningServer) -> (f64, f64) {
    const ACCOUNTS: usize = 4;
    const TRIES: usize = 4;
    let url = server.http_url();
    for i in 0..ACCOUNTS {
        natter_sdk::account::register(&url, &format!("known{i}"), "the-right-one", "")
            .await
            .expect("register");
    }
    let timed = |user: String| {
        let url = url.clone();
        async move {
            let start = Instant::now();
            let _ = natter_sdk::account::login_with_password(&url, &user, "a-wrong-one").await;
            start.elapsed().as_secs_f64() * 1000.0
        }
    };
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..ACCOUNTS {
        for _ in 0..TRIES {
            known.push(timed(format!("known{i}")).await);
            unknown.push(timed(format!("nobody{i}")).await);
        }
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    (median(known), median(unknown))
}

/// `VmRSS` or `VmHWM` of this process, in KiB.
fn memory_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// The child side of `upload`: uploads `file` with natter-sdk's tus
/// client (the one `send_message` uses; called directly because a message
/// would refuse a file over the reference's 100 MB), prints
/// `{"seconds", "idle_kib", "peak_kib"}`.
async fn upload_client(url: &str, file: &str) {
    use natter_sdk::upload::{MediaClient, UploadSpec, UploadState};
    let client = MediaClient::new(url, "uploader", &sig("uploader"));
    let idle = memory_kib("VmRSS:");
    let start = Instant::now();
    let spec = UploadSpec {
        kind: "file",
        file_name: "upload.bin",
        content_type: "application/octet-stream",
    };
    client
        .upload(
            std::path::Path::new(file),
            &spec,
            &mut UploadState::default(),
            std::sync::Arc::new(|_, _| {}),
            &tokio_util::sync::CancellationToken::new(),
        )
        .await
        .expect("the upload succeeds");
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{}",
        json!({"seconds": seconds, "idle_kib": idle, "peak_kib": memory_kib("VmHWM:")})
    );
}

/// The `upload` run, best of three each: (natter-sdk seconds, curl seconds,
/// client idle KiB, client peak KiB).
async fn upload(url: &str, mib: u64) -> (f64, f64, u64, u64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("upload.bin");
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).expect("file"));
        let block: Vec<u8> = (0..1024 * 1024u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        for _ in 0..mib {
            f.write_all(&block).expect("write");
        }
    }
    // curl: the Web SDK's path, an upload URL from pre_sig and one PUT.
    let curler = client(url, "curler").await;
    // Each timed upload starts with no dirty pages waiting to be written
    // (the test file's, the previous upload's): else whichever runs
    // second pays for the first one's write-back.
    let settle = || {
        let _ = std::process::Command::new("sync").status();
    };
    let curl_once = || async {
        settle();
        let slot = curler
            .call(
                "im_cos_msg.pre_sig",
                json!({"file_type": 255, "file_name": "x.bin"}),
            )
            .await
            .expect("pre_sig");
        let upload_url = slot["upload_url"].as_str().expect("upload_url").to_owned();
        let start = Instant::now();
        let status = std::process::Command::new("curl")
            .args(["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-T"])
            .arg(&path)
            .arg(&upload_url)
            .output()
            .expect("curl runs");
        assert_eq!(String::from_utf8_lossy(&status.stdout), "200", "curl's PUT");
        start.elapsed().as_secs_f64()
    };
    let sdk_once = || async {
        settle();
        let child = tokio::process::Command::new(std::env::current_exe().expect("this program"))
            .arg("--upload-client")
            .arg(url)
            .arg(&path)
            .output()
            .await
            .expect("the client runs");
        assert!(
            child.status.success(),
            "{}",
            String::from_utf8_lossy(&child.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&child.stdout).expect("the client's report")
    };
    // Alternating which goes first, so neither always meets the other's
    // write-back: the best of three each.
    let mut curl_best = f64::MAX;
    let mut report = serde_json::Value::Null;
    for round in 0..3 {
        if round % 2 == 0 {
            curl_best = curl_best.min(curl_once().await);
        }
        let r = sdk_once().await;
        if report.is_null() || r["seconds"].as_f64() < report["seconds"].as_f64() {
            report = r;
        }
        if round % 2 == 1 {
            curl_best = curl_best.min(curl_once().await);
        }
    }
    let curl_seconds = curl_best;
    (
        report["seconds"].as_f64().unwrap_or(0.0),
        curl_seconds,
        report["idle_kib"].as_u64().unwrap_or(0),
        report["peak_kib"].as_u64().unwrap_or(0),
    )
}

fn main() {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        if let Some(args) = &cli.upload_client {
            upload_client(&args[0], &args[1]).await;
            return;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        if cli.scenario == Scenario::Upload {
            let big = cli.upload_mib * 1024 * 1024 + 1;
            let server = start_server_with(
                &dir,
                natter_server::config::Limits {
                    file_upload_bytes: big,
                    ..Default::default()
                },
            )
            .await;
            let (sdk, curl, idle, peak) = upload(&server.ws_url(), cli.upload_mib).await;
            let mb = cli.upload_mib as f64 * 1.048_576;
            println!("| measurement | result |");
            println!("|---|---|");
            println!(
                "| upload of {} MiB on loopback: natter-sdk (tus) / curl -T (PUT) | **{:.0} MB/s** / {:.0} MB/s ({:.2} s / {:.2} s): **{:.0}%** of curl |",
                cli.upload_mib,
                mb / sdk,
                mb / curl,
                sdk,
                curl,
                100.0 * curl / sdk
            );
            println!(
                "| uploading client's memory: idle / peak / above idle | {:.1} MiB / {:.1} MiB / **{:.1} MiB** |",
                idle as f64 / 1024.0,
                peak as f64 / 1024.0,
                peak.saturating_sub(idle) as f64 / 1024.0
            );
            return;
        }
        let server = start_server(&dir).await;
        let url = server.ws_url();
        println!("| measurement | result |");
        println!("|---|---|");
        if matches!(cli.scenario, Scenario::All | Scenario::Throughput) {
            let (rate, total) = throughput(&url, cli.senders, cli.seconds).await;
            println!("| durable C2C sends/s ({} senders, {} s) | **{rate:.0}** ({total} acknowledged) |", cli.senders, cli.seconds);
        }
        if matches!(cli.scenario, Scenario::All | Scenario::Latency) {
            let h = latency(&url, cli.rate, cli.seconds).await;
            println!(
                "| send→receive latency at {} sends/s ({} s, {} msgs) | p50 **{:.2} ms**, p99 **{:.2} ms**, max {:.2} ms |",
                cli.rate,
                cli.seconds,
                h.len(),
                h.value_at_quantile(0.5) as f64 / 1000.0,
                h.value_at_quantile(0.99) as f64 / 1000.0,
                h.max() as f64 / 1000.0
            );
        }
        if matches!(cli.scenario, Scenario::All | Scenario::Passwords) {
            let (known, unknown) = passwords(&server).await;
            println!(
                "| password sign-in, median of 16 (wrong password / unknown account) | **{known:.1} ms** / **{unknown:.1} ms** |"
            );
        }
        if matches!(cli.scenario, Scenario::All | Scenario::Fanout) {
            let (rate, delivered, elapsed) = fanout(&server, cli.members, cli.group_messages).await;
            println!(
                "| fan-out deliveries/s ({} connected members, {} messages) | **{rate:.0}** ({delivered} in {:.2} s) |",
                cli.members,
                cli.group_messages,
                elapsed.as_secs_f64()
            );
        }
    });
}
