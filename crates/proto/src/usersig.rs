//! UserSig, compatible with Tencent's TLSSigAPIv2.
//!
//! `UserSig = subst(base64(zlib(JSON)))` where the JSON holds `TLS.ver`,
//! `TLS.identifier`, `TLS.sdkappid`, `TLS.expire`, `TLS.time` (and optionally
//! `TLS.userbuf`) and `TLS.sig = base64(HMAC-SHA256(key, content))`. The
//! signed content lists identifier, sdkappid, **time, expire** in that order,
//! one `name:value\n` line each. `subst` maps `+/=` to `*-_`.

use std::io::{Read, Write};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use flate2::Compression;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::error::ProtoError;

type HmacSha256 = Hmac<Sha256>;

/// Largest decoded UserSig accepted; real ones are a few hundred bytes.
const MAX_DECODED_LEN: u64 = 16 * 1024;

/// The fields of a decoded, verified UserSig.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSigClaims {
    pub identifier: String,
    pub sdkappid: u64,
    pub time: u64,
    pub expire: u64,
}

impl UserSigClaims {
    pub fn expires_at(&self) -> u64 {
        self.time.saturating_add(self.expire)
    }
}

fn content_to_sign(
    identifier: &str,
    sdkappid: u64,
    time: u64,
    expire: u64,
    userbuf: Option<&str>,
) -> String {
    let mut s = format!(
        "TLS.identifier:{identifier}\nTLS.sdkappid:{sdkappid}\nTLS.time:{time}\nTLS.expire:{expire}\n"
    );
    if let Some(buf) = userbuf {
        s.push_str(&format!("TLS.userbuf:{buf}\n"));
    }
    s
}

fn hmac_base64(key: &str, content: &str) -> String {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = match HmacSha256::new_from_slice(key.as_bytes()) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC-SHA256 takes keys of any length"),
    };
    mac.update(content.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

fn subst_encode(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '+' => '*',
            '/' => '-',
            '=' => '_',
            c => c,
        })
        .collect()
}

fn subst_decode(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '*' => '+',
            '-' => '/',
            '_' => '=',
            c => c,
        })
        .collect()
}

/// Generates a UserSig valid from `now` for `expire` seconds.
pub fn generate(sdkappid: u64, key: &str, identifier: &str, expire: u64, now: u64) -> String {
    let sig = hmac_base64(
        key,
        &content_to_sign(identifier, sdkappid, now, expire, None),
    );
    let doc = json!({
        "TLS.ver": "2.0",
        "TLS.identifier": identifier,
        "TLS.sdkappid": sdkappid,
        "TLS.expire": expire,
        "TLS.time": now,
        "TLS.sig": sig,
    });
    let mut enc = ZlibEncoder::new(Vec::new(), Compression::default());
    // Writing to a Vec cannot fail.
    let compressed = enc
        .write_all(doc.to_string().as_bytes())
        .and_then(|_| enc.finish())
        .unwrap_or_default();
    subst_encode(&STANDARD.encode(compressed))
}

/// Decodes a UserSig without checking it.
pub fn decode(user_sig: &str) -> Result<Value, ProtoError> {
    if user_sig.is_empty() {
        return Err(ProtoError::UserSigEmpty);
    }
    let raw = STANDARD
        .decode(subst_decode(user_sig.trim()))
        .map_err(|e| ProtoError::UserSigMalformed(format!("base64: {e}")))?;
    let mut json = Vec::new();
    ZlibDecoder::new(&raw[..])
        .take(MAX_DECODED_LEN)
        .read_to_end(&mut json)
        .map_err(|e| ProtoError::UserSigMalformed(format!("zlib: {e}")))?;
    serde_json::from_slice(&json).map_err(|e| ProtoError::UserSigMalformed(format!("json: {e}")))
}

