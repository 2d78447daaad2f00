//! `natter-cli`: send, listen, read history and administer a Natter server
//! from scripts. Output is JSON (one object per line for streams), in the
//! Web SDK's shapes, so other tools can consume it.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgGroup, Args, Parser, Subcommand};
use natter_media::capture::{self, RecordEvent, RecordOptions, Recorder, RecordingEnd};
use natter_media::{MediaError, VoiceFormat};
use natter_sdk::account::{self, AdminClient};
use natter_sdk::{types, Chat, ChatOptions, Event, OnProgress, SdkError, SendOptions};
use serde_json::{json, Value};

#[derive(Parser)]
#[command(
    name = "natter-cli",
    version,
    about = "A scriptable client for Natter (Tencent Cloud Chat compatible)"
)]
struct Cli {
    /// Server URL (ws://, wss://, http:// or https://).
    #[arg(
        long,
        env = "NATTER_SERVER",
        default_value = "ws://127.0.0.1:8080",
        global = true
    )]
    server: String,
    /// The app's SDKAppID.
    #[arg(
        long,
        env = "NATTER_SDKAPPID",
        default_value_t = 1_400_000_000,
        global = true
    )]
    sdkappid: u64,
    #[command(subcommand)]
    command: Command,
}

/// How a user logs in: a UserSig, or a password of a Natter account.
#[derive(Args)]
struct Login {
    /// User ID.
    #[arg(long, env = "NATTER_USER")]
    user: String,
    /// UserSig of the user.
    #[arg(long, env = "NATTER_USERSIG", conflicts_with = "password")]
    usersig: Option<String>,
    /// Password of a Natter account (instead of a UserSig).
    #[arg(long, env = "NATTER_PASSWORD")]
    password: Option<String>,
}

/// Admin credentials for REST commands.
#[derive(Args)]
struct Admin {
    /// Admin identifier.
    #[arg(long, env = "NATTER_ADMIN", default_value = "administrator")]
    admin: String,
    /// The server's secret key (signs an admin UserSig locally).
    #[arg(
        long,
        env = "NATTER_SECRET_KEY",
        required_unless_present = "admin_usersig"
    )]
    secret_key: Option<String>,
    /// A ready admin UserSig instead of the key.
    #[arg(long, env = "NATTER_ADMIN_USERSIG")]
    admin_usersig: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Send a text, image, file, video or audio message to a user (--to) or a
    /// group (--group); prints the sent message. Upload progress goes to
    /// stderr: a bar on a terminal, else JSON lines.
    #[command(group(ArgGroup::new("content").required(true).args(["text", "image", "file", "video", "audio"])))]
    Send {
        #[command(flatten)]
        login: Login,
        #[arg(long, conflicts_with = "group", required_unless_present = "group")]
        to: Option<String>,
        #[arg(long)]
        group: Option<String>,
        /// Send this image (JPEG, PNG, GIF, WebP, BMP) as an image message.
        #[arg(long, value_name = "PATH")]
        image: Option<PathBuf>,
        /// Send this file as a file message.
        #[arg(long, value_name = "PATH")]
        file: Option<PathBuf>,
        /// Send this video (MP4, MOV) as a video message.
        #[arg(long, value_name = "PATH")]
        video: Option<PathBuf>,
        /// Send this audio file (M4A, WAV, MP3) as a sound message; its
        /// duration is read from the file.
        #[arg(long, value_name = "PATH")]
        audio: Option<PathBuf>,
        /// Mention a group member (repeatable).
        #[arg(long = "at")]
        at: Vec<String>,
        /// Mention everyone in the group.
        #[arg(long)]
        at_all: bool,
        /// Deliver only to online receivers; not stored.
        #[arg(long)]
        online_only: bool,
        text: Option<String>,
    },
    /// List the input devices (microphones) as JSON.
    Devices,
    /// Record from an input device into --out (.m4a: AAC; .wav: PCM) for
    /// --seconds, or until interrupted; prints the recording's length,
    /// size and path as JSON.
    Record {
        /// How long to record, in seconds.
        #[arg(long)]
        seconds: f64,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// A device's id or name (see `devices`); the default device otherwise.
        #[arg(long)]
        device: Option<String>,
        /// Sample rate of the recording (16000 for voice; 44100 or 48000).
        #[arg(long, default_value_t = 16_000)]
        rate: u32,
    },
    /// Download a file of a message (its URL) to --out, byte-exact.
    Download {
        #[command(flatten)]
        login: Login,
        url: String,
        #[arg(long, value_name = "PATH")]
        out: PathBuf,
    },
    /// Print each received message as one JSON line until interrupted (or --count messages).
    Listen {
        #[command(flatten)]
        login: Login,
        #[arg(long)]
        count: Option<usize>,
    },
    /// Print a conversation's history, oldest first, one JSON message per line.
    History {
        #[command(flatten)]
        login: Login,
        /// Conversation ID: C2C<user> or GROUP<group>.
        conversation: String,
        /// Pages of 15 to read at most.
        #[arg(long, default_value_t = 10)]
        pages: usize,
    },
    /// Print the conversation list as JSON.
    Conversations {
        #[command(flatten)]
        login: Login,
    },
    /// Create a password account; prints a UserSig for it.
    Register {
        #[arg(long)]
        user: String,
        #[arg(long, env = "NATTER_PASSWORD")]
        password: String,
        #[arg(long, default_value = "")]
        nick: String,
    },
    /// Print a UserSig for USER signed with the secret key.
    Usersig {
        user: String,
        #[arg(long, env = "NATTER_SECRET_KEY")]
        secret_key: String,
        #[arg(long, default_value_t = 86_400)]
        expire: u64,
    },
    /// Create accounts (admin).
    AccountImport {
        #[command(flatten)]
        admin: Admin,
        users: Vec<String>,
    },
    /// Create a group (admin); prints its GroupId.
    GroupCreate {
        #[command(flatten)]
        admin: Admin,
        #[arg(long)]
        name: String,
        /// Work, Public or Meeting.
        #[arg(long = "type", default_value = "Work")]
        group_type: String,
        #[arg(long)]
        owner: Option<String>,
        #[arg(long)]
        group_id: Option<String>,
        /// Member to add (repeatable).
        #[arg(long = "member")]
        members: Vec<String>,
    },
    /// Call any REST command as admin: SERVICE COMMAND JSON-BODY.
    Rest {
        #[command(flatten)]
        admin: Admin,
        service: String,
        command: String,
        #[arg(default_value = "{}")]
        body: String,
    },
}

