//! Recording voice notes from an input device (cpal; ALSA on Linux).
//!
//! [`Recorder::start`] opens the device in a format it supports — the
//! voice rate in mono 16-bit when it offers that, anything else converted
//! in Rust (`convert.rs`) — and streams the recording to disk through a
//! [`VoiceWriter`], so memory does not grow with its length. Everything
//! after the device's callback runs on one worker thread per recording:
//! the callback only copies samples into a bounded channel.
//!
//! A recording ends when the caller stops or cancels it, at its maximum
//! duration (cut to the exact sample), or when the device fails or goes
//! quiet: an error from the device or [`SILENT_DEVICE_TIMEOUT`] without
//! samples ends it with [`RecordingEnd::DeviceLost`], keeping what was
//! recorded, so a vanished microphone never leaves a caller waiting.

mod convert;

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{Data, ErrorKind, FromSample, SupportedStreamConfigRange};

use crate::audio::level_of_rms;
use crate::error::MediaError;
use crate::voice::{VoiceFile, VoiceFormat, VoiceWriter};
use convert::Converter;

pub use cpal::SampleFormat;

/// How long a device may deliver nothing before the recording ends.
pub const SILENT_DEVICE_TIMEOUT: Duration = Duration::from_secs(2);
/// Level events per second of audio.
pub const LEVELS_PER_SECOND: u32 = 20;
/// Callback buffers the worker may fall behind by before the device's
/// thread waits for it (a device that is not paced, like a file replayed
/// through ALSA, is slowed to the encoder's speed instead of losing audio).
const CHANNEL_DEPTH: usize = 64;

fn capture_error(e: impl std::fmt::Display) -> MediaError {
    MediaError::Capture(e.to_string())
}

/// An input device, as `natter-cli devices` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputDevice {
    /// Stable identifier (`alsa:default`, `alsa:hw:CARD=PCH,DEV=0`…),
    /// accepted by [`RecordOptions::device`].
    pub id: String,
    /// What to show a user.
    pub name: String,
    /// Whether recording without a device chosen uses this one.
    pub is_default: bool,
}

/// The input devices of the system's default audio host.
pub fn input_devices() -> Result<Vec<InputDevice>, MediaError> {
    let host = cpal::default_host();
    let default_id = host
        .default_input_device()
        .and_then(|d| d.id().ok())
        .map(|id| id.to_string());
    let devices = host.input_devices().map_err(capture_error)?;
    Ok(devices
        .filter_map(|device| {
            let id = device.id().ok()?.to_string();
            let name = device
                .description()
                .map(|d| d.name().to_owned())
                .unwrap_or_else(|_| device.to_string());
            Some(InputDevice {
                is_default: default_id.as_deref() == Some(id.as_str()),
                id,
                name,
            })
        })
        .collect())
}

/// A device format to open exactly, instead of letting the recorder
/// choose one (some virtual devices accept any format but deliver only one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputFormat {
    pub channels: u16,
    pub sample_rate: u32,
    pub sample_format: SampleFormat,
}

#[derive(Debug, Clone)]
pub struct RecordOptions {
    /// A device's id, the part of the id after the host (`testmic` for
    /// `alsa:testmic`) or its name; `None` records from the default device.
    pub device: Option<String>,
    pub format: VoiceFormat,
    /// Of the voice note (16 kHz for voice; 44.1 or 48 kHz for music).
    pub sample_rate: u32,
    /// The recording ends by itself after this much audio.
    pub max_duration: Duration,
    pub input: Option<InputFormat>,
}

impl Default for RecordOptions {
    fn default() -> Self {
        RecordOptions {
            device: None,
            format: VoiceFormat::M4a,
            sample_rate: 16_000,
            max_duration: Duration::from_secs(60),
            input: None,
        }
    }
}

/// What a recording reports while it runs (from its worker thread).
#[derive(Debug, Clone, PartialEq)]
pub enum RecordEvent {
    /// The device delivered its first samples, `latency` after
    /// [`Recorder::start`] was called.
    FirstSample { latency: Duration },
    /// The loudness of the last 1/[`LEVELS_PER_SECOND`] s ending at `at`
    /// (audio time): 0.0 is −60 dBFS or quieter, 1.0 full scale.
    Level { at: Duration, level: f32 },
    /// The recording ended by itself; [`Recorder::stop`] returns it.
    Ended(RecordingEnd),
}

