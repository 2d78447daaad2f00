//! Video probing without a system ffmpeg: duration, size and rotation from
//! the MP4/MOV container (`mp4parse`), and a JPEG snapshot of the first
//! frame of H.264 video (Cisco's OpenH264, built from its sources).
//!
//! Uploads are untrusted: the whole probe runs under `catch_unwind` (the
//! decoder is C++ and the demuxer may still have a panic left), sample
//! reads are bounded by the file's size, and a file the decoder cannot
//! handle (HEVC, 10-bit, 4:4:4, interlaced …) still gets its duration and
//! size, with the reason there is no snapshot.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use image::metadata::Orientation;
use mp4parse::unstable::create_sample_table;
use mp4parse::{CodecType, SampleEntry, TrackType, VideoCodecSpecific};

use crate::error::MediaError;
use crate::thumbnail::{encode, fit, resize, Thumbnail, LARGE_SHORT_SIDE};

/// A first frame larger than this many bytes is not read (a keyframe of
/// 4K video is a few MB).
const MAX_FIRST_SAMPLE: u64 = 64 * 1024 * 1024;
/// Frames above 8K are not decoded for a snapshot.
const MAX_SNAPSHOT_PIXELS: usize = 8192 * 4320;

/// What a video file is.
#[derive(Debug, Clone)]
pub struct VideoInfo {
    /// `mp4` or `mov` (Tencent's `VideoFormat`).
    pub format: &'static str,
    pub duration_ms: u64,
    /// Size as displayed, rotation applied.
    pub width: u32,
    pub height: u32,
    /// Clockwise degrees a player turns the frames: 0, 90, 180 or 270.
    pub rotation: u32,
    /// `h264`, `hevc`, `vp9`, `av1`, `mp4v` or `unknown`.
    pub codec: &'static str,
    /// The first frame, short side at most 720 px, rotation applied.
    pub snapshot: Option<Thumbnail>,
    /// Why there is no snapshot, when there is none.
    pub no_snapshot: Option<String>,
}

/// Probes the video at `path`.
pub fn probe_video(path: &Path) -> Result<VideoInfo, MediaError> {
    let path = path.to_owned();
    std::panic::catch_unwind(move || probe(&path))
        .unwrap_or_else(|_| Err(MediaError::Corrupt("the video cannot be read".into())))
}