#[derive(Debug)]
struct CliError {
    code: u32,
    /// The HTTP status of a refused upload or download.
    status: Option<u16>,
    message: String,
}

impl From<SdkError> for CliError {
    fn from(e: SdkError) -> Self {
        let status = match &e {
            SdkError::Http { status, .. } => Some(*status),
            _ => None,
        };
        CliError {
            code: e.code(),
            status,
            message: e.to_string(),
        }
    }
}

impl From<MediaError> for CliError {
    fn from(e: MediaError) -> Self {
        CliError {
            code: e.code(),
            status: None,
            message: e.to_string(),
        }
    }
}

fn usage(message: impl Into<String>) -> CliError {
    CliError {
        code: 0,
        status: None,
        message: message.into(),
    }
}

/// Progress on stderr: a bar on a terminal, JSON lines for scripts.
fn progress_reporter(label: &str) -> (OnProgress, Option<indicatif::ProgressBar>) {
    if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_message(label.to_owned());
        let b = bar.clone();
        let report = OnProgress::new(move |p| {
            b.set_length(p.total);
            b.set_position(p.bytes);
        });
        (report, Some(bar))
    } else {
        let report = OnProgress::new(|p| {
            eprintln!(
                "{}",
                json!({"progress": (p.fraction() * 1000.0).round() / 1000.0, "bytes": p.bytes, "total": p.total})
            );
        });
        (report, None)
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter("warn")
        .init();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let mut report = json!({"code": e.code, "message": e.message});
            if let Some(status) = e.status {
                report["status"] = json!(status);
            }
            eprintln!("{report}");
            ExitCode::FAILURE
        }
    }
}

async fn login(cli: &Cli, login: &Login) -> Result<Chat, CliError> {
    let sig = match (&login.usersig, &login.password) {
        (Some(s), _) => s.clone(),
        (None, Some(p)) => {
            account::login_with_password(&cli.server, &login.user, p)
                .await?
                .user_sig
        }
        (None, None) => return Err(usage("give --usersig or --password")),
    };
    let chat = Chat::create(ChatOptions::new(&cli.server, cli.sdkappid));
    chat.login(&login.user, &sig).await?;
    Ok(chat)
}

fn admin_client(cli: &Cli, admin: &Admin) -> AdminClient {
    match (&admin.admin_usersig, &admin.secret_key) {
        (Some(sig), _) => AdminClient::new(&cli.server, cli.sdkappid, &admin.admin, sig),
        (None, key) => AdminClient::with_key(
            &cli.server,
            cli.sdkappid,
            &admin.admin,
            key.as_deref().unwrap_or_default(),
        ),
    }
}

