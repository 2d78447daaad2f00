//! Real capture through ALSA: the recorder records from `scripts/test-mic`'s
//! devices, which replay speech made by espeak-ng, and what it writes must
//! be that speech — its duration to the sample, its envelope — as our own
//! reader and Debian's ffmpeg both see it.
//!
//! The test devices are not paced (capture runs far faster than real
//! time), so recordings here end by their maximum duration or by a stop,
//! never after a wall-clock wait.

mod common;
#[path = "common/mic.rs"]
mod mic;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use common::{correlation, envelope, ffmpeg_samples};
use natter_media::capture::{
    input_devices, InputFormat, RecordEvent, RecordOptions, Recorder, RecordingEnd, SampleFormat,
};
use natter_media::{probe_audio, MediaError, VoiceFormat};

/// Makes the test microphone once per process and points ALSA at it.
fn test_mic() -> &'static Path {
    static MIC: OnceLock<PathBuf> = OnceLock::new();
    MIC.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("test-mic");
        mic::make(&dir);
        // Before any ALSA call of this process, and only here (the OnceLock
        // makes every test wait for it).
        std::env::set_var("ALSA_CONFIG_PATH", dir.join("alsa.conf"));
        dir
    })
}

/// The source speech, 16 kHz mono, as samples in [-1, 1].
fn source_speech() -> Vec<f32> {
    let mut reader = hound::WavReader::open(test_mic().join("speech.wav")).unwrap();
    reader
        .samples::<i16>()
        .map(|s| f32::from(s.unwrap()) / 32768.0)
        .collect()
}

fn options(device: &str, format: VoiceFormat, seconds: f64) -> RecordOptions {
    RecordOptions {
        device: Some(device.into()),
        format,
        max_duration: Duration::from_secs_f64(seconds),
        ..RecordOptions::default()
    }
}

type Events = Arc<Mutex<Vec<RecordEvent>>>;

fn collect() -> (Events, impl FnMut(RecordEvent) + Send + 'static) {
    let events: Events = Arc::default();
    let sink = events.clone();
    (events, move |e| sink.lock().unwrap().push(e))
}

fn assert_sounds_like_the_source(recorded: &[f32], seconds: f64) {
    let source = source_speech();
    let n = (16_000.0 * seconds) as usize;
    let r = correlation(&envelope(&source[..n], 16_000), &envelope(recorded, 16_000));
    assert!(r > 0.95, "envelopes correlate {r:.3}");
}

#[test]
fn the_test_microphones_are_listed() {
    test_mic();
    let devices = input_devices().unwrap();
    let mic = devices
        .iter()
        .find(|d| d.id == "alsa:testmic")
        .unwrap_or_else(|| panic!("no alsa:testmic in {devices:?}"));
    assert_eq!(mic.name, "Test microphone (speech, 16 kHz mono)");
    assert!(devices.iter().any(|d| d.id == "alsa:testmic48"));
}

#[test]
fn records_speech_to_m4a_that_lasts_what_was_recorded() {
    let dir = tempfile::tempdir().unwrap();
    test_mic();
    let path = dir.path().join("note.m4a");
    let (events, on_event) = collect();
    // No input format given: the recorder picks mono 16-bit at 16 kHz,
    // exactly what this device replays.
    let recorder =
        Recorder::start(&path, options("testmic", VoiceFormat::M4a, 3.0), on_event).unwrap();
    assert_eq!(recorder.device(), "Test microphone (speech, 16 kHz mono)");
    let recording = recorder.wait().unwrap();
    assert_eq!(recording.end, RecordingEnd::MaxDuration);
    assert_eq!(recording.file.duration_ms, 3000);
    assert_eq!(
        recording.file.bytes,
        std::fs::metadata(&path).unwrap().len()
    );
    assert!(!dir.path().join("note.m4a.part").exists());

    // Every reader agrees on the duration, and the sound is the speech.
    assert!(probe_audio(&path).unwrap().duration_ms.abs_diff(3000) <= 1);
    let ffprobe = common::ffprobe_seconds(&path);
    assert!((ffprobe - 3.0).abs() <= 0.05, "ffprobe says {ffprobe}");
    common::assert_ffmpeg_decodes(&path);
    let decoded = ffmpeg_samples(&path, 16_000);
    assert!(decoded.len().abs_diff(48_000) <= 800, "{}", decoded.len());
    assert_sounds_like_the_source(&decoded, 3.0);

    // A level 20 times a second of audio, following the speech.
    let events = events.lock().unwrap();
    assert!(matches!(events[0], RecordEvent::FirstSample { .. }));
    let levels: Vec<f64> = events
        .iter()
        .filter_map(|e| match e {
            RecordEvent::Level { level, .. } => Some(f64::from(*level)),
            _ => None,
        })
        .collect();
    assert_eq!(levels.len(), 60);
    assert!(levels.iter().any(|l| *l > 0.5) && levels.iter().any(|l| *l < 0.2));
    let source = source_speech();
    let windows: Vec<f64> = source[..48_000]
        .chunks(800)
        .map(|w| {
            let rms = (w.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / 800.0).sqrt();
            ((20.0 * rms.max(1e-9).log10() + 60.0) / 60.0).clamp(0.0, 1.0)
        })
        .collect();
    let r = correlation(&windows, &levels);
    assert!(r > 0.95, "levels follow the speech: {r:.3}");
    assert_eq!(
        events.last(),
        Some(&RecordEvent::Ended(RecordingEnd::MaxDuration))
    );
}

