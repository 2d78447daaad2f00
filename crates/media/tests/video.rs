//! Video probing on real files made with ffmpeg (`tests/data`, see
//! `tests/data/README.md`): H.264 MP4, a rotated one, a QuickTime file whose
//! first track is audio, HEVC (no snapshot, still a duration), and broken ones.

use std::path::PathBuf;

use natter_media::probe_video;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn decoded(jpeg: &[u8]) -> image::RgbImage {
    image::load_from_memory(jpeg).expect("a JPEG").into_rgb8()
}

#[test]
fn h264_mp4_gives_duration_size_and_a_real_first_frame() {
    let v = probe_video(&data("h264-320x240-2s.mp4")).unwrap();
    assert_eq!((v.format, v.codec), ("mp4", "h264"));
    assert_eq!((v.width, v.height, v.rotation), (320, 240, 0));
    assert!((1990..=2010).contains(&v.duration_ms), "{}", v.duration_ms);
    let snap = v.snapshot.expect("a snapshot");
    assert_eq!((snap.width, snap.height), (320, 240));
    // ffmpeg's test pattern: colour bars across the top — the frame is not flat.
    let img = decoded(&snap.jpeg);
    let left = img.get_pixel(20, 40);
    let right = img.get_pixel(300, 40);
    assert_ne!(left, right, "a decoded picture, not a blank");
}

#[test]
fn rotation_turns_size_and_snapshot() {
    let v = probe_video(&data("rotated-90.mp4")).unwrap();
    assert_eq!(v.rotation, 270, "ffprobe says 90 counter-clockwise");
    assert_eq!((v.width, v.height), (240, 320));
    let snap = v.snapshot.expect("a snapshot");
    assert_eq!((snap.width, snap.height), (240, 320));
}

#[test]
fn quicktime_with_audio_first() {
    let v = probe_video(&data("audio-first.mov")).unwrap();
    assert_eq!((v.format, v.codec), ("mov", "h264"));
    assert_eq!((v.width, v.height), (160, 120));
    assert!((1490..=1530).contains(&v.duration_ms), "{}", v.duration_ms);
    assert!(v.snapshot.is_some());
}

#[test]
fn hevc_has_no_snapshot_but_a_duration() {
    let v = probe_video(&data("hevc.mp4")).unwrap();
    assert_eq!(v.codec, "hevc");
    assert_eq!((v.width, v.height), (320, 240));
    assert!((990..=1010).contains(&v.duration_ms), "{}", v.duration_ms);
    assert!(v.snapshot.is_none());
    assert!(v.no_snapshot.unwrap().contains("hevc"));
}

#[test]
fn broken_files_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.mp4");
    std::fs::write(&empty, b"").unwrap();
    assert_eq!(probe_video(&empty).unwrap_err().code(), 2108);
    let text = dir.path().join("notes.mp4");
    std::fs::write(&text, b"this is not a video at all").unwrap();
    assert_eq!(probe_video(&text).unwrap_err().code(), 2352);
    // Cut files and flipped bytes: an error or a result, never a panic.
    let whole = std::fs::read(data("h264-320x240-2s.mp4")).unwrap();
    for cut in [16, 100, 1000, whole.len() / 2, whole.len() - 1] {
        let f = dir.path().join(format!("cut{cut}.mp4"));
        std::fs::write(&f, &whole[..cut]).unwrap();
        let _ = probe_video(&f);
    }
    for i in (0..whole.len()).step_by(97) {
        let mut bytes = whole.clone();
        bytes[i] ^= 0xa5;
        let f = dir.path().join("flipped.mp4");
        std::fs::write(&f, &bytes).unwrap();
        let _ = probe_video(&f);
    }
}
