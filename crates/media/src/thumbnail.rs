//! Thumbnails in Tencent's two sizes: a "large" image whose short side is
//! 720 px and a "small" one of 198 px (`ImageInfoArray` types 2 and 3), as
//! JPEG at quality 85, 4:2:0. An image already smaller keeps its size.
//!
//! The pipeline (measured in `shared/design/thumbnails.md`):
//! 1. the format is sniffed from the bytes, never taken from a file name;
//! 2. the header alone is read, and an image of more than [`MAX_PIXELS`]
//!    is refused before anything is decoded (a 50,000 × 50,000 PNG bomb is a
//!    few KB);
//! 3. JPEG is decoded at reduced scale in the DCT domain (1/8 … 8/8, the
//!    smallest that still covers the large size), other formats in full
//!    through `image` under its allocation limit; GIF gives its first frame;
//!    transparency is flattened onto white;
//! 4. fast_image_resize (Lanczos3) makes the large size from the decoded
//!    pixels, then the small one from the large;
//! 5. EXIF orientation is applied to the two small outputs (rotating does
//!    not change which side is short).

use std::io::Cursor;

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, RgbImage};
use jpeg_decoder::PixelFormat;

use crate::error::MediaError;

/// Short side of the large thumbnail (`ImageInfoArray` type 2).
pub const LARGE_SHORT_SIDE: u32 = 720;
/// Short side of the small thumbnail (`ImageInfoArray` type 3).
pub const SMALL_SHORT_SIDE: u32 = 198;
/// Longest side a thumbnail may have (a very long panorama is shrunk further).
pub const MAX_LONG_SIDE: u32 = 7_200;
/// Largest image accepted, in pixels (a 100-megapixel photo decodes to 300 MB).
pub const MAX_PIXELS: u64 = 100_000_000;
/// Most memory a non-JPEG decoder may allocate.
const MAX_DECODE_ALLOC: u64 = 1024 * 1024 * 1024;
/// JPEG quality of the thumbnails.
pub const JPEG_QUALITY: u8 = 85;

/// One thumbnail: a JPEG and its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnail {
    pub width: u32,
    pub height: u32,
    pub jpeg: Vec<u8>,
}

/// The two thumbnails of an image, and the image's own size as it is shown
/// (after its EXIF orientation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnails {
    pub width: u32,
    pub height: u32,
    /// `jpg`, `png`, `gif`, `webp` or `bmp`, from the bytes.
    pub format: &'static str,
    pub large: Thumbnail,
    pub small: Thumbnail,
}

/// Pixels decoded for resizing: 8-bit RGB, possibly at reduced scale.
struct Decoded {
    rgb: Vec<u8>,
    width: u32,
    height: u32,
    /// The size stored in the file (before any reduced-scale decode).
    full_width: u32,
    full_height: u32,
    orientation: Orientation,
}

/// Makes the large and small thumbnails of the image in `bytes`.
pub fn thumbnails(bytes: &[u8]) -> Result<Thumbnails, MediaError> {
    if bytes.is_empty() {
        return Err(MediaError::Empty);
    }
    let format = image::guess_format(bytes).map_err(|_| MediaError::UnsupportedImage)?;
    let (decoded, name) = match format {
        ImageFormat::Jpeg => (decode_jpeg(bytes)?, "jpg"),
        ImageFormat::Png => (decode_other(bytes, format)?, "png"),
        ImageFormat::Gif => (decode_other(bytes, format)?, "gif"),
        ImageFormat::WebP => (decode_other(bytes, format)?, "webp"),
        ImageFormat::Bmp => (decode_other(bytes, format)?, "bmp"),
        _ => return Err(MediaError::UnsupportedImage),
    };
    let (large_w, large_h) = fit(decoded.full_width, decoded.full_height, LARGE_SHORT_SIDE);
    let large = resize(
        &decoded.rgb,
        decoded.width,
        decoded.height,
        large_w,
        large_h,
    )?;
    let (small_w, small_h) = fit(large_w, large_h, SMALL_SHORT_SIDE);
    let small = resize(&large, large_w, large_h, small_w, small_h)?;
    let turns = matches!(
        decoded.orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    );
    let (width, height) = if turns {
        (decoded.full_height, decoded.full_width)
    } else {
        (decoded.full_width, decoded.full_height)
    };
    Ok(Thumbnails {
        width,
        height,
        format: name,
        large: encode(large, large_w, large_h, decoded.orientation)?,
        small: encode(small, small_w, small_h, decoded.orientation)?,
    })
}

