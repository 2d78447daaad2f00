//! What the voice and capture tests share: envelopes to compare sound
//! with, and Debian's ffmpeg as an independent reader of what we write.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::DecoderOptions;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

/// RMS per 20 ms window.
pub fn envelope(samples: &[f32], rate: u32) -> Vec<f64> {
    samples
        .chunks((rate / 50) as usize)
        .map(|w| (w.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / w.len() as f64).sqrt())
        .collect()
}

pub fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (ma, mb) = (mean(a), mean(b));
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

/// Decodes the AAC of an M4A and keeps what its edit list plays.
pub fn decode_m4a(path: &Path) -> Vec<f32> {
    let context = mp4parse::read_mp4(&mut std::fs::File::open(path).unwrap()).unwrap();
    let track = &context.tracks[0];
    let skip = track.media_time.map_or(0, |m| m.0) as usize;
    let play = track.edited_duration.map(|d| d.0).unwrap() as usize;

    let stream = MediaSourceStream::new(
        Box::new(std::fs::File::open(path).unwrap()),
        Default::default(),
    );
    let mut reader = symphonia::default::get_probe()
        .format(
            &Hint::new(),
            stream,
            &FormatOptions::default(),
            &MetadataOptions::default(),
        )
        .unwrap()
        .format;
    let params = reader.tracks()[0].codec_params.clone();
    let mut decoder = symphonia::default::get_codecs()
        .make(&params, &DecoderOptions::default())
        .unwrap();
    let mut out = Vec::new();
    while let Ok(packet) = reader.next_packet() {
        let decoded = decoder.decode(&packet).unwrap();
        let mut buf = SampleBuffer::<f32>::new(decoded.capacity() as u64, *decoded.spec());
        buf.copy_interleaved_ref(decoded);
        out.extend_from_slice(buf.samples());
    }
    assert!(
        out.len() >= skip + play,
        "the track holds the priming and every sample"
    );
    out[skip..skip + play].to_vec()
}

/// The duration `ffprobe` reads from a file's container.
pub fn ffprobe_seconds(path: &Path) -> f64 {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=duration",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .expect("ffprobe is not installed: run scripts/setup (package ffmpeg)");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("ffprobe: {}", String::from_utf8_lossy(&out.stderr)))
}

/// ffmpeg decodes the whole file without a single complaint.
pub fn assert_ffmpeg_decodes(path: &Path) {
    let decode = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-f", "null", "-"])
        .output()
        .expect("ffmpeg is not installed: run scripts/setup");
    assert!(
        decode.status.success() && decode.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&decode.stderr)
    );
}

/// Decodes any audio file with ffmpeg to mono samples at `rate`.
pub fn ffmpeg_samples(path: &Path, rate: u32) -> Vec<f32> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-f", "s16le", "-ac", "1", "-ar", &rate.to_string(), "-"])
        .output()
        .expect("ffmpeg is not installed: run scripts/setup");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
        .chunks_exact(2)
        .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0)
        .collect()
}
