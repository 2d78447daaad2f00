//! Voice notes: 16-bit mono PCM written as AAC-LC in an M4A (what Tencent's
//! clients send and play) or as WAV, streamed to disk as it arrives.
//!
//! [`VoiceWriter`] takes samples in any number of pieces and returns, at
//! [`VoiceWriter::finish`], the duration of exactly the samples it was
//! given: an M4A's edit list leaves out the encoder's priming and the
//! silence its last frame is padded with, so players report that same
//! duration (`m4a.rs`).

mod m4a;

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use crate::error::MediaError;

pub use m4a::M4aWriter;

/// The container (and codec) of a voice note, chosen by the file's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoiceFormat {
    /// AAC-LC in MP4 (`.m4a`).
    M4a,
    /// 16-bit PCM (`.wav`).
    Wav,
}

impl VoiceFormat {
    /// `.m4a` or `.wav` (any case); `None` for anything else.
    pub fn of_path(path: &Path) -> Option<VoiceFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "m4a" => Some(VoiceFormat::M4a),
            "wav" => Some(VoiceFormat::Wav),
            _ => None,
        }
    }
}

/// A finished voice note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoiceFile {
    pub path: PathBuf,
    /// Of the samples written, exactly (rounded to the millisecond).
    pub duration_ms: u64,
    pub bytes: u64,
}

/// Writes a voice note of mono 16-bit samples at `sample_rate` Hz.
pub enum VoiceWriter {
    M4a(Box<M4aWriter>),
    Wav {
        path: PathBuf,
        sample_rate: u32,
        samples: u64,
        writer: hound::WavWriter<BufWriter<File>>,
    },
}

fn io(e: impl std::fmt::Display) -> MediaError {
    MediaError::Io(e.to_string())
}

impl VoiceWriter {
    pub fn create(
        path: &Path,
        format: VoiceFormat,
        sample_rate: u32,
    ) -> Result<VoiceWriter, MediaError> {
        match format {
            VoiceFormat::M4a => Ok(VoiceWriter::M4a(Box::new(M4aWriter::create(
                path,
                sample_rate,
            )?))),
            VoiceFormat::Wav => {
                let spec = hound::WavSpec {
                    channels: 1,
                    sample_rate,
                    bits_per_sample: 16,
                    sample_format: hound::SampleFormat::Int,
                };
                Ok(VoiceWriter::Wav {
                    path: path.to_owned(),
                    sample_rate,
                    samples: 0,
                    writer: hound::WavWriter::create(path, spec).map_err(io)?,
                })
            }
        }
    }

    /// Appends samples.
    pub fn write(&mut self, samples: &[i16]) -> Result<(), MediaError> {
        match self {
            VoiceWriter::M4a(m4a) => m4a.write(samples),
            VoiceWriter::Wav {
                writer, samples: n, ..
            } => {
                let mut out = writer.get_i16_writer(samples.len() as u32);
                for s in samples {
                    out.write_sample(*s);
                }
                out.flush().map_err(io)?;
                *n += samples.len() as u64;
                Ok(())
            }
        }
    }

    /// Completes the file (synced to disk).
    pub fn finish(self) -> Result<VoiceFile, MediaError> {
        match self {
            VoiceWriter::M4a(m4a) => m4a.finish(),
            VoiceWriter::Wav {
                path,
                sample_rate,
                samples,
                writer,
            } => {
                writer.finalize().map_err(io)?;
                File::open(&path).and_then(|f| f.sync_all()).map_err(io)?;
                let bytes = std::fs::metadata(&path).map_err(io)?.len();
                Ok(VoiceFile {
                    duration_ms: (samples * 1000 + u64::from(sample_rate) / 2)
                        / u64::from(sample_rate),
                    path,
                    bytes,
                })
            }
        }
    }
}