/// Why a recording ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordingEnd {
    Stopped,
    MaxDuration,
    /// The device failed or went quiet; what came before is kept.
    DeviceLost(String),
}

/// A finished recording.
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    pub file: VoiceFile,
    pub end: RecordingEnd,
    /// The device's name.
    pub device: String,
}

enum Message {
    /// Interleaved samples, as the device delivered them.
    Samples(Vec<f32>),
    DeviceError(cpal::Error),
    Stop,
    Cancel,
}

/// A recording in progress; dropping it stops it and keeps the file.
pub struct Recorder {
    messages: SyncSender<Message>,
    worker: Option<JoinHandle<Result<Option<Recording>, MediaError>>>,
    device: String,
}

impl Recorder {
    /// Opens the device and starts recording into `path`; returns once the
    /// device is running (its samples are on their way), or the reason it
    /// cannot be.
    pub fn start(
        path: &Path,
        options: RecordOptions,
        on_event: impl FnMut(RecordEvent) + Send + 'static,
    ) -> Result<Recorder, MediaError> {
        let requested = Instant::now();
        let (messages, inbox) = mpsc::sync_channel(CHANNEL_DEPTH);
        let (ready_tx, ready_rx) = mpsc::sync_channel(1);
        let to_device = messages.clone();
        let target = path.to_owned();
        let worker = thread::Builder::new()
            .name("natter-voice".into())
            .spawn(move || {
                let session = match Session::open(&target, &options, to_device) {
                    Ok(session) => session,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return Ok(None);
                    }
                };
                let _ = ready_tx.send(Ok(session.device.clone()));
                session.run(inbox, requested, on_event)
            })
            .map_err(capture_error)?;
        match ready_rx.recv() {
            Ok(Ok(device)) => Ok(Recorder {
                messages,
                worker: Some(worker),
                device,
            }),
            Ok(Err(e)) => {
                let _ = worker.join();
                Err(e)
            }
            Err(_) => {
                let _ = worker.join();
                Err(MediaError::Capture(
                    "the recorder stopped unexpectedly".into(),
                ))
            }
        }
    }

    /// The device's name.
    pub fn device(&self) -> &str {
        &self.device
    }

    /// Ends the recording (if it has not ended by itself) and returns the
    /// finished file.
    pub fn stop(mut self) -> Result<Recording, MediaError> {
        let _ = self.messages.send(Message::Stop);
        self.join()?
            .ok_or_else(|| MediaError::Capture("the recording was cancelled".into()))
    }

    /// Waits until the recording ends by itself (maximum duration or a
    /// lost device).
    pub fn wait(mut self) -> Result<Recording, MediaError> {
        self.join()?
            .ok_or_else(|| MediaError::Capture("the recording was cancelled".into()))
    }

    /// Discards the recording; no file is left behind.
    pub fn cancel(mut self) {
        let _ = self.messages.send(Message::Cancel);
        if let Ok(Ok(Some(recording))) = self.join_inner() {
            // It had already ended by itself: discard the file it made.
            let _ = std::fs::remove_file(recording.file.path);
        }
    }

    fn join(&mut self) -> Result<Option<Recording>, MediaError> {
        self.join_inner()
            .unwrap_or_else(|_| Err(MediaError::Capture("the recorder crashed".into())))
    }

    fn join_inner(&mut self) -> thread::Result<Result<Option<Recording>, MediaError>> {
        match self.worker.take() {
            Some(worker) => worker.join(),
            None => Ok(Ok(None)),
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        if self.worker.is_some() {
            let _ = self.messages.send(Message::Stop);
            let _ = self.join_inner();
        }
    }
}

/// How the worker's loop ends.
enum Outcome {
    Ended(RecordingEnd),
    Cancelled,
    Failed(MediaError),
}

/// One recording's device stream, conversion and file, on its worker thread.
struct Session {
    /// `None` once released (see [`release`]).
    stream: Option<cpal::Stream>,
    device: String,
    converter: Converter,
    writer: VoiceWriter,
    path: PathBuf,
    sample_rate: u32,
    max_samples: u64,
}

