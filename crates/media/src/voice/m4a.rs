//! AAC-LC in an MP4 (`.m4a`) that plays exactly as long as what was
//! recorded.
//!
//! Fraunhofer's encoder (`fdk-aac`, raw access units) delays its output by
//! a priming of `nDelay` samples and, since it cannot be flushed through
//! this binding, the input is padded with silence until every recorded
//! sample has left it. The file says so: its edit list starts playback
//! after the priming (`media_time`) and lasts exactly the recorded samples
//! (`segment_duration`), with every timescale the sample rate so nothing
//! is rounded. While recording, access units stream to a `.part` file
//! beside the target; `finish` writes `ftyp` and `moov` first (players can
//! start before the end) followed by the data, and syncs.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use fdk_aac::enc::{AudioObjectType, BitRate, ChannelMode, Encoder, EncoderParams, Transport};

use super::VoiceFile;
use crate::error::MediaError;

/// Samples per AAC-LC frame.
const FRAME: usize = 1024;
/// Bits per second of the voice stream (mono; ~0.3 MB a minute).
const BIT_RATE: u32 = 40_000;

fn io(e: impl std::fmt::Display) -> MediaError {
    MediaError::Io(e.to_string())
}

fn encode_error(e: impl std::fmt::Debug) -> MediaError {
    MediaError::Encode(format!("AAC: {e:?}"))
}

/// Streams mono 16-bit samples into an `.m4a`.
pub struct M4aWriter {
    path: PathBuf,
    part_path: PathBuf,
    part: BufWriter<File>,
    encoder: Encoder,
    sample_rate: u32,
    /// The encoder's priming, in samples.
    delay: u32,
    /// AudioSpecificConfig, for the `esds` box.
    config: Vec<u8>,
    /// Input not yet handed to the encoder (less than a frame).
    pending: Vec<i16>,
    /// Samples written by the caller.
    samples: u64,
    /// Size of each access unit, in order.
    sizes: Vec<u32>,
    out: Vec<u8>,
}

impl M4aWriter {
    pub fn create(path: &Path, sample_rate: u32) -> Result<M4aWriter, MediaError> {
        let encoder = Encoder::new(EncoderParams {
            bit_rate: BitRate::Cbr(BIT_RATE),
            sample_rate,
            transport: Transport::Raw,
            channels: ChannelMode::Mono,
            audio_object_type: AudioObjectType::Mpeg4LowComplexity,
        })
        .map_err(encode_error)?;
        let info = encoder.info().map_err(encode_error)?;
        let config = info.confBuf[..(info.confSize as usize).min(64)].to_vec();
        let mut part_path = path.as_os_str().to_owned();
        part_path.push(".part");
        let part_path = PathBuf::from(part_path);
        Ok(M4aWriter {
            path: path.to_owned(),
            part: BufWriter::new(File::create(&part_path).map_err(io)?),
            part_path,
            encoder,
            sample_rate,
            delay: info.nDelay,
            config,
            pending: Vec::with_capacity(FRAME),
            samples: 0,
            sizes: Vec::new(),
            out: vec![0u8; (info.maxOutBufBytes as usize).max(8192)],
        })
    }

    pub fn write(&mut self, samples: &[i16]) -> Result<(), MediaError> {
        self.samples += samples.len() as u64;
        let mut rest = samples;
        while !rest.is_empty() {
            let take = (FRAME - self.pending.len()).min(rest.len());
            self.pending.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.pending.len() == FRAME {
                self.encode_pending()?;
            }
        }
        Ok(())
    }

    /// Encodes one full frame of input; keeps the access unit it yields.
    fn encode_pending(&mut self) -> Result<(), MediaError> {
        let mut input = &self.pending[..];
        while !input.is_empty() {
            let done = self
                .encoder
                .encode(input, &mut self.out)
                .map_err(encode_error)?;
            if done.output_size > 0 {
                self.part
                    .write_all(&self.out[..done.output_size])
                    .map_err(io)?;
                self.sizes.push(done.output_size as u32);
            }
            if done.input_consumed == 0 && done.output_size == 0 {
                return Err(MediaError::Encode(
                    "AAC: the encoder made no progress".into(),
                ));
            }
            input = &input[done.input_consumed..];
        }
        self.pending.clear();
        Ok(())
    }

