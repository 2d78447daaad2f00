//! Media URLs: how they look, and the tokens that authorise them.
//!
//! A media URL is `<public_url>/media/<key>[.<ext>][?<query>]`. Stored
//! messages hold it *without* a token. Every time a message leaves the
//! server (push, sync, history) its media URLs get a `token=` parameter
//! signed for the conversation it travels in and valid for
//! `download_token_days` (rounded up to a whole day, so a group push is
//! encoded once and a URL stays stable — and cacheable — for a day). The
//! uploader gets an owner token with the upload URL. A download needs a
//! valid token for the key: only members of a conversation that carried
//! the file (or its uploader) ever see one. A token a client sends back
//! inside a message is stripped before the message is stored.
//!
//! Tokens: `<expiry>.<scope>.<signature>`, the scope being `u<user>`
//! (uploader), `c<user>\n<user>` (C2C pair) or `g<group>` (base64url after
//! the letter), the signature HMAC-SHA256 over key, scope and expiry with
//! a key derived from the server's secret, cut to 128 bits.

use std::borrow::Cow;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use natter_proto::element::Element;
use natter_proto::MsgItem;
use sha2::Sha256;

use crate::error::{Result, ServerError};

/// The query parameter that carries a token.
pub const TOKEN_PARAM: &str = "token";
const DAY: u64 = 24 * 3600;

/// Who a download token was issued to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Uploader(String),
    C2c(String, String),
    Group(String),
}

impl Scope {
    fn encode(&self) -> String {
        match self {
            Scope::Uploader(u) => format!("u{}", URL_SAFE_NO_PAD.encode(u)),
            Scope::C2c(a, b) => {
                let (a, b) = if a <= b { (a, b) } else { (b, a) };
                format!("c{}", URL_SAFE_NO_PAD.encode(format!("{a}\n{b}")))
            }
            Scope::Group(g) => format!("g{}", URL_SAFE_NO_PAD.encode(g)),
        }
    }

    fn decode(text: &str) -> Option<Scope> {
        let tag = text.chars().next()?;
        let raw = URL_SAFE_NO_PAD.decode(&text[tag.len_utf8()..]).ok()?;
        let raw = String::from_utf8(raw).ok()?;
        match tag {
            'u' => Some(Scope::Uploader(raw)),
            'c' => {
                let (a, b) = raw.split_once('\n')?;
                Some(Scope::C2c(a.to_owned(), b.to_owned()))
            }
            'g' => Some(Scope::Group(raw)),
            _ => None,
        }
    }

    /// The scope of the conversation a message travels in.
    pub fn of_item(item: &MsgItem) -> Scope {
        match &item.to_group_id {
            Some(g) => Scope::Group(g.clone()),
            None => Scope::C2c(
                item.from_account.clone(),
                item.to_account.clone().unwrap_or_default(),
            ),
        }
    }
}

/// Makes and checks media URLs and their tokens.
#[derive(Clone)]
pub struct MediaUrls {
    /// `<public_url>/media/`
    prefix: String,
    public_url: String,
    key: [u8; 32],
    token_days: u64,
}

