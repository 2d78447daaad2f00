//! Voice notes recorded in the app: one recording at a time, from the
//! default (or a chosen) microphone into the profile's `outgoing` folder,
//! then either sent as a sound message or discarded.
//!
//! The recorder runs on natter-media's threads; the page hears of it
//! through events — `RecordingLevel` 20 times a second for the meter and
//! `RecordingEnded` when it ends by itself (maximum length, a lost
//! microphone) — and collects the finished note with `stop`, which keeps
//! it for the preview (`natter-media://localhost/recording/<id>`) until it
//! is sent or discarded.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use natter_media::capture::{RecordEvent, RecordOptions, Recorder, RecordingEnd};
use natter_media::{MediaError, VoiceFormat};
use serde::Serialize;

use crate::desktop::{AppEvent, EventBus};
use crate::error::{DesktopError, Result};

/// How long a voice note may be.
pub const MAX_DURATION: Duration = Duration::from_secs(60);
/// Bars of a voice bubble's waveform.
pub const WAVEFORM_BARS: usize = 40;

/// A finished recording waiting to be sent or discarded.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VoiceNote {
    pub id: String,
    #[serde(skip)]
    pub path: PathBuf,
    pub duration_ms: u64,
    pub bytes: u64,
    /// Its waveform ([`WAVEFORM_BARS`] levels 0–1), from the meter's levels.
    pub waveform: Vec<f32>,
    /// Why it ended when that was not the user's doing: `maxDuration`, or
    /// the lost device's reason.
    pub ended: Option<String>,
}

/// What `start` tells the page.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordingStarted {
    pub id: String,
    pub device: String,
}

struct Active {
    id: String,
    recorder: Recorder,
    levels: Arc<Mutex<Vec<f32>>>,
}

#[derive(Default)]
pub struct VoiceRecorder {
    active: tokio::sync::Mutex<Option<Active>>,
    finished: Mutex<Option<VoiceNote>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl VoiceRecorder {
    /// Starts recording into `dir`; a recording already running, or a note
    /// not sent yet, is discarded first.
    pub async fn start(
        &self,
        dir: PathBuf,
        device: Option<String>,
        events: EventBus,
    ) -> Result<RecordingStarted> {
        let mut active = self.active.lock().await;
        if let Some(previous) = active.take() {
            tokio::task::spawn_blocking(move || previous.recorder.cancel())
                .await
                .map_err(crashed)?;
        }
        self.discard_finished();
        std::fs::create_dir_all(&dir).map_err(|source| DesktopError::Storage {
            path: dir.clone(),
            source,
        })?;
        let stamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        let id = format!("voice-{stamp}");
        let path = crate::media::free_name(&dir, &format!("Voice-{stamp}.m4a"));
        let levels: Arc<Mutex<Vec<f32>>> = Arc::default();
        let options = RecordOptions {
            device,
            format: VoiceFormat::M4a,
            max_duration: MAX_DURATION,
            ..RecordOptions::default()
        };
        let on_event = {
            let (id, levels) = (id.clone(), levels.clone());
            move |event| match event {
                RecordEvent::FirstSample { latency } => {
                    tracing::debug!(?latency, "recording: first samples");
                }
                RecordEvent::Level { at, level } => {
                    lock(&levels).push(level);
                    events.send(AppEvent::RecordingLevel {
                        id: id.clone(),
                        level,
                        at_ms: at.as_millis() as u64,
                    });
                }
                RecordEvent::Ended(end) => events.send(AppEvent::RecordingEnded {
                    id: id.clone(),
                    reason: end_reason(&end),
                }),
            }
        };
        let recorder =
            tokio::task::spawn_blocking(move || Recorder::start(&path, options, on_event))
                .await
                .map_err(crashed)??;
        let started = RecordingStarted {
            id: id.clone(),
            device: recorder.device().to_owned(),
        };
        *active = Some(Active {
            id,
            recorder,
            levels,
        });
        Ok(started)
    }

    /// Ends the recording (if it has not ended by itself) and keeps the
    /// note for the preview and sending.
    pub async fn stop(&self) -> Result<VoiceNote> {
        let Active {
            id,
            recorder,
            levels,
        } = self.active.lock().await.take().ok_or_else(|| {
            DesktopError::Voice(MediaError::Capture("nothing is being recorded".into()))
        })?;
        let recording = tokio::task::spawn_blocking(move || recorder.stop())
            .await
            .map_err(crashed)??;
        let note = VoiceNote {
            id,
            path: recording.file.path,
            duration_ms: recording.file.duration_ms,
            bytes: recording.file.bytes,
            waveform: natter_media::audio::loudest_per_slice(&lock(&levels), WAVEFORM_BARS),
            ended: match &recording.end {
                RecordingEnd::Stopped => None,
                end => Some(end_reason(end)),
            },
        };
        *lock(&self.finished) = Some(note.clone());
        Ok(note)
    }

    /// Discards the recording running or the note not sent.
    pub async fn cancel(&self) {
        let active = self.active.lock().await.take();
        if let Some(active) = active {
            let _ = tokio::task::spawn_blocking(move || active.recorder.cancel()).await;
        }
        self.discard_finished();
    }

    /// Hands over the finished note `id` for sending.
    pub fn take_finished(&self, id: &str) -> Option<VoiceNote> {
        let mut finished = lock(&self.finished);
        if finished.as_ref().is_some_and(|n| n.id == id) {
            finished.take()
        } else {
            None
        }
    }

    /// The file of the finished note `id` (for its preview).
    pub fn finished_path(&self, id: &str) -> Option<PathBuf> {
        lock(&self.finished)
            .as_ref()
            .filter(|n| n.id == id)
            .map(|n| n.path.clone())
    }

    fn discard_finished(&self) {
        if let Some(note) = lock(&self.finished).take() {
            let _ = std::fs::remove_file(note.path);
        }
    }
}

fn crashed(e: tokio::task::JoinError) -> DesktopError {
    DesktopError::Voice(MediaError::Capture(format!("the recorder crashed: {e}")))
}

fn end_reason(end: &RecordingEnd) -> String {
    match end {
        RecordingEnd::Stopped => "stopped".into(),
        RecordingEnd::MaxDuration => "maxDuration".into(),
        RecordingEnd::DeviceLost(why) => why.clone(),
    }
}
