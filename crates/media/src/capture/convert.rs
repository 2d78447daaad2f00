//! From what an input device delivers to what the voice encoder takes:
//! interleaved frames of any channel count and sample type become mono
//! (the channels averaged), are resampled to the voice rate when the
//! device runs at another one, and leave as 16-bit samples.
//!
//! The resampler (`rubato`'s FFT resampler, fixed input chunks) delays
//! its output; the converter drops that delay at the start and, in
//! [`Converter::finish`], feeds silence until exactly
//! `round(frames_in × rate_out / rate_in)` samples have left, so a
//! recording's duration does not depend on the device's rate.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler};

use crate::error::MediaError;

/// Input frames per resampler call: 21 ms at 48 kHz.
const CHUNK: usize = 1024;

pub(crate) struct Converter {
    channels: usize,
    rate_in: u32,
    rate_out: u32,
    resampler: Option<Resampling>,
    /// Device frames taken so far.
    frames_in: u64,
    /// Output samples handed out so far.
    frames_out: u64,
}

struct Resampling {
    fft: Fft<f32>,
    /// Mono input waiting for a full chunk.
    pending: Vec<f32>,
    output: Vec<f32>,
    /// Output samples of the resampler's delay still to drop.
    delay_left: usize,
}

fn to_i16(x: f32) -> i16 {
    // `as` saturates; the clamp keeps +1.0 from wrapping past i16::MAX.
    (x.clamp(-1.0, 1.0) * f32::from(i16::MAX)).round() as i16
}

impl Converter {
    pub(crate) fn new(channels: u16, rate_in: u32, rate_out: u32) -> Result<Converter, MediaError> {
        if channels == 0 || rate_in == 0 || rate_out == 0 {
            return Err(MediaError::Capture(format!(
                "cannot record {channels} channels at {rate_in} Hz"
            )));
        }
        let resampler = if rate_in == rate_out {
            None
        } else {
            let fft = Fft::<f32>::new(
                rate_in as usize,
                rate_out as usize,
                CHUNK,
                1,
                FixedSync::Input,
            )
            .map_err(|e| MediaError::Capture(format!("resampler: {e}")))?;
            Some(Resampling {
                delay_left: fft.output_delay(),
                output: vec![0.0; fft.output_frames_max()],
                pending: Vec::with_capacity(CHUNK),
                fft,
            })
        };
        Ok(Converter {
            channels: usize::from(channels),
            rate_in,
            rate_out,
            resampler,
            frames_in: 0,
            frames_out: 0,
        })
    }

    /// Converts interleaved frames (any whole number of them), appending
    /// the voice samples that are ready to `out`.
    pub(crate) fn push(
        &mut self,
        interleaved: &[f32],
        out: &mut Vec<i16>,
    ) -> Result<(), MediaError> {
        let frames = interleaved.chunks_exact(self.channels);
        self.frames_in += frames.len() as u64;
        let scale = 1.0 / self.channels as f32;
        let mono = frames.map(|frame| frame.iter().sum::<f32>() * scale);
        match &mut self.resampler {
            None => {
                let before = out.len();
                out.extend(mono.map(to_i16));
                self.frames_out += (out.len() - before) as u64;
                Ok(())
            }
            Some(resampling) => {
                for sample in mono {
                    resampling.pending.push(sample);
                    if resampling.pending.len() == CHUNK {
                        self.frames_out += resampling.run(None, out, u64::MAX)?;
                    }
                }
                Ok(())
            }
        }
    }

    /// The samples still inside the resampler, so that the output lasts
    /// exactly as long as the input.
    pub(crate) fn finish(&mut self, out: &mut Vec<i16>) -> Result<(), MediaError> {
        let wanted = (self.frames_in * u64::from(self.rate_out) + u64::from(self.rate_in) / 2)
            / u64::from(self.rate_in);
        let Some(resampling) = &mut self.resampler else {
            return Ok(());
        };
        let mut guard = 0;
        while self.frames_out < wanted {
            let partial = resampling.pending.len();
            resampling.pending.resize(CHUNK, 0.0);
            self.frames_out += resampling.run(Some(partial), out, wanted - self.frames_out)?;
            guard += 1;
            if guard > 64 {
                return Err(MediaError::Capture("the resampler would not drain".into()));
            }
        }
        Ok(())
    }