impl Session {
    fn open(
        path: &Path,
        options: &RecordOptions,
        to_worker: SyncSender<Message>,
    ) -> Result<Session, MediaError> {
        let host = cpal::default_host();
        let device = find_device(&host, options.device.as_deref())?;
        let name = device
            .description()
            .map(|d| d.name().to_owned())
            .unwrap_or_else(|_| device.to_string());
        let input = match options.input {
            Some(format) => format,
            None => choose_format(&device, options.sample_rate)?,
        };
        let converter = Converter::new(input.channels, input.sample_rate, options.sample_rate)?;
        let writer = VoiceWriter::create(path, options.format, options.sample_rate)?;
        // Small periods: the first samples (and every level) come soon, and
        // some plugins (PulseAudio's) otherwise pick periods of seconds.
        let period = cpal::BufferSize::Fixed((input.sample_rate / 50).max(64));
        let build = |buffer_size| {
            let to_worker = to_worker.clone();
            let to_worker_on_error = to_worker.clone();
            let config = cpal::StreamConfig {
                channels: input.channels,
                sample_rate: input.sample_rate,
                buffer_size,
            };
            device.build_input_stream_raw(
                config,
                input.sample_format,
                move |data: &Data, _: &cpal::InputCallbackInfo| {
                    if let Some(samples) = interleaved_f32(data) {
                        // Waits only when the worker is far behind; fails
                        // only once the worker has finished.
                        let _ = to_worker.send(Message::Samples(samples));
                    }
                },
                move |e| {
                    let _ = to_worker_on_error.try_send(Message::DeviceError(e));
                },
                Some(Duration::from_secs(2)),
            )
        };
        let stream = build(period)
            .or_else(|e| match e.kind() {
                ErrorKind::UnsupportedConfig | ErrorKind::InvalidInput => {
                    build(cpal::BufferSize::Default)
                }
                _ => Err(e),
            })
            .map_err(|e| {
                let _ = std::fs::remove_file(path);
                MediaError::Capture(format!("cannot open {name}: {e}"))
            })?;
        if let Err(e) = stream.play() {
            let _ = std::fs::remove_file(path);
            return Err(MediaError::Capture(format!("cannot start {name}: {e}")));
        }
        let max_samples =
            (options.max_duration.as_secs_f64() * f64::from(options.sample_rate)).round() as u64;
        tracing::debug!(device = %name, ?input, "recording");
        Ok(Session {
            stream: Some(stream),
            device: name,
            converter,
            writer,
            path: path.to_owned(),
            sample_rate: options.sample_rate,
            max_samples,
        })
    }

    fn run(
        mut self,
        inbox: Receiver<Message>,
        requested: Instant,
        mut on_event: impl FnMut(RecordEvent),
    ) -> Result<Option<Recording>, MediaError> {
        let mut meter = LevelMeter::new(self.sample_rate);
        let mut written: u64 = 0;
        let mut first = true;
        let mut voice = Vec::new();
        let outcome = loop {
            let message = match inbox.recv_timeout(SILENT_DEVICE_TIMEOUT) {
                Ok(message) => message,
                Err(RecvTimeoutError::Timeout) => {
                    break Outcome::Ended(RecordingEnd::DeviceLost(format!(
                        "no sound from {} for {} s",
                        self.device,
                        SILENT_DEVICE_TIMEOUT.as_secs()
                    )))
                }
                Err(RecvTimeoutError::Disconnected) => break Outcome::Ended(RecordingEnd::Stopped),
            };
            match message {
                Message::Samples(samples) => {
                    if first {
                        first = false;
                        on_event(RecordEvent::FirstSample {
                            latency: requested.elapsed(),
                        });
                    }
                    voice.clear();
                    let converted = self.converter.push(&samples, &mut voice);
                    match converted
                        .and_then(|()| self.write(&voice, written, &mut meter, &mut on_event))
                    {
                        Ok(n) => written += n,
                        Err(e) => break Outcome::Failed(e),
                    }
                    if written >= self.max_samples {
                        break Outcome::Ended(RecordingEnd::MaxDuration);
                    }
                }
                Message::DeviceError(e) => match e.kind() {
                    ErrorKind::Xrun | ErrorKind::DeviceChanged | ErrorKind::RealtimeDenied => {
                        tracing::debug!(device = %self.device, "recording continues after: {e}");
                    }
                    _ => {
                        break Outcome::Ended(RecordingEnd::DeviceLost(format!(
                            "{}: {e}",
                            self.device
                        )))
                    }
                },
                Message::Stop => break Outcome::Ended(RecordingEnd::Stopped),
                Message::Cancel => break Outcome::Cancelled,
            }
        };
        // The device's thread may be waiting to hand over samples: let it
        // go (its sends now fail) before the stream is dropped, which joins it.
        drop(inbox);
        release(self.stream.take());
        let end = match outcome {
            Outcome::Ended(end) => end,
            Outcome::Cancelled => {
                self.discard();
                return Ok(None);
            }
            Outcome::Failed(e) => {
                self.discard();
                return Err(e);
            }
        };
        if written < self.max_samples {
            voice.clear();
            let flushed = self
                .converter
                .finish(&mut voice)
                .and_then(|()| self.write(&voice, written, &mut meter, &mut on_event));
            match flushed {
                Ok(n) => written += n,
                Err(e) => {
                    self.discard();
                    return Err(e);
                }
            }
        }
        if written == 0 {
            let error = match end {
                RecordingEnd::DeviceLost(reason) => MediaError::Capture(reason),
                _ => MediaError::Capture(format!("no sound came from {}", self.device)),
            };
            self.discard();
            return Err(error);
        }
        let path = self.path.clone();
        let file = self
            .writer
            .finish()
            .inspect_err(|_| remove_voice_file(&path))?;
        if end != RecordingEnd::Stopped {
            on_event(RecordEvent::Ended(end.clone()));
        }
        Ok(Some(Recording {
            file,
            end,
            device: self.device,
        }))
    }