/// The size of `width` × `height` shrunk so its short side is `short` (or
/// left alone if it is already that small), and its long side at most
/// [`MAX_LONG_SIDE`]. Never 0.
pub(crate) fn fit(width: u32, height: u32, short: u32) -> (u32, u32) {
    let (w, h) = (u64::from(width), u64::from(height));
    let shortest = w.min(h).max(1);
    let longest = w.max(h).max(1);
    // The scale as a fraction num/den ≤ 1, from both constraints.
    let (mut num, mut den) = (1u64, 1u64);
    if shortest > u64::from(short) {
        (num, den) = (u64::from(short), shortest);
    }
    if longest * num > u64::from(MAX_LONG_SIDE) * den {
        (num, den) = (u64::from(MAX_LONG_SIDE), longest);
    }
    let scaled = |side: u64| {
        u32::try_from((side * num + den / 2) / den)
            .unwrap_or(u32::MAX)
            .max(1)
    };
    (scaled(w), scaled(h))
}

fn check_pixels(width: u32, height: u32) -> Result<(), MediaError> {
    if width == 0 || height == 0 {
        return Err(MediaError::Corrupt("the image has no pixels".into()));
    }
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(MediaError::TooManyPixels {
            width,
            height,
            limit: MAX_PIXELS,
        });
    }
    Ok(())
}

fn corrupt(e: impl std::fmt::Display) -> MediaError {
    MediaError::Corrupt(e.to_string())
}

fn decode_jpeg(bytes: &[u8]) -> Result<Decoded, MediaError> {
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder.read_info().map_err(corrupt)?;
    let info = decoder.info().ok_or_else(|| corrupt("no frame header"))?;
    let (full_width, full_height) = (u32::from(info.width), u32::from(info.height));
    check_pixels(full_width, full_height)?;
    // `scale` picks the smallest factor at which the width or the height
    // reaches the request, so ask for the large size's exact box.
    let (want_w, want_h) = fit(full_width, full_height, LARGE_SHORT_SIDE);
    let clamp = |v: u32| u16::try_from(v).unwrap_or(u16::MAX);
    let (width, height) = decoder
        .scale(clamp(want_w), clamp(want_h))
        .map_err(corrupt)?;
    let pixels = decoder.decode().map_err(corrupt)?;
    let orientation = decoder
        .exif_data()
        .and_then(Orientation::from_exif_chunk)
        .unwrap_or(Orientation::NoTransforms);
    let (width, height) = (u32::from(width), u32::from(height));
    let rgb = match info.pixel_format {
        PixelFormat::RGB24 => pixels,
        PixelFormat::L8 => pixels.iter().flat_map(|&l| [l, l, l]).collect(),
        // Big-endian 16-bit grey: the high byte is enough for a thumbnail.
        PixelFormat::L16 => pixels
            .chunks_exact(2)
            .flat_map(|p| [p[0], p[0], p[0]])
            .collect(),
        PixelFormat::CMYK32 => pixels
            .chunks_exact(4)
            .flat_map(|p| {
                let k = u32::from(p[3]);
                let channel = |c: u8| ((u32::from(c) * k + 127) / 255) as u8;
                [channel(p[0]), channel(p[1]), channel(p[2])]
            })
            .collect(),
    };
    if rgb.len() != width as usize * height as usize * 3 {
        return Err(corrupt("the decoded size does not match the header"));
    }
    Ok(Decoded {
        rgb,
        width,
        height,
        full_width,
        full_height,
        orientation,
    })
}