    /// Input frames taken so far, at the device's rate.
    #[cfg(test)]
    pub(crate) fn frames_in(&self) -> u64 {
        self.frames_in
    }
}

impl Resampling {
    /// Resamples the pending chunk (of which the first `partial` frames
    /// are real, the rest silence) and appends at most `limit` samples,
    /// past the delay, to `out`. Returns how many were appended.
    fn run(
        &mut self,
        partial: Option<usize>,
        out: &mut Vec<i16>,
        limit: u64,
    ) -> Result<u64, MediaError> {
        let resample_error =
            |e: &dyn std::fmt::Display| MediaError::Capture(format!("resampler: {e}"));
        let input =
            InterleavedSlice::new(&self.pending[..], 1, CHUNK).map_err(|e| resample_error(&e))?;
        let capacity = self.output.len();
        let mut output = InterleavedSlice::new_mut(&mut self.output[..], 1, capacity)
            .map_err(|e| resample_error(&e))?;
        let indexing = partial.map(|n| rubato::Indexing::new().partial_len(n));
        let (_, produced) = self
            .fft
            .process_into_buffer(&input, &mut output, indexing.as_ref())
            .map_err(|e| resample_error(&e))?;
        self.pending.clear();
        let skip = self.delay_left.min(produced);
        self.delay_left -= skip;
        let ready = &self.output[skip..produced];
        let take = ready
            .len()
            .min(usize::try_from(limit).unwrap_or(usize::MAX));
        out.extend(ready[..take].iter().map(|x| to_i16(*x)));
        Ok(take as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(rate: u32, seconds: f32, hz: f32) -> Vec<f32> {
        let n = (rate as f32 * seconds) as usize;
        (0..n)
            .map(|i| 0.5 * (2.0 * std::f32::consts::PI * hz * i as f32 / rate as f32).sin())
            .collect()
    }

    #[test]
    fn same_rate_mono_passes_through_as_16_bit() {
        let mut c = Converter::new(1, 16_000, 16_000).unwrap();
        let mut out = Vec::new();
        c.push(&[0.0f32, 0.5, -1.0, 1.0, 2.0], &mut out).unwrap();
        c.finish(&mut out).unwrap();
        assert_eq!(out, vec![0, 16384, -32767, 32767, 32767]);
    }

    #[test]
    fn stereo_is_averaged() {
        let mut c = Converter::new(2, 16_000, 16_000).unwrap();
        let mut out = Vec::new();
        c.push(&[1.0, 0.0, -0.5, -0.5], &mut out).unwrap();
        assert_eq!(out, vec![16384, -16384]);
    }

    #[test]
    fn resampling_keeps_duration_and_signal() {
        for rate_in in [44_100u32, 48_000, 8_000] {
            // A 440 Hz tone, in uneven pieces as a device delivers them.
            let source = tone(rate_in, 1.3, 440.0);
            let stereo: Vec<f32> = source.iter().flat_map(|x| [*x, *x]).collect();
            let mut c = Converter::new(2, rate_in, 16_000).unwrap();
            let mut out = Vec::new();
            for piece in stereo.chunks(2 * 441) {
                c.push(piece, &mut out).unwrap();
            }
            c.finish(&mut out).unwrap();
            assert_eq!(c.frames_in(), source.len() as u64);
            let expected =
                (source.len() as u64 * 16_000 + u64::from(rate_in) / 2) / u64::from(rate_in);
            assert_eq!(out.len() as u64, expected, "{rate_in} Hz");
            // The same tone at 16 kHz, in phase: the delay was dropped.
            let reference = tone(16_000, 1.3, 440.0);
            let middle = 2_000..out.len() - 2_000;
            let error: f32 = middle
                .clone()
                .map(|i| (f32::from(out[i]) / 32767.0 - reference[i]).abs())
                .sum::<f32>()
                / middle.len() as f32;
            assert!(error < 0.01, "{rate_in} Hz: mean error {error}");
        }
    }

    #[test]
    fn a_partial_chunk_at_the_end_is_not_lost() {
        let mut c = Converter::new(1, 48_000, 16_000).unwrap();
        let mut out = Vec::new();
        c.push(&[0.25f32; 300], &mut out).unwrap();
        c.finish(&mut out).unwrap();
        assert_eq!(out.len(), 100);
    }
}
