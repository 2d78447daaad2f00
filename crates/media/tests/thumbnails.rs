//! Thumbnails of real encoded images, made here with real encoders: every
//! supported format, EXIF orientation, transparency, animation, and the
//! files an attacker or a broken upload sends.

use std::io::Cursor;

use image::{Delay, DynamicImage, Frame, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use natter_media::error::{FILE_EMPTY, IMAGE_TOO_LARGE, IMAGE_TYPE_UNSUPPORTED};
use natter_media::{thumbnails, MediaError};

/// A picture with structure: a gradient, and a dark block in the top-left corner.
fn picture(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        if x < width / 4 && y < height / 4 {
            Rgb([10, 10, 10])
        } else {
            Rgb([(x * 255 / width) as u8, (y * 255 / height) as u8, 200])
        }
    })
}

fn encoded(image: DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).expect("encodes");
    out.into_inner()
}

/// A JPEG of `image` carrying an EXIF orientation tag.
fn jpeg_with_orientation(image: &RgbImage, orientation: u16) -> Vec<u8> {
    // "Exif\0\0", then a big-endian TIFF header with one IFD entry: 0x0112
    // (Orientation), type SHORT, count 1, the value left-aligned.
    let mut exif = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01".to_vec();
    exif.extend_from_slice(&orientation.to_be_bytes());
    exif.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 90);
    encoder.add_app_segment(1, exif).expect("an APP1 segment");
    encoder
        .encode(
            image.as_raw(),
            image.width() as u16,
            image.height() as u16,
            jpeg_encoder::ColorType::Rgb,
        )
        .expect("encodes");
    out
}

fn decode(jpeg: &[u8]) -> RgbImage {
    image::load_from_memory_with_format(jpeg, ImageFormat::Jpeg)
        .expect("the thumbnail is a JPEG")
        .into_rgb8()
}

#[test]
fn a_large_jpeg_gets_both_sizes() {
    let bytes = jpeg_with_orientation(&picture(4000, 3000), 1);
    let t = thumbnails(&bytes).unwrap();
    assert_eq!((t.width, t.height, t.format), (4000, 3000, "jpg"));
    assert_eq!((t.large.width, t.large.height), (960, 720));
    assert_eq!((t.small.width, t.small.height), (264, 198));
    for thumb in [&t.large, &t.small] {
        let back = decode(&thumb.jpeg);
        assert_eq!((back.width(), back.height()), (thumb.width, thumb.height));
        // The dark block is still in the top-left corner, the gradient elsewhere.
        let corner = back.get_pixel(2, 2);
        assert!(corner.0.iter().all(|c| *c < 40), "{corner:?}");
        let far = back.get_pixel(back.width() - 3, back.height() - 3);
        assert!(far[0] > 200 && far[1] > 200, "{far:?}");
    }
}

#[test]
fn exif_orientation_is_applied() {
    // Stored landscape, shown portrait: orientation 6 turns it 90° clockwise,
    // so the stored top-left corner ends up top-right.
    let bytes = jpeg_with_orientation(&picture(1600, 1200), 6);
    let t = thumbnails(&bytes).unwrap();
    assert_eq!((t.width, t.height), (1200, 1600));
    assert_eq!((t.large.width, t.large.height), (720, 960));
    assert_eq!((t.small.width, t.small.height), (198, 264));
    let back = decode(&t.large.jpeg);
    assert!(back
        .get_pixel(back.width() - 3, 2)
        .0
        .iter()
        .all(|c| *c < 40));
    assert!(
        back.get_pixel(2, 2)[2] > 150,
        "the top-left is no longer the dark block"
    );
}

#[test]
fn small_images_keep_their_size() {
    let bytes = encoded(DynamicImage::ImageRgb8(picture(300, 150)), ImageFormat::Png);
    let t = thumbnails(&bytes).unwrap();
    assert_eq!((t.format, t.large.width, t.large.height), ("png", 300, 150));
    assert_eq!((t.small.width, t.small.height), (300, 150));
}