fn probe(path: &Path) -> Result<VideoInfo, MediaError> {
    let mut file = File::open(path).map_err(|e| MediaError::Io(e.to_string()))?;
    let file_len = file
        .metadata()
        .map_err(|e| MediaError::Io(e.to_string()))?
        .len();
    if file_len == 0 {
        return Err(MediaError::Empty);
    }
    let format = {
        let mut head = [0u8; 12];
        let n = file
            .read(&mut head)
            .map_err(|e| MediaError::Io(e.to_string()))?;
        file.seek(SeekFrom::Start(0))
            .map_err(|e| MediaError::Io(e.to_string()))?;
        match &head[..n.min(12)] {
            [_, _, _, _, b'f', b't', b'y', b'p', b'q', b't', b' ', b' '] => "mov",
            [_, _, _, _, b'f', b't', b'y', b'p', ..] => "mp4",
            // Old QuickTime files start with other boxes.
            [_, _, _, _, b'm', b'o', b'o', b'v', ..] | [_, _, _, _, b'w', b'i', b'd', b'e', ..] => {
                "mov"
            }
            _ => return Err(MediaError::UnsupportedVideo),
        }
    };
    let context = mp4parse::read_mp4(&mut BufReader::new(&mut file))
        .map_err(|_| MediaError::UnsupportedVideo)?;
    let duration_ms = context
        .tracks
        .iter()
        .filter_map(|t| {
            let (duration, scale) = (t.duration?.0, t.timescale?.0);
            (scale > 0).then(|| duration.saturating_mul(1000) / scale)
        })
        .max()
        .unwrap_or(0);
    let track = context
        .tracks
        .iter()
        .find(|t| t.track_type == TrackType::Video)
        .ok_or(MediaError::UnsupportedVideo)?;
    let entry = track.stsd.as_ref().and_then(|s| {
        s.descriptions.iter().find_map(|d| match d {
            SampleEntry::Video(v) => Some(v),
            _ => None,
        })
    });
    let (mut width, mut height) = match (entry, &track.tkhd) {
        (Some(v), _) => (u32::from(v.width), u32::from(v.height)),
        (None, Some(t)) => (t.width >> 16, t.height >> 16),
        (None, None) => (0, 0),
    };
    let rotation = track
        .tkhd
        .as_ref()
        .map_or(0, |t| rotation_of(t.matrix.a, t.matrix.b));
    let codec = match entry.map(|v| v.codec_type) {
        Some(CodecType::H264) => "h264",
        Some(CodecType::VP9) => "vp9",
        Some(CodecType::AV1) => "av1",
        Some(CodecType::MP4V) => "mp4v",
        // mp4parse knows no HEVC; its sample entries come out as unknown.
        _ if has_fourcc(&mut file, file_len, b"hvcC") => "hevc",
        _ => "unknown",
    };
    let orientation = match rotation {
        90 => Orientation::Rotate90,
        180 => Orientation::Rotate180,
        270 => Orientation::Rotate270,
        _ => Orientation::NoTransforms,
    };
    let (snapshot, no_snapshot) = match (entry, codec) {
        (Some(v), "h264") => match &v.codec_specific {
            VideoCodecSpecific::AVCConfig(avcc) => {
                match first_frame(&mut file, file_len, track, avcc, orientation) {
                    Ok(s) => (Some(s), None),
                    Err(why) => (None, Some(why)),
                }
            }
            _ => (None, Some("H.264 without its configuration box".to_owned())),
        },
        (_, other) => (
            None,
            Some(format!(
                "no snapshot of {other} video: only H.264 is decoded"
            )),
        ),
    };
    if matches!(rotation, 90 | 270) {
        std::mem::swap(&mut width, &mut height);
    }
    Ok(VideoInfo {
        format,
        duration_ms,
        width,
        height,
        rotation,
        codec,
        snapshot,
        no_snapshot,
    })
}

/// Clockwise degrees of a `tkhd` matrix, to the nearest quarter turn.
fn rotation_of(a: i32, b: i32) -> u32 {
    let degrees = f64::from(b).atan2(f64::from(a)).to_degrees();
    (((degrees / 90.0).round() as i64).rem_euclid(4) * 90) as u32
}

/// True if `fourcc` occurs in the first 1 MB (where the `moov` of a
/// fast-start file is) or the last 1 MB (where it is otherwise).
fn has_fourcc(file: &mut File, len: u64, fourcc: &[u8; 4]) -> bool {
    let window = 1 << 20;
    let mut found = false;
    for start in [0, len.saturating_sub(window)] {
        let mut buf = Vec::new();
        if file.seek(SeekFrom::Start(start)).is_ok()
            && file.by_ref().take(window).read_to_end(&mut buf).is_ok()
        {
            found |= buf.windows(4).any(|w| w == fourcc);
        }
    }
    found
}

/// `avcC`: the NAL length size and the SPS and PPS units.
fn parse_avcc(avcc: &[u8]) -> Option<(usize, Vec<&[u8]>)> {
    let length_size = usize::from(*avcc.get(4)? & 0x3) + 1;
    let mut units = Vec::new();
    let mut at = 5;
    for mask in [0x1f, 0xff] {
        let count = usize::from(*avcc.get(at)? & mask);
        at += 1;
        for _ in 0..count {
            let len = usize::from(u16::from_be_bytes([*avcc.get(at)?, *avcc.get(at + 1)?]));
            units.push(avcc.get(at + 2..at + 2 + len)?);
            at += 2 + len;
        }
    }
    Some((length_size, units))
}