/// Verifies a UserSig for `identifier` in app `sdkappid` at time `now`.
///
/// Checks in Tencent's order: decodable (70003), SDKAppID (70014),
/// identifier (70013), signature (70003), expiry (70001).
pub fn verify(
    user_sig: &str,
    sdkappid: u64,
    key: &str,
    identifier: &str,
    now: u64,
) -> Result<UserSigClaims, ProtoError> {
    let doc = decode(user_sig)?;
    let str_field = |name: &str| {
        doc.get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| ProtoError::UserSigMalformed(format!("{name} missing")))
    };
    let num_field = |name: &str| {
        doc.get(name)
            .and_then(Value::as_u64)
            .ok_or_else(|| ProtoError::UserSigMalformed(format!("{name} missing")))
    };
    let claims = UserSigClaims {
        identifier: str_field("TLS.identifier")?,
        sdkappid: num_field("TLS.sdkappid")?,
        time: num_field("TLS.time")?,
        expire: num_field("TLS.expire")?,
    };
    let sig = str_field("TLS.sig")?;
    let userbuf = doc.get("TLS.userbuf").and_then(Value::as_str);
    if claims.sdkappid != sdkappid {
        return Err(ProtoError::UserSigSdkAppIdMismatch {
            in_sig: claims.sdkappid,
            expected: sdkappid,
        });
    }
    if claims.identifier != identifier {
        return Err(ProtoError::UserSigIdentifierMismatch {
            in_sig: claims.identifier,
            requested: identifier.to_owned(),
        });
    }
    let content = content_to_sign(
        &claims.identifier,
        claims.sdkappid,
        claims.time,
        claims.expire,
        userbuf,
    );
    let expected = hmac_base64(key, &content);
    if !constant_time_eq(expected.as_bytes(), sig.as_bytes()) {
        return Err(ProtoError::UserSigBadSignature);
    }
    if now > claims.expires_at() {
        return Err(ProtoError::UserSigExpired {
            expired_at: claims.expires_at(),
        });
    }
    Ok(claims)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pinned vector of reference §5.2 (Python TLSSigAPIv2 at t=1700000000).
    const PINNED: &str = "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkEnMyk1NhUsUp2YkFBZkpQAlDEwMogMqlVhRkFqUCZSzMTOCCJZm5ICFDczTFxZnpIMOzXHN9Lcwtk-LNHf0Soyo889P0jbJNSgwL8y0cQ30tnAsrzbIKfTMtfDN8bZVqAevcMZM_";
    const USERBUF: &str = "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkEnMyk1NhUsUp2YkFBZkpQAlDEwMogMqlVhRkFqUCZSzMTOCCJZm5ICFDczTFpcWpRUmlaSALIsO9suDmZ6aDhPy8Q7Xz8xIjjb31vX0qjBP9c-PM87KNUyJdLIsKAswqqkK8jbOyfdLTig1slWoBoas4pw__";
    const APP: u64 = 1_400_000_000;
    const KEY: &str = "test-secret-key";

    #[test]
    fn pinned_vector_verifies() {
        let c = verify(PINNED, APP, KEY, "alice", 1_700_000_100).unwrap();
        assert_eq!(c.expires_at(), 1_700_086_400);
        assert_eq!(
            decode(PINNED).unwrap()["TLS.sig"],
            "jEmM879bo7ANaZxIof/2k4t1qo8AUM8Cqy6jqMi8MhM="
        );
    }

    #[test]
    fn userbuf_variant_verifies() {
        assert!(verify(USERBUF, APP, KEY, "alice", 1_700_000_100).is_ok());
    }

    #[test]
    fn failures_have_tencent_codes() {
        assert_eq!(
            verify(PINNED, APP, KEY, "alice", 1_700_086_401)
                .unwrap_err()
                .code(),
            70001
        );
        assert_eq!(
            verify(PINNED, APP, "wrong-key", "alice", 1_700_000_100)
                .unwrap_err()
                .code(),
            70003
        );
        assert_eq!(
            verify(PINNED, APP, KEY, "bob", 1_700_000_100)
                .unwrap_err()
                .code(),
            70013
        );
        assert_eq!(
            verify(PINNED, 1_400_000_001, KEY, "alice", 1_700_000_100)
                .unwrap_err()
                .code(),
            70014
        );
        assert_eq!(verify("", APP, KEY, "alice", 0).unwrap_err().code(), 70002);
        assert_eq!(
            verify("not a sig!", APP, KEY, "alice", 0)
                .unwrap_err()
                .code(),
            70003
        );
        assert_eq!(
            verify(&PINNED[..40], APP, KEY, "alice", 0)
                .unwrap_err()
                .code(),
            70003
        );
    }

    #[test]
    fn generated_sig_matches_the_pinned_signature_and_verifies() {
        let ours = generate(APP, KEY, "alice", 86_400, 1_700_000_000);
        assert_eq!(
            decode(&ours).unwrap()["TLS.sig"],
            decode(PINNED).unwrap()["TLS.sig"]
        );
        assert!(verify(&ours, APP, KEY, "alice", 1_700_000_000).is_ok());
    }
}
