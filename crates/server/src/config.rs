//! Server settings: a TOML file, overridden by `NATTER_*` environment
//! variables, falling back to safe local defaults.

use std::fs;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use rand::Rng;
use serde::Deserialize;

use crate::error::ServerError;

/// Default SDKAppID of a local server.
pub const DEFAULT_SDKAPPID: u64 = 1_400_000_000;
/// Default app administrator.
pub const DEFAULT_ADMIN: &str = "administrator";
/// Default listen address: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// File in the data dir that keeps a generated secret key.
pub const SECRET_KEY_FILE: &str = "secret.key";

/// What the TOML file may contain; every field is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub sdkappid: Option<u64>,
    pub secret_key: Option<String>,
    pub admin: Option<String>,
    /// Origin under which clients reach this server, e.g.
    /// `https://chat.example.com` behind a reverse proxy. Media URLs in
    /// messages start with it. Default: `http://<listen address>`.
    pub public_url: Option<String>,
    #[serde(default)]
    pub limits: Limits,
}

/// Resolved settings.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub sdkappid: u64,
    pub secret_key: String,
    pub admin: String,
    /// Set: the configured origin, without a trailing slash. `None`:
    /// `http://<bound address>` (see [`Config::public_url_for`]).
    pub public_url: Option<String>,
    pub limits: Limits,
}

/// What one client, account or address may use: the `[limits]` table of
/// the TOML file. Every field has a default fit for an internet-facing
/// server (`docs/security.md` explains each); a missing field keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// WebSocket sessions one account may have at once. Logging in once
    /// more ends the oldest session (the Web SDK hears a multi-device kick).
    pub sessions_per_user: usize,
    /// Bytes of replies and pushes queued for one connection. A push that
    /// does not fit closes the session (it resyncs on reconnect); a reply
    /// that does not fit waits, and the connection reads no more requests
    /// meanwhile.
    pub outbound_queue_bytes: usize,
    /// Seconds a socket may stay open without logging in.
    pub login_timeout_secs: u64,
    /// Seconds a connection may pass with no traffic either way. A
    /// listening client may send nothing while the server pushes (the Web
    /// SDK heartbeats only after 10 s without a frame from the server, and
    /// says `wshello` every 120 s), so the default leaves room for that.
    pub idle_timeout_secs: u64,
    /// TCP connections served at once; more wait in the kernel's backlog.
    pub max_connections: usize,
    /// TCP connections one source address may hold; more are closed at once.
    pub connections_per_address: usize,
    /// Seconds in which a C2C resend with the same sender, receiver and
    /// `MsgRandom` (and no `MsgSeq`) is answered with the first message.
    pub c2c_dedupe_window_secs: u64,
    /// Password accounts one source address may create per hour.
    pub registrations_per_address_per_hour: u32,
    /// Password hashes computed at once (Argon2id takes 19 MiB each).
    pub password_hashes_at_once: usize,
    /// Password checks that may wait for a hashing slot before new ones
    /// are refused (70169) rather than queued.
    pub password_hash_queue: usize,
    /// Largest upload of each kind, in bytes (the reference's limits:
    /// image and audio 20 MB, video and file 100 MB). A larger upload is
    /// refused before a byte of it is stored.
    pub image_upload_bytes: u64,
    pub audio_upload_bytes: u64,
    pub video_upload_bytes: u64,
    pub file_upload_bytes: u64,
    /// Seconds an unfinished upload is kept after its last byte arrived
    /// (tus `Upload-Expires`); then its bytes are deleted.
    pub upload_expiry_secs: u64,
    /// Seconds an upload URL handed out by `im_cos_msg.pre_sig` stays usable.
    pub upload_url_secs: u64,
    /// Days a media URL in a delivered message keeps working. Each delivery
    /// (push, sync, history) signs the URLs afresh for its conversation.
    pub download_token_days: u64,
}

/// The reference's megabyte (the Web SDK's `upload_size_limit` unit).
const MB: u64 = 1024 * 1024;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            sessions_per_user: 10,
            outbound_queue_bytes: 8 * 1024 * 1024,
            login_timeout_secs: 30,
            idle_timeout_secs: 300,
            max_connections: 10_000,
            connections_per_address: 256,
            c2c_dedupe_window_secs: 300,
            registrations_per_address_per_hour: 20,
            password_hashes_at_once: std::thread::available_parallelism().map_or(2, |n| n.get()),
            password_hash_queue: 64,
            image_upload_bytes: 20 * MB,
            audio_upload_bytes: 20 * MB,
            video_upload_bytes: 100 * MB,
            file_upload_bytes: 100 * MB,
            upload_expiry_secs: 24 * 3600,
            upload_url_secs: 15 * 60,
            download_token_days: 7,
        }
    }
}

impl Config {
    /// Reads `file` (if any) and the environment, and prepares the data dir
    /// (creating a secret key there when none is configured).
    pub fn load(file: Option<&Path>) -> Result<Config, ServerError> {
        let from_file = match file {
            Some(path) => {
                let text = fs::read_to_string(path).map_err(|source| ServerError::ConfigRead {
                    path: path.to_owned(),
                    source,
                })?;
                toml::from_str(&text).map_err(|source| ServerError::ConfigParse {
                    path: path.to_owned(),
                    source,
                })?
            }
            None => FileConfig::default(),
        };
        Self::resolve(from_file, |name| {
            std::env::var(name).ok().filter(|v| !v.is_empty())
        })
    }