#[test]
fn every_supported_format() {
    let image = DynamicImage::ImageRgb8(picture(1000, 800));
    for (format, name) in [
        (ImageFormat::Png, "png"),
        (ImageFormat::WebP, "webp"),
        (ImageFormat::Bmp, "bmp"),
        (ImageFormat::Gif, "gif"),
        (ImageFormat::Jpeg, "jpg"),
    ] {
        let t =
            thumbnails(&encoded(image.clone(), format)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(t.format, name);
        assert_eq!((t.large.width, t.large.height), (900, 720), "{name}");
        assert_eq!((t.small.width, t.small.height), (248, 198), "{name}");
    }
}

#[test]
fn transparency_is_flattened_onto_white() {
    let image = RgbaImage::from_fn(800, 800, |x, _| {
        if x < 400 {
            Rgba([0, 0, 0, 0])
        } else {
            Rgba([0, 0, 0, 255])
        }
    });
    let t = thumbnails(&encoded(DynamicImage::ImageRgba8(image), ImageFormat::Png)).unwrap();
    let back = decode(&t.small.jpeg);
    assert!(
        back.get_pixel(5, 100).0.iter().all(|c| *c > 240),
        "transparent became white"
    );
    assert!(
        back.get_pixel(190, 100).0.iter().all(|c| *c < 20),
        "opaque black stays black"
    );
}

#[test]
fn an_animation_gives_its_first_frame() {
    let frame = |colour: [u8; 4]| {
        Frame::from_parts(
            RgbaImage::from_pixel(400, 300, Rgba(colour)),
            0,
            0,
            Delay::from_numer_denom_ms(100, 1),
        )
    };
    let mut gif = Vec::new();
    {
        let mut encoder = image::codecs::gif::GifEncoder::new(&mut gif);
        encoder
            .encode_frames([frame([255, 0, 0, 255]), frame([0, 0, 255, 255])])
            .unwrap();
    }
    let t = thumbnails(&gif).unwrap();
    assert_eq!((t.format, t.large.width, t.large.height), ("gif", 400, 300));
    let px = *decode(&t.large.jpeg).get_pixel(200, 150);
    assert!(px[0] > 200 && px[2] < 60, "the first (red) frame: {px:?}");
}

#[test]
fn bombs_are_refused_from_the_header() {
    // A PNG whose header claims 50,000 × 50,000 pixels (2.5 gigapixels).
    let small = encoded(DynamicImage::ImageRgb8(picture(16, 16)), ImageFormat::Png);
    let mut bomb = small.clone();
    // IHDR's width and height follow the 8-byte signature and the chunk's length and type.
    bomb[16..20].copy_from_slice(&50_000u32.to_be_bytes());
    bomb[20..24].copy_from_slice(&50_000u32.to_be_bytes());
    // The chunk's CRC covers its type and data.
    let crc = crc32fast::hash(&bomb[12..29]);
    bomb[29..33].copy_from_slice(&crc.to_be_bytes());
    let e = thumbnails(&bomb).unwrap_err();
    assert_eq!(e.code(), IMAGE_TOO_LARGE, "{e}");

    // A JPEG whose frame header claims 60,000 × 60,000.
    let mut jpeg = jpeg_with_orientation(&picture(16, 16), 1);
    let sof = jpeg
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("a baseline frame header");
    jpeg[sof + 5..sof + 7].copy_from_slice(&60_000u16.to_be_bytes());
    jpeg[sof + 7..sof + 9].copy_from_slice(&60_000u16.to_be_bytes());
    let e = thumbnails(&jpeg).unwrap_err();
    assert!(
        matches!(
            e,
            MediaError::TooManyPixels {
                width: 60_000,
                height: 60_000,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn broken_and_fake_files_get_a_clear_error() {
    assert_eq!(thumbnails(&[]).unwrap_err().code(), FILE_EMPTY);
    let not_an_image = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>";
    assert_eq!(
        thumbnails(not_an_image).unwrap_err().code(),
        IMAGE_TYPE_UNSUPPORTED
    );
    // Bytes that start like a PNG and then stop.
    let png = encoded(DynamicImage::ImageRgb8(picture(500, 400)), ImageFormat::Png);
    let e = thumbnails(&png[..png.len() / 2]).unwrap_err();
    assert!(matches!(e, MediaError::Corrupt(_)), "{e}");
    // A JPEG cut off in its scan data, and one cut off in its headers.
    let jpeg = jpeg_with_orientation(&picture(500, 400), 1);
    for cut in [jpeg.len() / 2, 40] {
        match thumbnails(&jpeg[..cut]) {
            Err(e) => assert_eq!(e.code(), IMAGE_TYPE_UNSUPPORTED, "{e}"),
            // A decoder may fill what is missing; then the result is still well formed.
            Ok(t) => assert_eq!((t.large.width, t.large.height), (500, 400)),
        }
    }
}
