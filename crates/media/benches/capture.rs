//! Recording from a microphone (`cargo bench -p natter-media --bench capture
//! --features capture`; needs scripts/setup's espeak-ng, sox and pulseaudio):
//!
//! - request → first sample: from `Recorder::start` until the first samples
//!   of the device reach the recorder, on a real-time device (a PulseAudio
//!   null sink's monitor playing speech, through ALSA's pulse plugin) and on
//!   the file replay (`testmic`, not paced: the cost of opening alone);
//!   target ≤ 100 ms;
//! - memory: the process's peak resident memory after a 10-second and
//!   after a 10-minute recording (the replay runs far faster than real
//!   time), which stays flat because the note streams to disk.

#[path = "../tests/common/mic.rs"]
mod mic;

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use natter_media::capture::{RecordEvent, RecordOptions, Recorder};
use natter_media::VoiceFormat;

const RUNS: usize = 10;

/// Milliseconds from `Recorder::start` to the first samples.
fn first_sample_ms(device: &str, dir: &Path) -> f64 {
    let (tx, rx) = mpsc::channel();
    let options = RecordOptions {
        device: Some(device.into()),
        format: VoiceFormat::M4a,
        max_duration: Duration::from_secs(30),
        ..RecordOptions::default()
    };
    let recorder = Recorder::start(&dir.join("latency.m4a"), options, move |e| {
        if let RecordEvent::FirstSample { latency } = e {
            let _ = tx.send(latency);
        }
    })
    .expect("the device opens");
    let latency = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("samples within 5 s");
    recorder.cancel();
    latency.as_secs_f64() * 1000.0
}

/// Peak resident memory of this process (VmHWM), in MiB.
fn peak_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

fn record_for(seconds: u64, dir: &Path) -> u64 {
    let options = RecordOptions {
        device: Some("testmic".into()),
        format: VoiceFormat::M4a,
        max_duration: Duration::from_secs(seconds),
        ..RecordOptions::default()
    };
    let recording = Recorder::start(&dir.join("long.m4a"), options, |_| {})
        .expect("testmic opens")
        .wait()
        .expect("a recording");
    recording.file.bytes
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let mic_dir = std::env::temp_dir().join("natter-bench-mic");
    mic::make(&mic_dir);
    std::env::set_var("ALSA_CONFIG_PATH", mic_dir.join("alsa.conf"));
    let work = tempfile::tempdir().expect("a temp dir");

    let _server = mic::SoundServer::start(&mic_dir);
    println!("| device | request → first sample, median of {RUNS} | runs (ms) |");
    println!("|---|---|---|");
    for device in ["testmic", "pulsemic"] {
        let times: Vec<f64> = (0..RUNS)
            .map(|_| first_sample_ms(device, work.path()))
            .collect();
        let runs: Vec<String> = times.iter().map(|t| format!("{t:.0}")).collect();
        println!(
            "| {device} | {:.1} ms | {} |",
            median(times),
            runs.join(", ")
        );
    }

    let before = peak_mib();
    let short = record_for(10, work.path());
    let after_short = peak_mib();
    let long = record_for(600, work.path());
    let after_long = peak_mib();
    println!();
    println!("| recording | file | peak RSS of the process after it |");
    println!("|---|---|---|");
    println!("| (before) | | {before:.1} MiB |");
    println!(
        "| 10 s | {:.0} KiB | {after_short:.1} MiB |",
        short as f64 / 1024.0
    );
    println!(
        "| 10 min | {:.0} KiB | {after_long:.1} MiB |",
        long as f64 / 1024.0
    );
}