/// Decodes the first keyframe into a snapshot JPEG.
fn first_frame(
    file: &mut File,
    file_len: u64,
    track: &mp4parse::Track,
    avcc: &[u8],
    orientation: Orientation,
) -> Result<Thumbnail, String> {
    let (length_size, parameter_sets) =
        parse_avcc(avcc).ok_or("the H.264 configuration box is malformed")?;
    let samples = create_sample_table(track, 0.into()).ok_or("the video has no sample table")?;
    let first = samples
        .iter()
        .find(|s| s.sync)
        .ok_or("the video has no keyframe")?;
    let (start, end) = (first.start_offset.0, first.end_offset.0);
    if end <= start || end > file_len || end - start > MAX_FIRST_SAMPLE {
        return Err("the first keyframe lies outside the file".into());
    }
    let mut sample = vec![0u8; (end - start) as usize];
    file.seek(SeekFrom::Start(start))
        .and_then(|_| file.read_exact(&mut sample))
        .map_err(|e| format!("cannot read the first keyframe: {e}"))?;

    // Length-prefixed units → Annex B, parameter sets first.
    let mut annex_b = Vec::with_capacity(sample.len() + 256);
    for unit in parameter_sets {
        annex_b.extend_from_slice(&[0, 0, 0, 1]);
        annex_b.extend_from_slice(unit);
    }
    let mut at = 0;
    while at + length_size <= sample.len() {
        let len = sample[at..at + length_size]
            .iter()
            .fold(0usize, |n, b| (n << 8) | usize::from(*b));
        at += length_size;
        let unit = sample
            .get(at..at + len)
            .ok_or("a unit of the first keyframe runs past its end")?;
        annex_b.extend_from_slice(&[0, 0, 0, 1]);
        annex_b.extend_from_slice(unit);
        at += len;
    }

    let mut decoder =
        openh264::decoder::Decoder::new().map_err(|e| format!("no H.264 decoder: {e}"))?;
    let mut rgb = Vec::new();
    let mut size = (0usize, 0usize);
    let mut take = |yuv: &openh264::decoder::DecodedYUV<'_>| -> Result<(), String> {
        use openh264::formats::YUVSource;
        let (w, h) = yuv.dimensions();
        if w == 0 || h == 0 || w * h > MAX_SNAPSHOT_PIXELS {
            return Err(format!("a {w}×{h} frame is not decoded for a snapshot"));
        }
        rgb = vec![0u8; w * h * 3];
        yuv.write_rgb8(&mut rgb);
        size = (w, h);
        Ok(())
    };
    match decoder.decode(&annex_b) {
        Ok(Some(yuv)) => take(&yuv)?,
        Ok(None) => {
            let rest = decoder
                .flush_remaining()
                .map_err(|e| format!("the first frame cannot be decoded: {e}"))?;
            let yuv = rest.first().ok_or("the decoder gave no frame")?;
            take(yuv)?;
        }
        Err(e) => return Err(format!("the first frame cannot be decoded: {e}")),
    }
    let (w, h) = (size.0 as u32, size.1 as u32);
    let (to_w, to_h) = fit(w, h, LARGE_SHORT_SIDE);
    let small = resize(&rgb, w, h, to_w, to_h).map_err(|e| e.to_string())?;
    encode(small, to_w, to_h, orientation).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_from_the_matrix() {
        let one = 1 << 16;
        assert_eq!(rotation_of(one, 0), 0);
        assert_eq!(rotation_of(0, one), 90);
        assert_eq!(rotation_of(-one, 0), 180);
        assert_eq!(rotation_of(0, -one), 270);
    }

    #[test]
    fn malformed_avcc_is_refused() {
        assert!(parse_avcc(&[1, 2, 3]).is_none());
        assert!(parse_avcc(&[1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 9, 1]).is_none());
    }
}
