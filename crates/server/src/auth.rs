//! Authentication: UserSig checks, session keys (A2Key) and passwords.
//!
//! An A2Key is self-verifying — `base64url(user \n tiny_id \n issued_at \n
//! expires_at \n mac)` with an HMAC-SHA256 under a key derived from the app
//! secret — so it survives a server restart and works on every node that
//! shares the secret. It carries the issue time and expiry of the UserSig
//! that created it: it expires with that UserSig, and a revocation (kick,
//! account deletion) that refuses the UserSig refuses the A2Key too. The
//! revocation check itself needs the store: [`crate::state::AppState::check_not_revoked`].

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
    /// `TLS.time` of the UserSig the session began with.
    pub issued_at: u64,
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
        self.issue_user_sig_at(identifier, expire, unix_now())
    }

    /// A UserSig for `identifier` dated `time` (unix seconds), valid for `expire` seconds from then.
    pub fn issue_user_sig_at(&self, identifier: &str, expire: u64, time: u64) -> String {
        usersig::generate(self.sdkappid, &self.secret_key, identifier, expire, time)
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

    /// A session key for `user`, from a UserSig issued at `issued_at` that expires at `expires_at`.
    pub fn issue_a2(&self, user: &str, tiny_id: u64, issued_at: u64, expires_at: u64) -> String {
        let payload = format!("{user}\n{tiny_id}\n{issued_at}\n{expires_at}");
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
        let (Some(user), Some(tiny), Some(issued), Some(exp), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(invalid());
        };
        let claims = A2Claims {
            user: user.to_owned(),
            tiny_id: tiny.parse().map_err(|_| invalid())?,
            issued_at: issued.parse().map_err(|_| invalid())?,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a2_round_trip_and_tamper() {
        let auth = Auth::new(1, "k");
        let a2 = auth.issue_a2("alice", 7, 40, unix_now() + 100);
        let c = auth.verify_a2(&a2, Some("7")).unwrap();
        assert_eq!((c.user.as_str(), c.tiny_id, c.issued_at), ("alice", 7, 40));
        assert!(auth.verify_a2(&a2, Some("8")).is_err());
        assert!(Auth::new(1, "other").verify_a2(&a2, None).is_err());
        assert!(auth.verify_a2("garbage", None).is_err());
        let expired = auth.issue_a2("alice", 7, 0, 1);
        assert_eq!(auth.verify_a2(&expired, None).unwrap_err().code(), 70001);
    }
}