fn print(v: &impl serde::Serialize) {
    match serde_json::to_string(v) {
        Ok(s) => println!("{s}"),
        Err(e) => eprintln!("cannot print: {e}"),
    }
}

async fn run(cli: Cli) -> Result<(), CliError> {
    match &cli.command {
        Command::Send {
            login: l,
            to,
            group,
            image,
            file,
            video,
            audio,
            at,
            at_all,
            online_only,
            text,
        } => {
            let (target, conversation_type) = match (to, group) {
                (Some(user), _) => (user.as_str(), types::CONV_C2C),
                (None, Some(g)) => (g.as_str(), types::CONV_GROUP),
                (None, None) => return Err(usage("give --to or --group")),
            };
            let mentions = !at.is_empty() || *at_all;
            if mentions && (conversation_type != types::CONV_GROUP || text.is_none()) {
                return Err(usage(
                    "@ mentions are for text messages to groups (--group)",
                ));
            }
            let chat = login(&cli, l).await?;
            let mut bar = None;
            let mut options = SendOptions {
                online_user_only: *online_only,
                ..SendOptions::default()
            };
            let created = match (text, image, file, video) {
                (Some(text), ..) if mentions => {
                    let mut list = at.clone();
                    if *at_all {
                        list.push(types::MSG_AT_ALL.to_owned());
                    }
                    chat.create_text_at_message(target, text, &list)
                }
                (Some(text), ..) => chat.create_text_message(target, conversation_type, text),
                (None, Some(path), ..) => {
                    chat.create_image_message(target, conversation_type, path)
                        .await
                }
                (None, None, Some(path), _) => {
                    chat.create_file_message(target, conversation_type, path)
                        .await
                }
                (None, None, None, Some(path)) => {
                    chat.create_video_message(target, conversation_type, path)
                        .await
                }
                (None, None, None, None) => match audio {
                    Some(path) => {
                        chat.create_audio_message(target, conversation_type, path)
                            .await
                    }
                    None => Err(SdkError::Media {
                        code: natter_proto::codes::FILE_EMPTY,
                        message: "nothing to send".into(),
                    }),
                },
            };
            let mut message = match created {
                Ok(m) => m,
                Err(e) => {
                    let _ = chat.logout().await;
                    return Err(e.into());
                }
            };
            if text.is_none() {
                let (report, b) = progress_reporter("upload");
                options.on_progress = Some(report);
                bar = b;
            }
            let sent = chat.send_message(&mut message, &options).await;
            if let Some(b) = bar {
                b.finish_and_clear();
            }
            let _ = chat.logout().await;
            sent?;
            print(&message);
        }
        Command::Devices => {
            let devices = tokio::task::spawn_blocking(capture::input_devices)
                .await
                .map_err(|e| usage(e.to_string()))??;
            let list: Vec<Value> = devices
                .iter()
                .map(|d| json!({"id": d.id, "name": d.name, "default": d.is_default}))
                .collect();
            print(&list);
        }
        Command::Record {
            seconds,
            out,
            device,
            rate,
        } => record(*seconds, out, device.clone(), *rate).await?,
        Command::Download { login: l, url, out } => {
            let chat = login(&cli, l).await?;
            let (report, bar) = progress_reporter("download");
            let result = chat.download_file(url, out, Some(&report)).await;
            if let Some(b) = bar {
                b.finish_and_clear();
            }
            let _ = chat.logout().await;
            let bytes = result?;
            print(&json!({"bytes": bytes, "path": out}));
        }
        Command::Listen { login: l, count } => {
            let chat = login(&cli, l).await?;
            let mut events = chat.events();
            let mut seen = 0usize;
            eprintln!("{}", json!({"listening": l.user}));
            loop {
                tokio::select! {
                    e = events.recv() => match e {
                        Ok(Event::MessageReceived(list)) => {
                            for m in list {
                                print(&m);
                                seen += 1;
                                if count.is_some_and(|c| seen >= c) {
                                    chat.logout().await?;
                                    return Ok(());
                                }
                            }
                        }
                        Ok(Event::KickedOut(reason)) => return Err(usage(format!("kicked out: {}", reason.as_str()))),
                        Ok(_) => {}
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => eprintln!("{}", json!({"lagged": n})),
                        Err(_) => return Ok(()),
                    },
                    _ = tokio::signal::ctrl_c() => {
                        chat.logout().await?;
                        return Ok(());
                    }
                }
            }
        }
        Command::History {
            login: l,
            conversation,
            pages,
        } => {
            let chat = login(&cli, l).await?;
            let mut all = Vec::new();
            let mut cursor: Option<String> = None;
            for _ in 0..*pages {
                let page = chat
                    .get_message_list(conversation, cursor.as_deref())
                    .await?;
                let mut older = page.message_list;
                older.extend(all);
                all = older;
                if page.is_completed {
                    break;
                }
                cursor = Some(page.next_req_message_id);
            }
            for m in &all {
                print(m);
            }
            chat.logout().await?;
        }
        Command::Conversations { login: l } => {
            let chat = login(&cli, l).await?;
            print(&chat.get_conversation_list()?);
            chat.logout().await?;
        }
        Command::Register {
            user,
            password,
            nick,
        } => {
            let issued = account::register(&cli.server, user, password, nick).await?;
            print(
                &json!({"UserID": issued.user_id, "UserSig": issued.user_sig, "SDKAppID": issued.sdkappid}),
            );
        }
        Command::Usersig {
            user,
            secret_key,
            expire,
        } => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            println!(
                "{}",
                natter_proto::usersig::generate(cli.sdkappid, secret_key, user, *expire, now)
            );
        }
        Command::AccountImport { admin, users } => {
            let client = admin_client(&cli, admin);
            print(
                &client
                    .call(
                        "im_open_login_svc",
                        "multiaccount_import",
                        &json!({"Accounts": users}),
                    )
                    .await?,
            );
        }
        Command::GroupCreate {
            admin,
            name,
            group_type,
            owner,
            group_id,
            members,
        } => {
            let client = admin_client(&cli, admin);
            let mut body = json!({"Type": group_type, "Name": name,
                "MemberList": members.iter().map(|m| json!({"Member_Account": m})).collect::<Vec<_>>()});
            if let Some(o) = owner {
                body["Owner_Account"] = json!(o);
            }
            if let Some(g) = group_id {
                body["GroupId"] = json!(g);
            }
            let r = client
                .call("group_open_http_svc", "create_group", &body)
                .await?;
            print(&json!({"GroupId": r["GroupId"]}));
        }
        Command::Rest {
            admin,
            service,
            command,
            body,
        } => {
            let body: Value = serde_json::from_str(body)
                .map_err(|e| usage(format!("the body is not JSON: {e}")))?;
            print(
                &admin_client(&cli, admin)
                    .call(service, command, &body)
                    .await?,
            );
        }
    }
    Ok(())
}

