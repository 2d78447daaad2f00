//! Durations of voice files: AAC in M4A (with the encoder's priming in an
//! edit list), MP3 with and without a LAME/Xing header (made with ffmpeg,
//! `tests/data/README.md`), and WAV written here.

use std::path::PathBuf;

use natter_media::probe_audio;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// A mono 16-bit WAV of `samples` at `rate` (the canonical 44-byte header).
fn wav(samples: u32, rate: u32) -> Vec<u8> {
    let data_len = samples * 2;
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for i in 0..samples {
        out.extend_from_slice(&((i % 200) as i16 * 100).to_le_bytes());
    }
    out
}

#[test]
fn m4a_duration_leaves_out_the_encoder_priming() {
    let a = probe_audio(&data("tone-2.5s.m4a")).unwrap();
    assert_eq!((a.format, a.sample_rate, a.channels), ("m4a", 16_000, 1));
    assert!((2490..=2510).contains(&a.duration_ms), "{}", a.duration_ms);
}

#[test]
fn mp3_duration_with_and_without_a_header() {
    let a = probe_audio(&data("tone-2.5s.mp3")).unwrap();
    assert_eq!(a.format, "mp3");
    assert!((2490..=2600).contains(&a.duration_ms), "{}", a.duration_ms);
    // No Xing/LAME frame: the frames are counted (36 × 576 samples at 16 kHz).
    let b = probe_audio(&data("tone-1.2s-noxing.mp3")).unwrap();
    assert!((1190..=1300).contains(&b.duration_ms), "{}", b.duration_ms);
}

#[test]
fn wav_duration_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("voice.wav");
    std::fs::write(&path, wav(16_000 * 3 + 8_000, 16_000)).unwrap();
    let a = probe_audio(&path).unwrap();
    assert_eq!((a.format, a.duration_ms), ("wav", 3500));
}

#[test]
fn what_is_not_audio_is_refused_with_a_code() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.m4a");
    std::fs::write(&empty, b"").unwrap();
    assert_eq!(probe_audio(&empty).unwrap_err().code(), 2108);
    let text = dir.path().join("notes.mp3");
    std::fs::write(&text, b"not audio, just some words in a file").unwrap();
    assert_eq!(probe_audio(&text).unwrap_err().code(), 2400);
    let whole = std::fs::read(data("tone-2.5s.m4a")).unwrap();
    for cut in [8, 64, 600, whole.len() / 2] {
        let f = dir.path().join("cut.m4a");
        std::fs::write(&f, &whole[..cut]).unwrap();
        let _ = probe_audio(&f);
    }
}
