//! The test microphones of `scripts/test-mic`, shared by the capture tests
//! and the capture and desktop benches: the devices' files, and the PulseAudio daemon
//! behind `pulsemic` (real time). Compiled (with `#[path]`) into the tests
//! of natter-media, natter-cli, the desktop app and the system tests, each
//! of which uses part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

/// Makes the test microphone's files in `dir` (`alsa.conf` among them).
pub fn make(dir: &Path) {
    // This file is compiled into more than one package: find the
    // repository's scripts from whichever is building it.
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|d| d.join("scripts/test-mic"))
        .find(|s| s.exists())
        .expect("scripts/test-mic in the repository");
    let made = std::process::Command::new(script).arg(dir).status();
    assert!(
        made.is_ok_and(|s| s.success()),
        "scripts/test-mic failed: it needs espeak-ng and sox (scripts/setup)"
    );
}

/// An ALSA configuration in `dir` (made by [`make`]) whose default device is
/// `default_pcm` (an ALSA PCM definition); returns the file to point
/// `ALSA_CONFIG_PATH` at.
pub fn with_default(dir: &Path, name: &str, default_pcm: &str) -> PathBuf {
    let config = dir.join(name);
    let mut text =
        std::fs::read_to_string(dir.join("alsa.conf")).expect("alsa.conf of scripts/test-mic");
    text.push_str(&format!("pcm.!default {default_pcm}\n"));
    std::fs::write(&config, text).expect("an ALSA configuration");
    config
}

/// A private PulseAudio daemon behind `pulsemic`, playing the speech into
/// the sink whose monitor `pulsemic` records (a monitor with nothing
/// playing delivers nothing); both are killed when dropped.
pub struct SoundServer {
    pub daemon: std::process::Child,
    player: Option<std::process::Child>,
}

impl SoundServer {
    pub fn start(mic: &Path) -> SoundServer {
        let dir = mic.join("pulse");
        std::fs::create_dir_all(&dir).unwrap();
        let socket = dir.join("native");
        let _ = std::fs::remove_file(&socket);
        let child = std::process::Command::new("pulseaudio")
            .args([
                "-n",
                "--daemonize=no",
                "--exit-idle-time=-1",
                "--use-pid-file=no",
            ])
            // The sink first: once the socket exists, paplay finds it.
            .arg("--load=module-null-sink sink_name=vsink")
            .arg(format!(
                "--load=module-native-protocol-unix socket={} auth-anonymous=1",
                socket.display()
            ))
            .env("HOME", &dir)
            .env("XDG_RUNTIME_DIR", &dir)
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("pulseaudio is not installed: run scripts/setup");
        let mut server = SoundServer {
            daemon: child,
            player: None,
        };
        for _ in 0..100 {
            if socket.exists() {
                // The speech said over and over for 10 minutes: once the
                // sink has nothing to play, its monitor delivers audio in
                // 2-second blocks, not in real time.
                let long = mic.join("speech-10min.wav");
                if !long.exists() {
                    let made = std::process::Command::new("sox")
                        .args(["-V1"])
                        .arg(mic.join("speech.wav"))
                        .arg(&long)
                        .args(["repeat", "46"])
                        .status();
                    assert!(made.is_ok_and(|s| s.success()), "sox (scripts/setup)");
                }
                let player = std::process::Command::new("paplay")
                    .args(["--latency-msec=20", "-d", "vsink"])
                    .arg(&long)
                    .env("PULSE_SERVER", format!("unix:{}", socket.display()))
                    .spawn()
                    .expect("paplay is not installed: run scripts/setup");
                server.player = Some(player);
                // A monitor opened before its sink runs delivers nothing.
                for _ in 0..250 {
                    let sinks = std::process::Command::new("pactl")
                        .args(["list", "short", "sinks"])
                        .env("PULSE_SERVER", format!("unix:{}", socket.display()))
                        .output()
                        .expect("pactl is not installed: run scripts/setup");
                    if String::from_utf8_lossy(&sinks.stdout).contains("RUNNING") {
                        // And has been for a moment: right after it starts,
                        // a new monitor stream still sometimes gets nothing.
                        std::thread::sleep(Duration::from_millis(500));
                        return server;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                panic!("paplay did not start playing");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("pulseaudio did not start");
    }
}

impl Drop for SoundServer {
    fn drop(&mut self) {
        for child in self.player.iter_mut().chain([&mut self.daemon]) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