/// `natter-cli record`: until the maximum duration, a lost device, or ^C.
async fn record(
    seconds: f64,
    out: &std::path::Path,
    device: Option<String>,
    rate: u32,
) -> Result<(), CliError> {
    let format = VoiceFormat::of_path(out).ok_or(MediaError::UnsupportedAudio)?;
    if !(seconds > 0.0 && seconds <= 24.0 * 3600.0) {
        return Err(usage("--seconds must be more than 0"));
    }
    if ![8_000, 16_000, 22_050, 24_000, 32_000, 44_100, 48_000].contains(&rate) {
        return Err(usage(
            "--rate must be one of 8000, 16000, 22050, 24000, 32000, 44100, 48000",
        ));
    }
    let options = RecordOptions {
        device,
        format,
        sample_rate: rate,
        max_duration: std::time::Duration::from_secs_f64(seconds),
        input: None,
    };
    let (ended_tx, ended_rx) = tokio::sync::oneshot::channel();
    let mut ended_tx = Some(ended_tx);
    let path = out.to_owned();
    let recorder = tokio::task::spawn_blocking(move || {
        Recorder::start(&path, options, move |event| {
            if let RecordEvent::Ended(_) = event {
                if let Some(tx) = ended_tx.take() {
                    let _ = tx.send(());
                }
            }
        })
    })
    .await
    .map_err(|e| usage(e.to_string()))??;
    tokio::select! {
        _ = ended_rx => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    // Either it ended by itself (then `stop` just collects it) or ^C ends it.
    let recording = tokio::task::spawn_blocking(move || recorder.stop())
        .await
        .map_err(|e| usage(e.to_string()))??;
    let mut report = json!({
        "seconds": recording.file.duration_ms as f64 / 1000.0,
        "bytes": recording.file.bytes,
        "path": recording.file.path,
        "device": recording.device,
    });
    if let RecordingEnd::DeviceLost(reason) = &recording.end {
        report["deviceLost"] = json!(reason);
    }
    print(&report);
    Ok(())
}