impl std::fmt::Debug for MediaUrls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaUrls")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// True for the 32 lowercase hex digits of a media key.
pub fn is_key(key: &str) -> bool {
    key.len() == 32 && key.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl MediaUrls {
    pub fn new(public_url: &str, server_secret: &str, token_days: u64) -> MediaUrls {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(server_secret.as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(b"natter media tokens v1");
        MediaUrls {
            prefix: format!("{public_url}/media/"),
            public_url: public_url.to_owned(),
            key: mac.finalize().into_bytes().into(),
            token_days: token_days.max(1),
        }
    }

    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    fn sign(&self, parts: &[&[u8]]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        for p in parts {
            mac.update(&(p.len() as u64).to_be_bytes());
            mac.update(p);
        }
        URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..16])
    }

    /// The canonical URL of an object: `<public>/media/<key>.<ext>`.
    pub fn canonical(&self, key: &str, ext: &str) -> String {
        if ext.is_empty() {
            format!("{}{key}", self.prefix)
        } else {
            format!("{}{key}.{ext}", self.prefix)
        }
    }

    /// The token-bearing URL the Web SDK PUTs the object to.
    pub fn upload_url(&self, key: &str, expires_at: u64) -> String {
        let sig = self.sign(&[b"put", key.as_bytes(), &expires_at.to_be_bytes()]);
        format!("{}put/{key}?{TOKEN_PARAM}={expires_at}.{sig}", self.prefix)
    }

    /// Checks the token of an upload URL.
    pub fn check_upload_token(&self, key: &str, token: &str, now: u64) -> Result<()> {
        let (expiry, sig) = token
            .split_once('.')
            .ok_or_else(|| ServerError::MediaForbidden("malformed upload token".into()))?;
        let expires_at: u64 = expiry
            .parse()
            .map_err(|_| ServerError::MediaForbidden("malformed upload token".into()))?;
        if self.sign(&[b"put", key.as_bytes(), &expires_at.to_be_bytes()]) != sig {
            return Err(ServerError::MediaForbidden("wrong upload token".into()));
        }
        if now > expires_at {
            return Err(ServerError::MediaLinkExpired);
        }
        Ok(())
    }

    /// A download token for `key` and `scope`, valid for the configured
    /// days (counted from the start of today, plus one day).
    pub fn download_token(&self, key: &str, scope: &Scope, now: u64) -> String {
        let expires_at = (now / DAY + self.token_days + 1) * DAY;
        let scope = scope.encode();
        let sig = self.sign(&[
            b"get",
            key.as_bytes(),
            scope.as_bytes(),
            &expires_at.to_be_bytes(),
        ]);
        format!("{expires_at}.{scope}.{sig}")
    }

    /// Checks a download token for `key`; returns whom it was issued to.
    pub fn check_download_token(&self, key: &str, token: &str, now: u64) -> Result<Scope> {
        let bad = || ServerError::MediaForbidden("the link's token is not valid".into());
        let mut parts = token.splitn(3, '.');
        let (Some(expiry), Some(scope), Some(sig)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let expires_at: u64 = expiry.parse().map_err(|_| bad())?;
        let expected = self.sign(&[
            b"get",
            key.as_bytes(),
            scope.as_bytes(),
            &expires_at.to_be_bytes(),
        ]);
        if expected != sig {
            return Err(bad());
        }
        if now > expires_at {
            return Err(ServerError::MediaLinkExpired);
        }
        Scope::decode(scope).ok_or_else(bad)
    }

    /// The key of a URL that points at this server's media, if it does.
    pub fn key_of<'a>(&self, url: &'a str) -> Option<&'a str> {
        let rest = url.strip_prefix(&self.prefix)?;
        let file = rest.split(['?', '#']).next().unwrap_or_default();
        let key = file.split('.').next().unwrap_or_default();
        (is_key(key) && !file.contains('/')).then_some(key)
    }

    /// `url` with any token removed, if it is one of ours; else unchanged.
    fn strip(&self, url: &str) -> Option<String> {
        self.key_of(url)?;
        let Some((path, query)) = url.split_once('?') else {
            return Some(url.to_owned());
        };
        let kept: Vec<&str> = query
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("token="))
            .collect();
        Some(if kept.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{}", kept.join("&"))
        })
    }

    /// Removes tokens from this server's media URLs in a body a client
    /// sends, so stored messages hold canonical URLs. True if any changed.
    pub fn strip_tokens(&self, body: &mut [Element]) -> bool {
        let mut changed = false;
        for_each_url(body, &mut |url| {
            if let Some(clean) = self.strip(url) {
                if clean != *url {
                    *url = clean;
                    changed = true;
                }
            }
        });
        changed
    }

    /// `item` with its media URLs signed for its conversation (borrowed
    /// unchanged when it has none).
    pub fn signed<'a>(&self, item: &'a MsgItem, now: u64) -> Cow<'a, MsgItem> {
        if !has_media_url(&item.msg_body, self) {
            return Cow::Borrowed(item);
        }
        let scope = Scope::of_item(item);
        let mut item = item.clone();
        for_each_url(&mut item.msg_body, &mut |url| {
            if let (Some(clean), Some(key)) = (self.strip(url), self.key_of(url)) {
                let token = self.download_token(key, &scope, now);
                let sep = if clean.contains('?') { '&' } else { '?' };
                *url = format!("{clean}{sep}{TOKEN_PARAM}={token}");
            }
        });
        Cow::Owned(item)
    }
}

fn has_media_url(body: &[Element], urls: &MediaUrls) -> bool {
    body.iter().any(|element| match element {
        Element::Image(i) => i
            .image_info_array
            .iter()
            .any(|x| urls.key_of(&x.url).is_some()),
        Element::Sound(s) => urls.key_of(&s.url).is_some(),
        Element::File(f) => urls.key_of(&f.url).is_some(),
        Element::Video(v) => {
            urls.key_of(&v.video_url).is_some() || urls.key_of(&v.thumb_url).is_some()
        }
        Element::Relay(r) => r
            .msg_list
            .iter()
            .flatten()
            .any(|m| has_media_url(&m.msg_body, urls)),
        _ => false,
    })
}

