//! Voice notes as written: the duration every reader reports is exactly
//! that of the samples given (the encoder's priming and padding are cut
//! by the M4A's edit list), and the decoded sound is the sound that went in.

mod common;

use std::path::Path;

use common::{correlation, decode_m4a, envelope};

use natter_media::{probe_audio, VoiceFormat, VoiceWriter};

/// Three tone bursts with silence between them: an envelope to recognise.
fn speech_like(rate: u32, seconds: f64) -> Vec<i16> {
    let n = (f64::from(rate) * seconds) as usize;
    (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(rate);
            let burst = (t * 1.6).fract() < 0.55;
            let level = if burst {
                0.5 * (1.0 - (t * 1.6).fract() / 0.55)
            } else {
                0.0
            };
            let tone = (t * 2.0 * std::f64::consts::PI * 440.0).sin()
                + 0.4 * (t * 2.0 * std::f64::consts::PI * 1230.0).sin();
            (tone * level * 20_000.0) as i16
        })
        .collect()
}

fn write_in_pieces(
    path: &Path,
    format: VoiceFormat,
    rate: u32,
    samples: &[i16],
) -> natter_media::VoiceFile {
    let mut writer = VoiceWriter::create(path, format, rate).unwrap();
    for piece in samples.chunks(333) {
        writer.write(piece).unwrap();
    }
    writer.finish().unwrap()
}

#[test]
fn m4a_lasts_exactly_what_was_written_and_sounds_like_it() {
    let dir = tempfile::tempdir().unwrap();
    for rate in [16_000u32, 48_000] {
        let source = speech_like(rate, 3.217);
        let path = dir.path().join(format!("voice-{rate}.m4a"));
        let file = write_in_pieces(&path, VoiceFormat::M4a, rate, &source);
        assert_eq!(file.duration_ms, 3217);
        assert_eq!(file.bytes, std::fs::metadata(&path).unwrap().len());
        assert!(!dir.path().join(format!("voice-{rate}.m4a.part")).exists());
        let probed = probe_audio(&path).unwrap();
        assert_eq!(
            (probed.format, probed.sample_rate, probed.channels),
            ("m4a", rate, 1)
        );
        assert!(
            probed.duration_ms.abs_diff(3217) <= 1,
            "{rate}: {}",
            probed.duration_ms
        );

        let decoded = decode_m4a(&path);
        assert_eq!(
            decoded.len(),
            source.len(),
            "the edit list plays exactly the samples written"
        );
        let source: Vec<f32> = source.iter().map(|s| f32::from(*s) / 32768.0).collect();
        let r = correlation(&envelope(&source, rate), &envelope(&decoded, rate));
        assert!(r > 0.95, "{rate}: envelopes correlate {r:.3}");
    }
}

#[test]
fn ffprobe_reports_the_recorded_duration() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("voice.m4a");
    write_in_pieces(&path, VoiceFormat::M4a, 16_000, &speech_like(16_000, 2.5));
    let seconds = common::ffprobe_seconds(&path);
    assert!((seconds - 2.5).abs() <= 0.05, "ffprobe says {seconds}");
    common::assert_ffmpeg_decodes(&path);
}

#[test]
fn wav_is_exact_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("voice.wav");
    let source = speech_like(16_000, 1.25);
    let file = write_in_pieces(&path, VoiceFormat::Wav, 16_000, &source);
    assert_eq!(file.duration_ms, 1250);
    assert_eq!(file.bytes, 44 + 2 * source.len() as u64);
    assert_eq!(probe_audio(&path).unwrap().duration_ms, 1250);
}

#[test]
fn a_short_note_still_makes_a_valid_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("short.m4a");
    let file = write_in_pieces(&path, VoiceFormat::M4a, 16_000, &speech_like(16_000, 0.2));
    assert_eq!(file.duration_ms, 200);
    assert!(probe_audio(&path).unwrap().duration_ms.abs_diff(200) <= 1);
    assert_eq!(
        VoiceFormat::of_path(Path::new("a.M4A")),
        Some(VoiceFormat::M4a)
    );
    assert_eq!(VoiceFormat::of_path(Path::new("a.mp3")), None);
}

#[test]
fn the_waveform_follows_the_sound() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("half.m4a");
    // A second of bursts, then a second of silence.
    let mut samples = speech_like(16_000, 1.0);
    samples.extend(std::iter::repeat_n(0i16, 16_000));
    write_in_pieces(&path, VoiceFormat::M4a, 16_000, &samples);
    let bars = natter_media::waveform(std::fs::read(&path).unwrap(), 20).unwrap();
    assert_eq!(bars.len(), 20);
    assert!(bars[..9].iter().any(|b| *b > 0.6), "{bars:?}");
    assert!(bars[11..].iter().all(|b| *b < 0.15), "{bars:?}");
    // Files from elsewhere too (ffmpeg's, a steady tone: docs in tests/data).
    for fixture in ["tone-2.5s.m4a", "tone-2.5s.mp3", "tone-1.2s-noxing.mp3"] {
        let bytes = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/data")
                .join(fixture),
        )
        .unwrap();
        let bars = natter_media::waveform(bytes, 10).unwrap();
        assert!(bars.iter().skip(1).all(|b| *b > 0.5), "{fixture}: {bars:?}");
    }
    // Not audio, or nothing: the reference's codes.
    let error = natter_media::waveform(b"not audio at all".to_vec(), 20).unwrap_err();
    assert_eq!(error.code(), 2400);
    assert_eq!(
        natter_media::waveform(Vec::new(), 20).unwrap_err().code(),
        2108
    );
}
