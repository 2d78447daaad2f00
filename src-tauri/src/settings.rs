//! What the app remembers between launches, in its data folder:
//!
//! - `settings.json`: the server (absent = the built-in one) and the last user,
//!   to prefill the sign-in form;
//! - `credentials.json`, readable by the owner only (0600): the UserSig of the
//!   signed-in user, so the next launch signs in without a password.
//!
//! Files are replaced atomically (write a temporary file, then rename), so a
//! crash never leaves half a file. A file that cannot be read is treated as
//! absent (and logged): losing a remembered sign-in is better than not starting.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{DesktopError, Result};

const SETTINGS_FILE: &str = "settings.json";
const CREDENTIALS_FILE: &str = "credentials.json";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    /// `None`: the server built into the app.
    pub server_url: Option<String>,
    pub last_user: Option<String>,
}

/// A signed-in user's UserSig, kept so the next launch can sign in again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Credentials {
    /// `None`: the server built into the app.
    pub server_url: Option<String>,
    pub user_id: String,
    pub user_sig: String,
    pub sdkappid: u64,
}

/// The settings files of one user profile (one data folder).
#[derive(Debug, Clone)]
pub struct Profile {
    dir: PathBuf,
}

impl Profile {
    pub fn new(dir: PathBuf) -> Self {
        Profile { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn settings(&self) -> Settings {
        read_json(&self.dir.join(SETTINGS_FILE)).unwrap_or_default()
    }

    pub fn save_settings(&self, settings: &Settings) -> Result<()> {
        write_private_json(&self.dir.join(SETTINGS_FILE), settings)
    }

    pub fn credentials(&self) -> Option<Credentials> {
        read_json(&self.dir.join(CREDENTIALS_FILE))
    }

    pub fn save_credentials(&self, credentials: &Credentials) -> Result<()> {
        write_private_json(&self.dir.join(CREDENTIALS_FILE), credentials)
    }

    pub fn forget_credentials(&self) -> Result<()> {
        match fs::remove_file(self.dir.join(CREDENTIALS_FILE)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(DesktopError::Storage {
                path: self.dir.join(CREDENTIALS_FILE),
                source: e,
            }),
            _ => Ok(()),
        }
    }
}

fn read_json<T: DeserializeOwned>(path: &Path) -> Option<T> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            tracing::warn!("cannot read {}: {e}", path.display());
            return None;
        }
    };
    match serde_json::from_slice(&bytes) {
        Ok(v) => Some(v),
        Err(e) => {
            tracing::warn!("ignoring unreadable {}: {e}", path.display());
            None
        }
    }
}

/// Writes `value` to `path` atomically, readable and writable by the owner only.
fn write_private_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let storage = |source| DesktopError::Storage {
        path: path.to_owned(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(storage)?;
    let mut file = tempfile::Builder::new()
        .prefix(".natter-")
        .tempfile_in(dir)
        .map_err(storage)?;
    // `tempfile` creates the file with mode 0600 on Unix.
    let bytes = serde_json::to_vec_pretty(value).map_err(|e| storage(e.into()))?;
    file.write_all(&bytes).map_err(storage)?;
    file.as_file().sync_all().map_err(storage)?;
    file.persist(path).map_err(|e| storage(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials() -> Credentials {
        Credentials {
            server_url: Some("ws://chat.example:8080".into()),
            user_id: "alice".into(),
            user_sig: "eJw-secret".into(),
            sdkappid: 1400000000,
        }
    }

    #[test]
    fn settings_and_credentials_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let profile = Profile::new(dir.path().join("natter"));
        assert_eq!(profile.settings(), Settings::default());
        assert_eq!(profile.credentials(), None);

        let settings = Settings {
            server_url: None,
            last_user: Some("alice".into()),
        };
        profile.save_settings(&settings).unwrap();
        profile.save_credentials(&credentials()).unwrap();
        assert_eq!(profile.settings(), settings);
        assert_eq!(profile.credentials(), Some(credentials()));

        profile.forget_credentials().unwrap();
        assert_eq!(profile.credentials(), None);
        profile.forget_credentials().unwrap();
        assert_eq!(profile.settings(), settings, "settings outlive a sign-out");
    }

    #[cfg(unix)]
    #[test]
    fn credentials_are_private_to_the_owner() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let profile = Profile::new(dir.path().to_owned());
        profile.save_credentials(&credentials()).unwrap();
        let mode = fs::metadata(dir.path().join(CREDENTIALS_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_corrupt_file_counts_as_absent_and_is_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let profile = Profile::new(dir.path().to_owned());
        fs::write(dir.path().join(CREDENTIALS_FILE), b"{\"userId\": \"al").unwrap();
        fs::write(dir.path().join(SETTINGS_FILE), b"\xff\xfe").unwrap();
        assert_eq!(profile.credentials(), None);
        assert_eq!(profile.settings(), Settings::default());

        profile.save_credentials(&credentials()).unwrap();
        assert_eq!(profile.credentials(), Some(credentials()));
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(".natter-"))
            .collect();
        assert!(leftovers.is_empty(), "no temporary files left behind");
    }
}
