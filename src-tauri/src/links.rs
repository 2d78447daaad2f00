//! Links in messages open in the system browser, never inside the app.

use crate::error::{DesktopError, Result};

/// Only these schemes are handed to the system; anything else (file:,
/// javascript:, custom handlers) could run code or open local files.
const ALLOWED_SCHEMES: &[&str] = &["http://", "https://", "mailto:"];

pub fn is_openable(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    ALLOWED_SCHEMES
        .iter()
        .any(|s| lower.starts_with(s) && lower.len() > s.len())
        && !url.chars().any(char::is_control)
}

pub fn open_in_browser(url: &str) -> Result<()> {
    if !is_openable(url) {
        return Err(DesktopError::Link(url.to_owned()));
    }
    tauri_plugin_opener::open_url(url.trim(), None::<&str>)
        .map_err(|e| DesktopError::Opener(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_and_mail_links_open() {
        assert!(is_openable("https://natter.chat/docs"));
        assert!(is_openable("HTTP://example.com"));
        assert!(is_openable("mailto:alice@example.com"));
        for bad in [
            "file:///etc/passwd",
            "javascript:alert(1)",
            "https://",
            "ftp://x",
            "https://a\nb",
            "",
        ] {
            assert!(!is_openable(bad), "{bad:?} must not open");
            assert_eq!(open_in_browser(bad).unwrap_err().code(), 2903);
        }
    }
}