    /// Leaves no file behind.
    fn discard(self) {
        drop(self.writer);
        remove_voice_file(&self.path);
    }

    /// Writes what fits under the maximum duration; returns how much.
    fn write(
        &mut self,
        voice: &[i16],
        written: u64,
        meter: &mut LevelMeter,
        on_event: &mut impl FnMut(RecordEvent),
    ) -> Result<u64, MediaError> {
        let room = self.max_samples.saturating_sub(written);
        let take = voice.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let part = &voice[..take];
        self.writer.write(part)?;
        for (at, level) in meter.measure(part) {
            on_event(RecordEvent::Level { at, level });
        }
        Ok(take as u64)
    }
}

/// How long closing a device may take before the recorder goes on without it.
const RELEASE_TIMEOUT: Duration = Duration::from_secs(1);

/// Closes the device's stream (which joins the thread cpal reads it on).
/// Some drivers never return once their device has gone — PulseAudio's
/// ALSA plugin deadlocks when its server dies — so the stream is dropped
/// on a thread of its own, and after [`RELEASE_TIMEOUT`] the recording is
/// finished without waiting further: a stuck driver thread is lost, the
/// caller is not.
fn release(stream: Option<cpal::Stream>) {
    let Some(stream) = stream else { return };
    let (done_tx, done_rx) = mpsc::sync_channel::<()>(1);
    let spawned = thread::Builder::new()
        .name("natter-voice-close".into())
        .spawn(move || {
            drop(stream);
            let _ = done_tx.send(());
        });
    match spawned {
        Ok(_) => {
            if done_rx.recv_timeout(RELEASE_TIMEOUT).is_err() {
                tracing::warn!("the input device did not close; going on without it");
            }
        }
        Err(e) => tracing::warn!("cannot close the input device on its own thread: {e}"),
    }
}

fn remove_voice_file(path: &Path) {
    let _ = std::fs::remove_file(path);
    let mut part = path.as_os_str().to_owned();
    part.push(".part");
    let _ = std::fs::remove_file(PathBuf::from(part));
}

/// Looks a device up by id, the id's device part, or name.
fn find_device(host: &cpal::Host, wanted: Option<&str>) -> Result<cpal::Device, MediaError> {
    let Some(wanted) = wanted else {
        return host
            .default_input_device()
            .ok_or(MediaError::NoInputDevice(None));
    };
    // By id first: no other device is opened to find it.
    if let Some(device) = wanted
        .parse::<cpal::DeviceId>()
        .ok()
        .and_then(|id| host.device_by_id(&id))
    {
        return Ok(device);
    }
    let devices = host.input_devices().map_err(capture_error)?;
    for device in devices {
        let matches_id = device
            .id()
            .is_ok_and(|id| id.to_string() == wanted || id.id() == wanted);
        let matches_name = device.description().is_ok_and(|d| d.name() == wanted);
        if matches_id || matches_name {
            return Ok(device);
        }
    }
    Err(MediaError::NoInputDevice(Some(wanted.to_owned())))
}