#[test]
fn a_48k_stereo_float_device_is_converted_to_16k_mono() {
    let dir = tempfile::tempdir().unwrap();
    test_mic();
    let path = dir.path().join("note.wav");
    let mut options = options("alsa:testmic48", VoiceFormat::Wav, 2.5);
    options.input = Some(InputFormat {
        channels: 2,
        sample_rate: 48_000,
        sample_format: SampleFormat::F32,
    });
    let recording = Recorder::start(&path, options, |_| {})
        .unwrap()
        .wait()
        .unwrap();
    assert_eq!(recording.file.duration_ms, 2500);
    let reader = hound::WavReader::open(&path).unwrap();
    assert_eq!(reader.spec().channels, 1);
    assert_eq!(reader.spec().sample_rate, 16_000);
    let samples: Vec<f32> = reader
        .into_samples::<i16>()
        .map(|s| f32::from(s.unwrap()) / 32768.0)
        .collect();
    assert_eq!(samples.len(), 40_000);
    assert_sounds_like_the_source(&samples, 2.5);
}

#[test]
fn a_short_note_is_a_valid_file() {
    let dir = tempfile::tempdir().unwrap();
    test_mic();
    let path = dir.path().join("short.m4a");
    let recording = Recorder::start(&path, options("testmic", VoiceFormat::M4a, 0.2), |_| {})
        .unwrap()
        .wait()
        .unwrap();
    assert_eq!(recording.file.duration_ms, 200);
    let ffprobe = common::ffprobe_seconds(&path);
    assert!((ffprobe - 0.2).abs() <= 0.05, "ffprobe says {ffprobe}");
    common::assert_ffmpeg_decodes(&path);
}

#[test]
fn stopping_keeps_what_was_recorded_and_cancelling_keeps_nothing() {
    let dir = tempfile::tempdir().unwrap();
    test_mic();
    let kept = dir.path().join("kept.m4a");
    let recorder =
        Recorder::start(&kept, options("testmic", VoiceFormat::M4a, 60.0), |_| {}).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    let recording = recorder.stop().unwrap();
    assert_eq!(recording.end, RecordingEnd::Stopped);
    assert!(recording.file.duration_ms > 0);
    let ffprobe = common::ffprobe_seconds(&kept);
    assert!(
        (ffprobe * 1000.0 - recording.file.duration_ms as f64).abs() <= 50.0,
        "ffprobe says {ffprobe}, the recorder {} ms",
        recording.file.duration_ms
    );

    let discarded = dir.path().join("discarded.m4a");
    let recorder = Recorder::start(
        &discarded,
        options("testmic", VoiceFormat::M4a, 60.0),
        |_| {},
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(50));
    recorder.cancel();
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("kept.m4a")]);
}

#[test]
fn an_unknown_device_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    test_mic();
    let path = dir.path().join("never.m4a");
    let error = Recorder::start(&path, options("no-such-mic", VoiceFormat::M4a, 1.0), |_| {})
        .err()
        .expect("recording from a device that does not exist");
    assert!(matches!(error, MediaError::NoInputDevice(Some(ref name)) if name == "no-such-mic"));
    assert_eq!(error.code(), 2300);
    assert_eq!(error.to_string(), "no input device named \"no-such-mic\"");
    assert!(!path.exists());
}

#[test]
fn a_microphone_that_goes_away_ends_the_recording_and_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    test_mic();
    let mut server = mic::SoundServer::start(test_mic());
    let path = dir.path().join("cut.m4a");
    let (events, on_event) = collect();
    let recorder = Recorder::start(
        &path,
        options("alsa:pulsemic", VoiceFormat::M4a, 30.0),
        on_event,
    )
    .unwrap();
    // Real time now: wait for half a second of audio, then take the server away.
    let started = std::time::Instant::now();
    while !events
        .lock()
        .unwrap()
        .iter()
        .any(|e| matches!(e, RecordEvent::Level { at, .. } if *at >= Duration::from_millis(500)))
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no sound from pulsemic: {:?}",
            recorder.wait()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    server.daemon.kill().unwrap();
    let lost_at = std::time::Instant::now();
    let recording = recorder.wait().unwrap();
    // Ended promptly, said why, and kept what was recorded before.
    assert!(
        lost_at.elapsed() < Duration::from_secs(4),
        "{:?}",
        lost_at.elapsed()
    );
    assert!(
        matches!(recording.end, RecordingEnd::DeviceLost(ref why) if why.contains("Test microphone (sound server")),
        "{:?}",
        recording.end
    );
    assert!(
        recording.file.duration_ms >= 500,
        "{}",
        recording.file.duration_ms
    );
    let ffprobe = common::ffprobe_seconds(&path);
    assert!((ffprobe * 1000.0 - recording.file.duration_ms as f64).abs() <= 50.0);
    assert!(matches!(
        events.lock().unwrap().last(),
        Some(RecordEvent::Ended(RecordingEnd::DeviceLost(_)))
    ));
}
