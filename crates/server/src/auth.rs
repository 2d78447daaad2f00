//! Authentication: UserSig checks, session keys (A2Key) and passwords.
//!
//! An A2Key is self-verifying — `base64url(user \n tiny_id \n expires_at \n mac)`
//! with an HMAC-SHA256 under a key derived from the app secret — so it
//! survives a server restart and works on every node that shares the secret.
//! It expires when the UserSig that created it expires.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use natter_proto::usersig::{self, UserSigClaims};
use sha2::Sha256;

use crate::error::{Result, ServerError};

/// A verified session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct A2Claims {
    pub user: String,
    pub tiny_id: u64,
    pub expires_at: u64,
}

pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Issues and checks credentials for one app.
#[derive(Clone)]
pub struct Auth {
    sdkappid: u64,
    secret_key: String,
}

impl Auth {
    pub fn new(sdkappid: u64, secret_key: impl Into<String>) -> Self {
        Auth {
            sdkappid,
            secret_key: secret_key.into(),
        }
    }

    pub fn sdkappid(&self) -> u64 {
        self.sdkappid
    }

    /// Verifies `user_sig` for `identifier` now.
    pub fn verify_user_sig(&self, identifier: &str, user_sig: &str) -> Result<UserSigClaims> {
        Ok(usersig::verify(
            user_sig,
            self.sdkappid,
            &self.secret_key,
            identifier,
            unix_now(),
        )?)
    }

    /// A new UserSig for `identifier`, valid for `expire` seconds.
    pub fn issue_user_sig(&self, identifier: &str, expire: u64) -> String {
        usersig::generate(
            self.sdkappid,
            &self.secret_key,
            identifier,
            expire,
            unix_now(),
        )
    }

    fn mac(&self, payload: &str) -> Vec<u8> {
        let mut mac = match Hmac::<Sha256>::new_from_slice(
            format!("natter-a2\n{}", self.secret_key).as_bytes(),
        ) {
            Ok(m) => m,
            Err(_) => unreachable!("HMAC-SHA256 takes keys of any length"),
        };
        mac.update(payload.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// A session key for `user`.
    pub fn issue_a2(&self, user: &str, tiny_id: u64, expires_at: u64) -> String {
        let payload = format!("{user}\n{tiny_id}\n{expires_at}");
        let mac = URL_SAFE_NO_PAD.encode(self.mac(&payload));
        URL_SAFE_NO_PAD.encode(format!("{payload}\n{mac}"))
    }

    /// Checks a session key; `tiny_id` (from the frame head) must match when given.
    pub fn verify_a2(&self, a2: &str, tiny_id: Option<&str>) -> Result<A2Claims> {
        let invalid =
            || ServerError::bad_request(natter_proto::codes::USERSIG_INVALID, "invalid A2Key");
        let raw = URL_SAFE_NO_PAD.decode(a2).map_err(|_| invalid())?;
        let text = String::from_utf8(raw).map_err(|_| invalid())?;
        let (payload, mac) = text.rsplit_once('\n').ok_or_else(invalid)?;
        let expected = URL_SAFE_NO_PAD.encode(self.mac(payload));
        if expected.len() != mac.len()
            || expected
                .bytes()
                .zip(mac.bytes())
                .fold(0u8, |a, (x, y)| a | (x ^ y))
                != 0
        {
            return Err(invalid());
        }
        let mut parts = payload.split('\n');
        let (Some(user), Some(tiny), Some(exp), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        let claims = A2Claims {
            user: user.to_owned(),
            tiny_id: tiny.parse().map_err(|_| invalid())?,
            expires_at: exp.parse().map_err(|_| invalid())?,
        };
        if let Some(t) = tiny_id {
            if t != tiny {
                return Err(invalid());
            }
        }
        if unix_now() > claims.expires_at {
            return Err(ServerError::SessionExpired);
        }
        Ok(claims)
    }
}

/// Limits password guessing: after `max_failures` wrong passwords for an
/// account within `window`, further attempts fail with 70050 until the
/// window has passed since the first failure.
pub struct LoginThrottle {
    failures: std::sync::Mutex<std::collections::HashMap<String, (u32, std::time::Instant)>>,
    max_failures: u32,
    window: std::time::Duration,
}

impl LoginThrottle {
    /// Entries kept before expired ones are swept.
    const SWEEP_AT: usize = 10_000;

    pub fn new(max_failures: u32, window: std::time::Duration) -> Self {
        LoginThrottle {
            failures: Default::default(),
            max_failures,
            window,
        }
    }

    fn map(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, (u32, std::time::Instant)>>
    {
        self.failures.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Fails with 70050 while `user` is locked out.
    pub fn check(&self, user: &str) -> Result<()> {
        let mut map = self.map();
        match map.get(user) {
            Some((n, since)) if since.elapsed() < self.window && *n >= self.max_failures => {
                Err(ServerError::TooManyAttempts)
            }
            Some((_, since)) if since.elapsed() >= self.window => {
                map.remove(user);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    pub fn failed(&self, user: &str) {
        let mut map = self.map();
        if map.len() >= Self::SWEEP_AT {
            let window = self.window;
            map.retain(|_, (_, since)| since.elapsed() < window);
        }
        let entry = map
            .entry(user.to_owned())
            .or_insert((0, std::time::Instant::now()));
        entry.0 += 1;
    }

    pub fn succeeded(&self, user: &str) {
        self.map().remove(user);
    }
}

/// Hashes a password with Argon2id (CPU-heavy: call off the async runtime).
pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| {
            ServerError::bad_request(
                natter_proto::codes::ACCOUNT_INVALID_PARAMETER,
                e.to_string(),
            )
        })
}

/// Checks a password against a stored hash (CPU-heavy: call off the async runtime).
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a2_round_trip_and_tamper() {
        let auth = Auth::new(1, "k");
        let a2 = auth.issue_a2("alice", 7, unix_now() + 100);
        let c = auth.verify_a2(&a2, Some("7")).unwrap();
        assert_eq!((c.user.as_str(), c.tiny_id), ("alice", 7));
        assert!(auth.verify_a2(&a2, Some("8")).is_err());
        assert!(Auth::new(1, "other").verify_a2(&a2, None).is_err());
        assert!(auth.verify_a2("garbage", None).is_err());
        let expired = auth.issue_a2("alice", 7, 1);
        assert_eq!(auth.verify_a2(&expired, None).unwrap_err().code(), 70001);
    }

    #[test]
    fn throttle_locks_out_after_repeated_failures() {
        let t = LoginThrottle::new(3, std::time::Duration::from_millis(200));
        for _ in 0..3 {
            assert!(t.check("eve").is_ok());
            t.failed("eve");
        }
        assert_eq!(t.check("eve").unwrap_err().code(), 70050);
        assert!(t.check("bob").is_ok(), "other accounts are not affected");
        std::thread::sleep(std::time::Duration::from_millis(250));
        assert!(t.check("eve").is_ok(), "the lock-out ends with its window");
        t.failed("bob");
        t.succeeded("bob");
        assert!(t.map().get("bob").is_none());
    }

    #[test]
    fn passwords() {
        let h = hash_password("correct horse").unwrap();
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
    }
}
