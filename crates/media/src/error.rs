//! The crate's one error type; each variant carries the Web SDK's code for
//! the same failure, so the SDK and the desktop app can pass it on as is.

use thiserror::Error;

/// `MSG_F_IS_EMPTY`: the file is 0 bytes.
pub const FILE_EMPTY: u32 = 2108;
/// `MSG_I_TYPES_LIMIT`: not an image of a supported type.
pub const IMAGE_TYPE_UNSUPPORTED: u32 = 2252;
/// `MSG_I_SIZE_LIMIT`: the image is too large.
pub const IMAGE_TOO_LARGE: u32 = 2253;
/// `MSG_VIDEO_TYPES_LIMIT`: not a video of a supported container.
pub const VIDEO_TYPE_UNSUPPORTED: u32 = 2352;
/// `MSG_A_UPLOAD_FAIL`: there is no audio to send (nothing was recorded).
pub const NO_AUDIO: u32 = 2300;
/// `MSG_F_UPLOAD_FAIL`: the file cannot be read or sent.
pub const UPLOAD_FAILED: u32 = 2400;

#[derive(Debug, Error)]
pub enum MediaError {
    #[error("the file is empty")]
    Empty,
    #[error("not a JPEG, PNG, GIF, WebP or BMP image")]
    UnsupportedImage,
    #[error("the image is {width}×{height} pixels, more than the {limit} allowed")]
    TooManyPixels { width: u32, height: u32, limit: u64 },
    #[error("the image cannot be decoded: {0}")]
    Corrupt(String),
    #[error("the thumbnail cannot be made: {0}")]
    Encode(String),
    #[error("not an MP4 or QuickTime video")]
    UnsupportedVideo,
    #[error("not an M4A, WAV or MP3 audio file")]
    UnsupportedAudio,
    #[error("no input device{}", match .0 { Some(name) => format!(" named {name:?}"), None => " to record from".into() })]
    NoInputDevice(Option<String>),
    #[error("cannot record: {0}")]
    Capture(String),
    #[error("cannot read the file: {0}")]
    Io(String),
}

impl MediaError {
    /// The Web SDK's code for this error.
    pub fn code(&self) -> u32 {
        match self {
            MediaError::Empty => FILE_EMPTY,
            MediaError::UnsupportedImage | MediaError::Corrupt(_) | MediaError::Encode(_) => {
                IMAGE_TYPE_UNSUPPORTED
            }
            MediaError::TooManyPixels { .. } => IMAGE_TOO_LARGE,
            MediaError::UnsupportedVideo => VIDEO_TYPE_UNSUPPORTED,
            MediaError::Io(_) | MediaError::UnsupportedAudio => UPLOAD_FAILED,
            MediaError::NoInputDevice(_) | MediaError::Capture(_) => NO_AUDIO,
        }
    }
}
