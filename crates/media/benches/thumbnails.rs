//! Thumbnailing a 12-megapixel JPEG to 720 and 198 px, beside
//! `vipsthumbnail` (Debian's libvips-tools) on the same file in the same run.
//!
//! ```sh
//! cargo bench -p natter-media --bench thumbnails            # a generated photo-like 4000×3000 JPEG
//! cargo bench -p natter-media --bench thumbnails -- PHOTO.jpg
//! ```
//!
//! Natter is timed in-process (what the desktop app and the server pay);
//! vips as the two processes its command line needs (one per size). Runs
//! alternate, and the medians are printed as a Markdown table for
//! `docs/benchmarks.md`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 15;

/// A photo-like test image: gradients, shapes and noise (noise is what makes
/// JPEG entropy decoding, the expensive part, work hard), at quality 90.
fn generated_photo(width: u16, height: u16) -> Vec<u8> {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut noise = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % 48) as u8
    };
    let (w, h) = (u32::from(width), u32::from(height));
    let mut rgb = Vec::with_capacity(w as usize * h as usize * 3);
    for y in 0..h {
        for x in 0..w {
            let inside = (x / 300 + y / 300) % 3 == 0;
            let base = [
                (x * 200 / w) as u8,
                (y * 200 / h) as u8,
                if inside { 180 } else { 60 },
            ];
            for c in base {
                rgb.push(c.saturating_add(noise()));
            }
        }
    }
    let mut jpeg = Vec::new();
    jpeg_encoder::Encoder::new(&mut jpeg, 90)
        .encode(&rgb, width, height, jpeg_encoder::ColorType::Rgb)
        .expect("encodes");
    jpeg
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn vips(input: &Path, out_dir: &Path) -> Option<Duration> {
    let start = Instant::now();
    for (size, name) in [("x720>", "large.jpg"), ("x198>", "small.jpg")] {
        let status = Command::new("vipsthumbnail")
            .arg(input)
            .args(["-s", size, "-o"])
            .arg(format!("{}[Q=85,strip]", out_dir.join(name).display()))
            .status()
            .ok()?;
        if !status.success() {
            return None;
        }
    }
    Some(start.elapsed())
}

fn main() {
    let dir = std::env::temp_dir().join(format!("natter-thumb-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let input: PathBuf = match std::env::args().skip(1).find(|a| !a.starts_with('-')) {
        Some(path) => PathBuf::from(path),
        None => {
            let path = dir.join("photo-4000x3000.jpg");
            std::fs::write(&path, generated_photo(4000, 3000)).expect("writes the photo");
            path
        }
    };
    let bytes = std::fs::read(&input).expect("reads the input");
    let first = natter_media::thumbnails(&bytes).expect("thumbnails");
    let have_vips = vips(&input, &dir).is_some();

    let (mut natter, mut vips_runs) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let start = Instant::now();
        let t = natter_media::thumbnails(&bytes).expect("thumbnails");
        natter.push(start.elapsed());
        std::hint::black_box(t);
        if have_vips {
            vips_runs.extend(vips(&input, &dir));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "input: {} ({}×{}, {:.1} MB); large {}×{} ({} KB), small {}×{} ({} KB)",
        input.display(),
        first.width,
        first.height,
        bytes.len() as f64 / 1e6,
        first.large.width,
        first.large.height,
        first.large.jpeg.len() / 1000,
        first.small.width,
        first.small.height,
        first.small.jpeg.len() / 1000,
    );
    println!("| 720 + 198 px thumbnails, median of {RUNS} | time |");
    println!("|---|---|");
    println!(
        "| natter-media (in process) | {:.1} ms |",
        ms(median(natter.clone()))
    );
    if have_vips {
        let v = median(vips_runs);
        println!(
            "| vipsthumbnail ×2 (one process per size) | {:.1} ms |",
            ms(v)
        );
        println!(
            "| ratio natter / vips | {:.2} |",
            ms(median(natter)) / ms(v)
        );
    } else {
        println!("| vipsthumbnail | not installed (apt-get install libvips-tools) |");
    }
}