    pub fn finish(mut self) -> Result<VoiceFile, MediaError> {
        // Silence until the last recorded sample has come out of the
        // encoder: its priming, the partial frame, and two frames more.
        let needed = self.samples + u64::from(self.delay);
        let mut guard = 0;
        while (self.sizes.len() as u64) * (FRAME as u64) < needed + FRAME as u64 {
            let silence = vec![0i16; FRAME - self.pending.len()];
            self.pending.extend_from_slice(&silence);
            self.encode_pending()?;
            guard += 1;
            if guard > 64 {
                return Err(MediaError::Encode(
                    "AAC: the encoder would not drain".into(),
                ));
            }
        }
        self.part.flush().map_err(io)?;
        let part = self.part.into_inner().map_err(|e| io(e.error()))?;
        drop(part);

        let frames = self.sizes.len() as u64;
        let data_len: u64 = self.sizes.iter().map(|s| u64::from(*s)).sum();
        let header = Header {
            sample_rate: self.sample_rate,
            samples: self.samples,
            priming: self.delay,
            media_duration: frames * FRAME as u64,
            config: &self.config,
            sizes: &self.sizes,
        };
        let ftyp = ftyp();
        // The data's offset depends on the size of `moov`, which does not
        // depend on the offset's value: build once for the size, then for real.
        let moov_len = header.moov(0).len() as u64;
        let mdat_header = mdat_header(data_len);
        let data_offset = ftyp.len() as u64 + moov_len + mdat_header.len() as u64;
        let moov = header.moov(data_offset);

        let result = (|| -> io::Result<u64> {
            let mut out = BufWriter::new(File::create(&self.path)?);
            out.write_all(&ftyp)?;
            out.write_all(&moov)?;
            out.write_all(&mdat_header)?;
            io::copy(&mut File::open(&self.part_path)?, &mut out)?;
            let file = out.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            Ok(file.metadata()?.len())
        })();
        let _ = fs::remove_file(&self.part_path);
        let bytes = result.map_err(io)?;
        let rate = u64::from(self.sample_rate);
        Ok(VoiceFile {
            path: self.path,
            duration_ms: (self.samples * 1000 + rate / 2) / rate,
            bytes,
        })
    }
}

/// What `moov` describes.
struct Header<'a> {
    sample_rate: u32,
    /// Samples that play (the recording).
    samples: u64,
    /// Samples of encoder priming before them.
    priming: u32,
    /// Samples in the track (frames × 1024).
    media_duration: u64,
    config: &'a [u8],
    sizes: &'a [u32],
}

/// A box: size, type, body.
fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 8);
    out.extend_from_slice(&((body.len() + 8) as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(body);
    out
}

/// A full box: version 0, `flags`.
fn full(kind: &[u8; 4], flags: u32, body: &[u8]) -> Vec<u8> {
    let mut b = flags.to_be_bytes().to_vec();
    b[0] = 0;
    b.extend_from_slice(body);
    boxed(kind, &b)
}

fn concat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

const MATRIX: [u32; 9] = [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000];

fn matrix() -> Vec<u8> {
    MATRIX.iter().flat_map(|v| v.to_be_bytes()).collect()
}

fn ftyp() -> Vec<u8> {
    boxed(
        b"ftyp",
        &concat(&[b"M4A ", &0u32.to_be_bytes(), b"M4A ", b"mp42", b"isom"]),
    )
}

fn mdat_header(data_len: u64) -> Vec<u8> {
    match u32::try_from(data_len + 8) {
        Ok(size) => concat(&[&size.to_be_bytes(), b"mdat"]),
        // Over 4 GiB: the 64-bit size form.
        Err(_) => concat(&[&1u32.to_be_bytes(), b"mdat", &(data_len + 16).to_be_bytes()]),
    }
}

/// An MPEG-4 descriptor: tag, length (one byte while it fits), body.
fn descriptor(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = body.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        out.extend_from_slice(&[
            0x80 | ((len >> 21) & 0x7f) as u8,
            0x80 | ((len >> 14) & 0x7f) as u8,
            0x80 | ((len >> 7) & 0x7f) as u8,
            (len & 0x7f) as u8,
        ]);
    }
    out.extend_from_slice(body);
    out
}

