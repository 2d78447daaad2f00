//! AAC encoding speed of voice notes: a minute of speech-like mono audio at
//! 16 kHz (and 48 kHz) written to an M4A, timed on one thread, as a multiple
//! of real time (target ≥ 500×).
//!
//! ```sh
//! cargo bench -p natter-media --bench voice
//! ```

use std::time::Instant;

use natter_media::{VoiceFormat, VoiceWriter};

const SECONDS: u32 = 60;
const RUNS: usize = 7;

fn speech_like(rate: u32) -> Vec<i16> {
    (0..rate * SECONDS)
        .map(|i| {
            let t = f64::from(i) / f64::from(rate);
            let level = if (t * 1.7).fract() < 0.6 { 0.5 } else { 0.02 };
            let tone =
                (t * 2.0 * std::f64::consts::PI * 220.0 * (1.0 + 0.3 * (t * 3.0).sin())).sin();
            (tone * level * 20_000.0) as i16
        })
        .collect()
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let dir = tempfile::tempdir().expect("a temp dir");
    println!(
        "| sample rate | encode a {SECONDS} s voice note to M4A (median of {RUNS}) | × real time |"
    );
    println!("|---|---|---|");
    for rate in [16_000u32, 48_000] {
        let samples = speech_like(rate);
        let mut times = Vec::new();
        for run in 0..RUNS {
            let path = dir.path().join(format!("v{rate}-{run}.m4a"));
            let start = Instant::now();
            let mut writer = VoiceWriter::create(&path, VoiceFormat::M4a, rate).expect("a writer");
            for piece in samples.chunks(rate as usize / 50) {
                writer.write(piece).expect("encoded");
            }
            writer.finish().expect("finished");
            times.push(start.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        let median = times[RUNS / 2];
        println!(
            "| {} kHz | {:.1} ms | **{:.0}×** |",
            rate / 1000,
            median * 1000.0,
            f64::from(SECONDS) / median
        );
    }
}
