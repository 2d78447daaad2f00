//! Audio files sent as voice messages: their duration, read from the
//! container — M4A/MP4 (AAC) with `mp4parse`, WAV and MP3 with
//! `symphonia` (both pure Rust). The Web SDK's `Second` of a sound message
//! is this duration, rounded down.
//!
//! The encoder's priming is not counted: an M4A's edit list says how much
//! of the track plays (symphonia ignores it, which made a 2.5 s file read
//! 2.564 s), and LAME's gapless header does the same for MP3. Without a
//! frame count in the header (an MP3 with no Xing/LAME frame) the packets
//! are counted, which reads the file once but decodes nothing.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use mp4parse::{AudioCodecSpecific, CodecType, SampleEntry, TrackType};

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{DecoderOptions, CODEC_TYPE_NULL};
use symphonia::core::formats::{FormatOptions, FormatReader, Track};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

use crate::error::MediaError;

/// What an audio file is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioInfo {
    /// `m4a`, `wav` or `mp3`.
    pub format: &'static str,
    pub duration_ms: u64,
    pub sample_rate: u32,
    pub channels: u32,
}

/// Reads the duration and format of the audio file at `path`.
pub fn probe_audio(path: &Path) -> Result<AudioInfo, MediaError> {
    let path = path.to_owned();
    std::panic::catch_unwind(move || probe(&path))
        .unwrap_or_else(|_| Err(MediaError::Corrupt("the audio cannot be read".into())))
}

fn probe(path: &Path) -> Result<AudioInfo, MediaError> {
    let mut file = File::open(path).map_err(|e| MediaError::Io(e.to_string()))?;
    if file
        .metadata()
        .map_err(|e| MediaError::Io(e.to_string()))?
        .len()
        == 0
    {
        return Err(MediaError::Empty);
    }
    let mut head = [0u8; 8];
    let is_mp4 = file.read_exact(&mut head).is_ok() && &head[4..8] == b"ftyp";
    file.seek(SeekFrom::Start(0))
        .map_err(|e| MediaError::Io(e.to_string()))?;
    if is_mp4 {
        return probe_mp4(&mut file);
    }
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let stream = MediaSourceStream::new(Box::new(file), Default::default());
    let options = FormatOptions {
        enable_gapless: true,
        ..FormatOptions::default()
    };
    let (mut reader, track) = open_track(stream, &hint, &options)?;
    let params = &track.codec_params;
    let sample_rate = params.sample_rate.unwrap_or(0);
    if sample_rate == 0 {
        return Err(MediaError::UnsupportedAudio);
    }
    let format = match params.codec {
        symphonia::core::codecs::CODEC_TYPE_MP3 => "mp3",
        symphonia::core::codecs::CODEC_TYPE_AAC => "m4a",
        _ if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("wav")) =>
        {
            "wav"
        }
        _ => "wav",
    };
    let frames = match params.n_frames {
        Some(n) => n,
        None => {
            // No count in the header: add up the packets' durations.
            let mut total = 0u64;
            while let Ok(packet) = reader.next_packet() {
                if packet.track_id() == track.id {
                    total += packet.dur;
                }
            }
            total
        }
    };
    Ok(AudioInfo {
        format,
        duration_ms: frames.saturating_mul(1000) / u64::from(sample_rate),
        sample_rate,
        channels: params.channels.map_or(1, |c| c.count() as u32),
    })
}

/// M4A/MP4: the audio track's played duration — its edit list when it has
/// one, else its whole length.
fn probe_mp4(file: &mut File) -> Result<AudioInfo, MediaError> {
    let context =
        mp4parse::read_mp4(&mut BufReader::new(file)).map_err(|_| MediaError::UnsupportedAudio)?;
    let track = context
        .tracks
        .iter()
        .find(|t| t.track_type == TrackType::Audio)
        .ok_or(MediaError::UnsupportedAudio)?;
    let entry = track
        .stsd
        .as_ref()
        .and_then(|s| {
            s.descriptions.iter().find_map(|d| match d {
                SampleEntry::Audio(a) => Some(a),
                _ => None,
            })
        })
        .ok_or(MediaError::UnsupportedAudio)?;
    if entry.codec_type != CodecType::AAC {
        return Err(MediaError::UnsupportedAudio);
    }
    let (Some(duration), Some(scale)) = (track.duration, track.timescale) else {
        return Err(MediaError::UnsupportedAudio);
    };
    let scale = scale.0.max(1);
    let whole_ms = duration.0.saturating_mul(1000) / scale;
    let played_ms = match (track.edited_duration, context.timescale) {
        // The edit's length is in the movie's timescale.
        (Some(edited), Some(movie)) if edited.0 > 0 && movie.0 > 0 => {
            edited.0.saturating_mul(1000) / movie.0
        }
        // An edit that only skips the priming.
        _ => whole_ms.saturating_sub(
            track
                .media_time
                .map_or(0, |m| m.0.saturating_mul(1000) / scale),
        ),
    };
    Ok(AudioInfo {
        format: "m4a",
        duration_ms: played_ms.min(whole_ms),
        sample_rate: entry.samplerate as u32,
        // The sample entry's count is often a placeholder 2; the decoder
        // configuration has the real one.
        channels: match &entry.codec_specific {
            AudioCodecSpecific::ES_Descriptor(es) => {
                es.audio_channel_count.map_or(entry.channelcount, u32::from)
            }
            _ => entry.channelcount,
        },
    })
}