fn decode_other(bytes: &[u8], format: ImageFormat) -> Result<Decoded, MediaError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| match e {
        image::ImageError::Limits(_) => MediaError::TooManyPixels {
            width: 0,
            height: 0,
            limit: MAX_PIXELS,
        },
        other => corrupt(other),
    })?;
    let (width, height) = decoder.dimensions();
    check_pixels(width, height)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    // For an animation this is its first frame.
    let image = DynamicImage::from_decoder(decoder).map_err(corrupt)?;
    Ok(Decoded {
        rgb: flatten_onto_white(image),
        width,
        height,
        full_width: width,
        full_height: height,
        orientation,
    })
}

/// 8-bit RGB pixels, with any transparency composited onto white (JPEG has
/// none, and black — what a plain conversion gives — hides dark drawings).
fn flatten_onto_white(image: DynamicImage) -> Vec<u8> {
    if !image.color().has_alpha() {
        return image.into_rgb8().into_raw();
    }
    let rgba = image.into_rgba8();
    let mut rgb = Vec::with_capacity(rgba.width() as usize * rgba.height() as usize * 3);
    for p in rgba.pixels() {
        let alpha = u32::from(p[3]);
        for c in &p.0[..3] {
            rgb.push(((u32::from(*c) * alpha + 255 * (255 - alpha) + 127) / 255) as u8);
        }
    }
    rgb
}

pub(crate) fn resize(
    rgb: &[u8],
    width: u32,
    height: u32,
    to_w: u32,
    to_h: u32,
) -> Result<Vec<u8>, MediaError> {
    if (width, height) == (to_w, to_h) {
        return Ok(rgb.to_vec());
    }
    let src = ImageRef::new(width, height, rgb, PixelType::U8x3).map_err(corrupt)?;
    let mut dst = Image::new(to_w, to_h, PixelType::U8x3);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    Resizer::new()
        .resize(&src, &mut dst, &options)
        .map_err(|e| MediaError::Encode(e.to_string()))?;
    Ok(dst.into_vec())
}

pub(crate) fn encode(
    rgb: Vec<u8>,
    width: u32,
    height: u32,
    orientation: Orientation,
) -> Result<Thumbnail, MediaError> {
    let image = RgbImage::from_raw(width, height, rgb)
        .ok_or_else(|| MediaError::Encode("pixel buffer of the wrong size".into()))?;
    let mut image = DynamicImage::ImageRgb8(image);
    image.apply_orientation(orientation);
    let image = image.into_rgb8();
    let (width, height) = image.dimensions();
    let side =
        |v: u32| u16::try_from(v).map_err(|_| MediaError::Encode("a side over 65,535 px".into()));
    let mut jpeg = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut jpeg, JPEG_QUALITY);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
    encoder
        .encode(
            image.as_raw(),
            side(width)?,
            side(height)?,
            jpeg_encoder::ColorType::Rgb,
        )
        .map_err(|e| MediaError::Encode(e.to_string()))?;
    Ok(Thumbnail {
        width,
        height,
        jpeg,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_the_short_side() {
        assert_eq!(fit(4000, 3000, 720), (960, 720));
        assert_eq!(fit(3000, 4000, 720), (720, 960));
        assert_eq!(fit(960, 720, 198), (264, 198));
        assert_eq!(
            fit(500, 300, 720),
            (500, 300),
            "smaller images keep their size"
        );
        assert_eq!(
            fit(100_000, 1_000, 720),
            (7_200, 72),
            "a panorama is capped on its long side"
        );
        assert_eq!(fit(1, 60_000, 198), (1, 7_200));
    }
}
