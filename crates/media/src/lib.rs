//! `natter-media`: what Natter does to media before it is sent and when a
//! sender uploads only an original: image thumbnails in Tencent's two
//! sizes ([`thumbnail`]), video probing with a first-frame snapshot
//! ([`video`]), the duration of audio files ([`audio`]) and voice notes
//! written as AAC in M4A or as WAV ([`voice`]), recorded from a microphone
//! with the `capture` feature ([`capture`]).

pub mod audio;
#[cfg(feature = "capture")]
pub mod capture;
pub mod error;
pub mod thumbnail;
pub mod video;
pub mod voice;

pub use audio::{probe_audio, waveform, AudioInfo};
pub use error::MediaError;
pub use thumbnail::{thumbnails, Thumbnail, Thumbnails};
pub use video::{probe_video, VideoInfo};
pub use voice::{VoiceFile, VoiceFormat, VoiceWriter};