/// The sample types the recorder converts from.
fn convertible(format: SampleFormat) -> Option<u8> {
    // Lower is preferred: what the encoder takes first, then exact floats.
    match format {
        SampleFormat::I16 => Some(0),
        SampleFormat::F32 => Some(1),
        SampleFormat::I32 => Some(2),
        SampleFormat::F64 => Some(3),
        SampleFormat::U16 => Some(4),
        SampleFormat::I8 => Some(5),
        SampleFormat::U8 => Some(6),
        _ => None,
    }
}

/// A format the device supports, preferring the voice rate (no
/// resampling), 16-bit samples and fewer channels.
fn choose_format(device: &cpal::Device, rate: u32) -> Result<InputFormat, MediaError> {
    let name = device.to_string();
    let ranges: Vec<SupportedStreamConfigRange> = device
        .supported_input_configs()
        .map_err(|e| MediaError::Capture(format!("cannot open {name}: {e}")))?
        .filter(|range| convertible(range.sample_format()).is_some())
        .collect();
    let best = ranges.iter().min_by_key(|range| {
        (
            !range.contains_rate(rate),
            convertible(range.sample_format()),
            range.channels(),
        )
    });
    let Some(best) = best else {
        return Err(MediaError::Capture(format!(
            "{name} offers no sample format the recorder can convert"
        )));
    };
    let sample_rate = if best.contains_rate(rate) {
        rate
    } else {
        [48_000, 44_100]
            .into_iter()
            .find(|r| best.contains_rate(*r))
            .unwrap_or(best.max_sample_rate())
    };
    Ok(InputFormat {
        channels: best.channels(),
        sample_rate,
        sample_format: best.sample_format(),
    })
}

/// A callback's samples as interleaved `f32`.
fn interleaved_f32(data: &Data) -> Option<Vec<f32>> {
    fn convert<T: cpal::SizedSample>(data: &Data) -> Option<Vec<f32>>
    where
        f32: FromSample<T>,
    {
        Some(
            data.as_slice::<T>()?
                .iter()
                .map(|s| s.to_sample::<f32>())
                .collect(),
        )
    }
    match data.sample_format() {
        SampleFormat::I16 => convert::<i16>(data),
        SampleFormat::F32 => convert::<f32>(data),
        SampleFormat::I32 => convert::<i32>(data),
        SampleFormat::F64 => convert::<f64>(data),
        SampleFormat::U16 => convert::<u16>(data),
        SampleFormat::I8 => convert::<i8>(data),
        SampleFormat::U8 => convert::<u8>(data),
        _ => None,
    }
}

/// Loudness per window of 1/[`LEVELS_PER_SECOND`] s of voice samples.
struct LevelMeter {
    window: u64,
    sample_rate: u32,
    sum_of_squares: f64,
    in_window: u64,
    total: u64,
}

impl LevelMeter {
    fn new(sample_rate: u32) -> LevelMeter {
        LevelMeter {
            window: u64::from((sample_rate / LEVELS_PER_SECOND).max(1)),
            sample_rate,
            sum_of_squares: 0.0,
            in_window: 0,
            total: 0,
        }
    }

    fn measure(&mut self, samples: &[i16]) -> Vec<(Duration, f32)> {
        let mut levels = Vec::new();
        for s in samples {
            let x = f64::from(*s) / 32768.0;
            self.sum_of_squares += x * x;
            self.in_window += 1;
            self.total += 1;
            if self.in_window == self.window {
                let rms = (self.sum_of_squares / self.window as f64).sqrt();
                levels.push((
                    Duration::from_secs_f64(self.total as f64 / f64::from(self.sample_rate)),
                    level_of_rms(rms),
                ));
                self.sum_of_squares = 0.0;
                self.in_window = 0;
            }
        }
        levels
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_come_twenty_times_a_second_in_decibels() {
        let mut meter = LevelMeter::new(16_000);
        let silence = meter.measure(&vec![0i16; 800]);
        assert_eq!(silence, vec![(Duration::from_millis(50), 0.0)]);
        // A square wave at half scale: −6 dBFS → 0.9.
        let loud: Vec<i16> = (0..1600)
            .map(|i| if i % 2 == 0 { 16384 } else { -16384 })
            .collect();
        let levels = meter.measure(&loud);
        assert_eq!(levels.len(), 2);
        assert_eq!(levels[1].0, Duration::from_millis(150));
        assert!((levels[0].1 - 0.8997).abs() < 0.001, "{levels:?}");
    }
}