/// The longest stretch of audio [`waveform`] decodes; a longer file's
/// waveform shows its beginning.
const WAVEFORM_MAX_SECONDS: u64 = 15 * 60;

/// The waveform of a voice note for its bubble: the loudness of `bars`
/// equal slices of it, each that of its loudest 20 ms on the scale of
/// [`level_of_rms`]. Any format `probe_audio` reads; from memory, since
/// received notes arrive over HTTP.
pub fn waveform(bytes: Vec<u8>, bars: usize) -> Result<Vec<f32>, MediaError> {
    if bytes.is_empty() {
        return Err(MediaError::Empty);
    }
    let envelope = std::panic::catch_unwind(move || envelope(bytes))
        .unwrap_or_else(|_| Err(MediaError::Corrupt("the audio cannot be decoded".into())))?;
    let levels: Vec<f32> = envelope.into_iter().map(level_of_rms).collect();
    Ok(loudest_per_slice(&levels, bars))
}

/// `n` bars from a run of levels: the loudest level of each of `n` equal
/// slices (with fewer levels than bars, each bar shows the level it falls
/// on). No levels: `n` silent bars.
pub fn loudest_per_slice(levels: &[f32], n: usize) -> Vec<f32> {
    if levels.is_empty() {
        return vec![0.0; n];
    }
    (0..n)
        .map(|i| {
            let start = (i * levels.len() / n).min(levels.len() - 1);
            let end = ((i + 1) * levels.len() / n).clamp(start + 1, levels.len());
            levels[start..end].iter().fold(0.0f32, |a, b| a.max(*b))
        })
        .collect()
}

/// RMS per 20 ms of the whole file, its channels mixed.
fn envelope(bytes: Vec<u8>) -> Result<Vec<f64>, MediaError> {
    let stream = MediaSourceStream::new(Box::new(std::io::Cursor::new(bytes)), Default::default());
    let (mut reader, track) = open_track(stream, &Hint::new(), &FormatOptions::default())?;
    let rate = u64::from(track.codec_params.sample_rate.unwrap_or(16_000).max(1));
    let mut decoder = symphonia::default::get_codecs()
        .make(&track.codec_params, &DecoderOptions::default())
        .map_err(|_| MediaError::UnsupportedAudio)?;
    let window = (rate / 50).max(1);
    let (mut sum, mut count, mut total) = (0.0f64, 0u64, 0u64);
    let mut envelope = Vec::new();
    let mut samples: Option<SampleBuffer<f32>> = None;
    while let Ok(packet) = reader.next_packet() {
        if packet.track_id() != track.id {
            continue;
        }
        let Ok(decoded) = decoder.decode(&packet) else {
            continue; // a damaged packet: skip it, as players do
        };
        let channels = decoded.spec().channels.count().max(1);
        let buffer = samples
            .get_or_insert_with(|| SampleBuffer::new(decoded.capacity() as u64, *decoded.spec()));
        if buffer.capacity() < decoded.capacity() * channels {
            *buffer = SampleBuffer::new(decoded.capacity() as u64, *decoded.spec());
        }
        buffer.copy_interleaved_ref(decoded);
        for frame in buffer.samples().chunks(channels) {
            let x = f64::from(frame.iter().sum::<f32>()) / channels as f64;
            sum += x * x;
            count += 1;
            if count == window {
                envelope.push((sum / window as f64).sqrt());
                sum = 0.0;
                count = 0;
            }
        }
        total += (buffer.samples().len() / channels) as u64;
        if total > WAVEFORM_MAX_SECONDS * rate {
            break;
        }
    }
    if count > 0 {
        envelope.push((sum / count as f64).sqrt());
    }
    Ok(envelope)
}

/// The container of an audio stream and its audio track.
fn open_track(
    stream: MediaSourceStream,
    hint: &Hint,
    options: &FormatOptions,
) -> Result<(Box<dyn FormatReader>, Track), MediaError> {
    let probed = symphonia::default::get_probe()
        .format(hint, stream, options, &MetadataOptions::default())
        .map_err(|_| MediaError::UnsupportedAudio)?;
    let reader = probed.format;
    let track = reader
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL && t.codec_params.sample_rate.is_some())
        .ok_or(MediaError::UnsupportedAudio)?
        .clone();
    Ok((reader, track))
}

/// Loudness for a meter or a waveform: −60 dBFS and below → 0.0, full
/// scale → 1.0, linear in decibels.
pub fn level_of_rms(rms: f64) -> f32 {
    if rms <= 0.0 {
        return 0.0;
    }
    let db = 20.0 * rms.log10();
    ((db + 60.0) / 60.0).clamp(0.0, 1.0) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_take_the_loudest_level_of_each_slice() {
        assert_eq!(loudest_per_slice(&[], 3), vec![0.0; 3]);
        assert_eq!(loudest_per_slice(&[0.1, 0.9, 0.2, 0.3], 2), vec![0.9, 0.3]);
        // Fewer levels than bars: each bar shows the level it falls on.
        assert_eq!(loudest_per_slice(&[0.5, 1.0], 4), vec![0.5, 0.5, 1.0, 1.0]);
        assert!(loudest_per_slice(&[0.5], 0).is_empty());
    }
}