    /// Merges file settings with `env` (a lookup, so tests need not touch the process env).
    pub fn resolve(
        file: FileConfig,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ServerError> {
        let listen_raw = env("NATTER_LISTEN")
            .or(file.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.into());
        let listen = listen_raw.parse().map_err(|_| ServerError::ConfigInvalid {
            name: "NATTER_LISTEN",
            value: listen_raw.clone(),
        })?;
        let data_dir = env("NATTER_DATA_DIR")
            .map(PathBuf::from)
            .or(file.data_dir)
            .unwrap_or_else(default_data_dir);
        let sdkappid = match env("NATTER_SDKAPPID") {
            Some(v) => v.parse().map_err(|_| ServerError::ConfigInvalid {
                name: "NATTER_SDKAPPID",
                value: v,
            })?,
            None => file.sdkappid.unwrap_or(DEFAULT_SDKAPPID),
        };
        let admin = env("NATTER_ADMIN")
            .or(file.admin)
            .unwrap_or_else(|| DEFAULT_ADMIN.into());
        if natter_proto::UserId::new(admin.clone()).is_err() {
            return Err(ServerError::ConfigInvalid {
                name: "NATTER_ADMIN",
                value: admin,
            });
        }
        create_private_dir(&data_dir)?;
        let secret_key = match env("NATTER_SECRET_KEY").or(file.secret_key) {
            Some(k) => k,
            None => load_or_create_secret(&data_dir)?,
        };
        let public_url = env("NATTER_PUBLIC_URL")
            .or(file.public_url)
            .map(|u| u.trim_end_matches('/').to_owned());
        if let Some(u) = &public_url {
            if !(u.starts_with("http://") || u.starts_with("https://")) || u.contains(['?', '#']) {
                return Err(ServerError::ConfigInvalid {
                    name: "NATTER_PUBLIC_URL",
                    value: u.clone(),
                });
            }
        }
        Ok(Config {
            listen,
            data_dir,
            sdkappid,
            secret_key,
            admin,
            public_url,
            limits: file.limits,
        })
    }

    /// The origin media URLs start with, once the server is bound to `addr`.
    pub fn public_url_for(&self, addr: SocketAddr) -> String {
        match &self.public_url {
            Some(u) => u.clone(),
            None if addr.ip().is_unspecified() => format!("http://127.0.0.1:{}", addr.port()),
            None => format!("http://{addr}"),
        }
    }
}

/// Creates `dir` (and its parents) and makes it private to this user: the
/// database in it holds messages and password hashes. An existing folder is
/// tightened too, so data dirs made by older versions (0755) are fixed.
pub fn create_private_dir(dir: &Path) -> Result<(), ServerError> {
    let failed = |source| ServerError::DataDir {
        path: dir.to_owned(),
        source,
    };
    fs::create_dir_all(dir).map_err(failed)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(failed)?;
    }
    Ok(())
}

/// `<user data dir>/natter/server`, or `./natter-data` when the OS has none.
pub fn default_data_dir() -> PathBuf {
    dirs::data_dir()
        .map(|d| d.join("natter").join("server"))
        .unwrap_or_else(|| PathBuf::from("natter-data"))
}

fn load_or_create_secret(data_dir: &Path) -> Result<String, ServerError> {
    let path = data_dir.join(SECRET_KEY_FILE);
    if let Ok(existing) = fs::read_to_string(&path) {
        let key = existing.trim().to_owned();
        if !key.is_empty() {
            return Ok(key);
        }
    }
    let bytes: [u8; 32] = rand::rng().random();
    let key: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(&path)
        .and_then(|mut f| f.write_all(key.as_bytes()).and_then(|_| f.sync_all()))
        .map_err(|source| ServerError::DataDir {
            path: path.clone(),
            source,
        })?;
    tracing::info!(path = %path.display(), "generated a new secret key");
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_file_and_secret_is_generated_once() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let data_s = data.to_string_lossy().to_string();
        let file = FileConfig {
            listen: Some("127.0.0.1:1".into()),
            sdkappid: Some(5),
            ..Default::default()
        };
        let env = |n: &str| match n {
            "NATTER_LISTEN" => Some("127.0.0.1:9999".to_string()),
            "NATTER_DATA_DIR" => Some(data_s.clone()),
            _ => None,
        };
        let c = Config::resolve(file, env).unwrap();
        assert_eq!(c.listen.port(), 9999);
        assert_eq!(c.sdkappid, 5);
        assert_eq!(c.admin, "administrator");
        assert_eq!(c.secret_key.len(), 64);
        let again = Config::resolve(FileConfig::default(), env).unwrap();
        assert_eq!(again.secret_key, c.secret_key, "the generated key is kept");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(data.join(SECRET_KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn limits_come_from_their_table_with_defaults_for_the_rest() {
        let file: FileConfig =
            toml::from_str("[limits]\nsessions_per_user = 3\nidle_timeout_secs = 60\n").unwrap();
        assert_eq!(
            file.limits,
            Limits {
                sessions_per_user: 3,
                idle_timeout_secs: 60,
                ..Limits::default()
            }
        );
        let none: FileConfig = toml::from_str("").unwrap();
        assert_eq!(none.limits, Limits::default());
        // A misspelt limit is an error, not a silently ignored setting.
        assert!(toml::from_str::<FileConfig>("[limits]\nsesions_per_user = 3\n").is_err());
    }

    #[test]
    fn bad_values_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_string_lossy().to_string();
        let env = |n: &str| match n {
            "NATTER_LISTEN" => Some("not an address".to_string()),
            "NATTER_DATA_DIR" => Some(d.clone()),
            _ => None,
        };
        assert!(matches!(
            Config::resolve(FileConfig::default(), env),
            Err(ServerError::ConfigInvalid { .. })
        ));
    }
}