/// Calls `f` on every URL field of the media elements of `body`, merged
/// messages included.
pub fn for_each_url(body: &mut [Element], f: &mut impl FnMut(&mut String)) {
    for element in body {
        match element {
            Element::Image(i) => i.image_info_array.iter_mut().for_each(|x| f(&mut x.url)),
            Element::Sound(s) => f(&mut s.url),
            Element::File(x) => f(&mut x.url),
            Element::Video(v) => {
                f(&mut v.video_url);
                f(&mut v.thumb_url);
            }
            Element::Relay(r) => {
                for m in r.msg_list.iter_mut().flatten() {
                    for_each_url(&mut m.msg_body, f);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use natter_proto::element::{FileElem, ImageElem, ImageInfo};

    fn urls() -> MediaUrls {
        MediaUrls::new("http://h:1", "secret", 7)
    }
    const KEY: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn download_tokens_bind_key_scope_and_expiry() {
        let u = urls();
        let scope = Scope::Group("g1".into());
        let t = u.download_token(KEY, &scope, 1_000_000);
        assert_eq!(u.check_download_token(KEY, &t, 1_000_000).unwrap(), scope);
        let other_key = "f".repeat(32);
        assert_eq!(
            u.check_download_token(&other_key, &t, 1_000_000)
                .unwrap_err()
                .code(),
            70003
        );
        // Another scope with the same signature does not pass.
        let forged = t.replace(
            &Scope::Group("g1".into()).encode(),
            &Scope::Group("g2".into()).encode(),
        );
        assert!(u.check_download_token(KEY, &forged, 1_000_000).is_err());
        let late = 1_000_000 + 9 * DAY;
        assert_eq!(
            u.check_download_token(KEY, &t, late).unwrap_err().code(),
            70001
        );
        let other_server = MediaUrls::new("http://h:1", "other", 7);
        assert!(other_server
            .check_download_token(KEY, &t, 1_000_000)
            .is_err());
    }

    #[test]
    fn tokens_are_stripped_on_store_and_signed_per_conversation() {
        let u = urls();
        let mut body = vec![
            Element::Image(ImageElem {
                uuid: "x".into(),
                image_format: 3,
                image_info_array: vec![ImageInfo {
                    kind: 3,
                    size: 0,
                    width: 1,
                    height: 1,
                    url: format!("http://h:1/media/{KEY}.png?token=abc&imageView2/3/w/198/h/198"),
                }],
            }),
            Element::File(FileElem {
                url: format!("http://elsewhere/media/{KEY}?token=keep"),
                uuid: "f".into(),
                file_name: "a".into(),
                file_size: 1,
                download_flag: 2,
            }),
        ];
        assert!(u.strip_tokens(&mut body));
        let Element::Image(i) = &body[0] else {
            unreachable!()
        };
        assert_eq!(
            i.image_info_array[0].url,
            format!("http://h:1/media/{KEY}.png?imageView2/3/w/198/h/198")
        );
        let Element::File(f) = &body[1] else {
            unreachable!()
        };
        assert!(f.url.ends_with("token=keep"), "foreign URLs are left alone");

        let item = MsgItem {
            from_account: "a".into(),
            to_account: Some("b".into()),
            msg_body: body,
            ..MsgItem::default()
        };
        let signed = u.signed(&item, 5);
        let Element::Image(i) = &signed.msg_body[0] else {
            unreachable!()
        };
        let token = i.image_info_array[0].url.rsplit("token=").next().unwrap();
        assert_eq!(
            u.check_download_token(KEY, token, 5).unwrap(),
            Scope::C2c("a".into(), "b".into())
        );
        let Element::File(f) = &signed.msg_body[1] else {
            unreachable!()
        };
        assert!(f.url.ends_with("token=keep"));
    }

    #[test]
    fn upload_tokens() {
        let u = urls();
        let url = u.upload_url(KEY, 100);
        let token = url.rsplit("token=").next().unwrap();
        u.check_upload_token(KEY, token, 100).unwrap();
        assert_eq!(
            u.check_upload_token(KEY, token, 101).unwrap_err().code(),
            70001
        );
        assert!(u.check_upload_token(&"e".repeat(32), token, 1).is_err());
        assert_eq!(
            u.key_of(&format!("http://h:1/media/{KEY}.jpg?x")),
            Some(KEY)
        );
        assert_eq!(u.key_of("http://h:1/media/put/x"), None);
        assert_eq!(u.key_of(&format!("http://h:1/media/{KEY}/../x")), None);
    }
}