impl Header<'_> {
    fn moov(&self, data_offset: u64) -> Vec<u8> {
        let rate = self.sample_rate;
        // Durations over 32 bits would need version-1 boxes: a voice note
        // at 48 kHz reaches that after 24 hours.
        let play = self.samples.min(u64::from(u32::MAX)) as u32;
        let media = self.media_duration.min(u64::from(u32::MAX)) as u32;

        let mvhd = full(
            b"mvhd",
            0,
            &concat(&[
                &0u32.to_be_bytes(), // creation
                &0u32.to_be_bytes(), // modification
                &rate.to_be_bytes(),
                &play.to_be_bytes(),
                &0x0001_0000u32.to_be_bytes(), // rate 1.0
                &0x0100u16.to_be_bytes(),      // volume 1.0
                &[0u8; 10],
                &matrix(),
                &[0u8; 24],
                &2u32.to_be_bytes(), // next track ID
            ]),
        );
        let tkhd = full(
            b"tkhd",
            0x000007, // enabled, in movie, in preview
            &concat(&[
                &0u32.to_be_bytes(),
                &0u32.to_be_bytes(),
                &1u32.to_be_bytes(), // track ID
                &0u32.to_be_bytes(),
                &play.to_be_bytes(),
                &[0u8; 8],
                &0u16.to_be_bytes(), // layer
                &0u16.to_be_bytes(), // alternate group
                &0x0100u16.to_be_bytes(),
                &0u16.to_be_bytes(),
                &matrix(),
                &0u32.to_be_bytes(), // width
                &0u32.to_be_bytes(), // height
            ]),
        );
        let elst = full(
            b"elst",
            0,
            &concat(&[
                &1u32.to_be_bytes(),
                &play.to_be_bytes(),         // segment duration (movie timescale)
                &self.priming.to_be_bytes(), // media time (track timescale)
                &0x0001_0000u32.to_be_bytes(), // rate 1.0
            ]),
        );
        let edts = boxed(b"edts", &elst);
        let mdhd = full(
            b"mdhd",
            0,
            &concat(&[
                &0u32.to_be_bytes(),
                &0u32.to_be_bytes(),
                &rate.to_be_bytes(),
                &media.to_be_bytes(),
                &0x55c4u16.to_be_bytes(), // "und"
                &0u16.to_be_bytes(),
            ]),
        );
        let hdlr = full(
            b"hdlr",
            0,
            &concat(&[&0u32.to_be_bytes(), b"soun", &[0u8; 12], b"Natter voice\0"]),
        );
        let smhd = full(b"smhd", 0, &[0u8; 4]);
        let dref = full(
            b"dref",
            0,
            &concat(&[&1u32.to_be_bytes(), &full(b"url ", 1, &[])]),
        );
        let dinf = boxed(b"dinf", &dref);

        let decoder_specific = descriptor(5, self.config);
        let decoder_config = descriptor(
            4,
            &concat(&[
                &[0x40, 0x15], // MPEG-4 audio; audio stream
                &[0, 0x18, 0], // buffer size (24 bits)
                &BIT_RATE.to_be_bytes(),
                &BIT_RATE.to_be_bytes(),
                &decoder_specific,
            ]),
        );
        let es = descriptor(
            3,
            &concat(&[&[0, 0, 0], &decoder_config, &descriptor(6, &[2])]),
        );
        let esds = full(b"esds", 0, &es);
        let mp4a = boxed(
            b"mp4a",
            &concat(&[
                &[0u8; 6],
                &1u16.to_be_bytes(), // data reference
                &[0u8; 8],
                &1u16.to_be_bytes(),  // channels
                &16u16.to_be_bytes(), // sample size
                &[0u8; 4],
                &(rate << 16).to_be_bytes(),
                &esds,
            ]),
        );
        let stsd = full(b"stsd", 0, &concat(&[&1u32.to_be_bytes(), &mp4a]));
        let frames = self.sizes.len() as u32;
        let stts = full(
            b"stts",
            0,
            &concat(&[
                &1u32.to_be_bytes(),
                &frames.to_be_bytes(),
                &(FRAME as u32).to_be_bytes(),
            ]),
        );
        let stsc = full(
            b"stsc",
            0,
            &concat(&[
                &1u32.to_be_bytes(),
                &1u32.to_be_bytes(),
                &frames.to_be_bytes(),
                &1u32.to_be_bytes(),
            ]),
        );
        let sizes: Vec<u8> = self.sizes.iter().flat_map(|s| s.to_be_bytes()).collect();
        let stsz = full(
            b"stsz",
            0,
            &concat(&[&0u32.to_be_bytes(), &frames.to_be_bytes(), &sizes]),
        );
        // One chunk holding every access unit.
        let chunk_offsets = match u32::try_from(data_offset) {
            Ok(offset) => full(
                b"stco",
                0,
                &concat(&[&1u32.to_be_bytes(), &offset.to_be_bytes()]),
            ),
            Err(_) => full(
                b"co64",
                0,
                &concat(&[&1u32.to_be_bytes(), &data_offset.to_be_bytes()]),
            ),
        };
        let stbl = boxed(
            b"stbl",
            &concat(&[&stsd, &stts, &stsc, &stsz, &chunk_offsets]),
        );
        let minf = boxed(b"minf", &concat(&[&smhd, &dinf, &stbl]));
        let mdia = boxed(b"mdia", &concat(&[&mdhd, &hdlr, &minf]));
        let trak = boxed(b"trak", &concat(&[&tkhd, &edts, &mdia]));
        boxed(b"moov", &concat(&[&mvhd, &trak]))
    }
}
