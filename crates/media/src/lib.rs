//! `natter-media`: what Natter does to media before it is sent and when a
//! sender uploads only an original. Today: image thumbnails in Tencent's two
//! sizes ([`thumbnail`]).

pub mod error;
pub mod thumbnail;

pub use error::MediaError;
pub use thumbnail::{thumbnails, Thumbnail, Thumbnails};
