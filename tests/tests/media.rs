//! Media on the server: the official Web SDK's upload path (`pre_sig` +
//! `PUT`), tus 1.0 resumable uploads, and authorised downloads with
//! ranges and thumbnails — over raw frames and raw HTTP, the way the
//! clients speak them.

use std::io::Cursor;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use natter_server::config::Limits;
use natter_system_tests::raw::{call, logged_in, next};
use natter_system_tests::{sig, TestServer};
use reqwest::header::HeaderMap;
use serde_json::{json, Value};

fn http() -> reqwest::Client {
    reqwest::Client::new()
}

fn basic(user: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{user}:{}", sig(user))))
}

/// A real PNG of `width` × `height` with a gradient (so resizing has something to do).
fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    out.into_inner()
}

/// Some bytes that are no known format.
fn noise(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7919 % 251) as u8).collect()
}

async fn get(url: &str, auth: Option<&str>) -> (u16, HeaderMap, Vec<u8>) {
    let mut req = http().get(url);
    if let Some(a) = auth {
        req = req.header("Authorization", a);
    }
    let resp = req.send().await.expect("GET answered");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, headers, resp.bytes().await.expect("body").to_vec())
}

fn code_of(body: &[u8]) -> u64 {
    serde_json::from_slice::<Value>(body).expect("JSON error body")["ErrorCode"]
        .as_u64()
        .expect("ErrorCode")
}

/// `im_cos_msg.pre_sig` as the Web SDK sends it: (upload URL, download URL).
async fn pre_sig(
    ws: &mut natter_system_tests::raw::Socket,
    seq: u64,
    file_type: u32,
    name: &str,
) -> (String, String) {
    let reply = call(
        ws,
        "im_cos_msg.pre_sig",
        seq,
        json!({"file_type": file_type, "file_name": name, "upload_method": 0, "Duration": 900}),
    )
    .await;
    assert_eq!(reply["ErrorCode"], 0, "{reply}");
    (
        reply["upload_url"].as_str().expect("upload_url").to_owned(),
        reply["download_url"]
            .as_str()
            .expect("download_url")
            .to_owned(),
    )
}

async fn put(url: &str, bytes: Vec<u8>, content_type: &str) -> (u16, Vec<u8>) {
    let resp = http()
        .put(url)
        .header("Content-Type", content_type)
        .body(bytes)
        .send()
        .await
        .expect("PUT answered");
    let status = resp.status().as_u16();
    (status, resp.bytes().await.expect("body").to_vec())
}

fn decoded_size(jpeg: &[u8]) -> (u32, u32) {
    let img = image::load_from_memory(jpeg).expect("a decodable image");
    (img.width(), img.height())
}

/// The URLs of a received image element, original first.
fn image_urls(item: &Value) -> Vec<String> {
    item["MsgBody"][0]["MsgContent"]["ImageInfoArray"]
        .as_array()
        .expect("ImageInfoArray")
        .iter()
        .map(|i| i["URL"].as_str().expect("URL").to_owned())
        .collect()
}

#[tokio::test]
async fn web_sdk_put_upload_is_served_to_the_conversation_only() {
    let server = TestServer::start().await;
    let (mut alice, _) = logged_in(&server, "alice").await;
    let (mut bob, _) = logged_in(&server, "bob").await;
    logged_in(&server, "carol").await;

    let (upload, download) =
        pre_sig(&mut alice, 2, 1, "0f1e2d3c4b5a69788796a5b4c3d2e1f0-42.png").await;
    assert!(upload.starts_with(&server.http_url()), "{upload}");
    let original = png(1000, 500);
    let (status, _) = put(&upload, original.clone(), "image/png").await;
    assert_eq!(status, 200);
    // An upload URL works once.
    let (status, body) = put(&upload, png(10, 10), "image/png").await;
    assert_eq!((status, code_of(&body)), (403, 70003));

    // The uploader can fetch it at once (the Web SDK measures the image so).
    let (status, headers, bytes) = get(&download, None).await;
    assert_eq!(status, 200);
    assert_eq!(bytes, original);
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["content-length"], original.len().to_string());

    // The Web SDK derives the thumbnail URLs from the download URL.
    let thumb = format!("{download}&imageView2/3/w/198/h/198");
    let large = format!("{download}&imageView2/3/w/720/h/720");
    let (status, headers, small) = get(&thumb, None).await;
    assert_eq!(
        (status, &headers["content-type"]),
        (200, &"image/jpeg".parse().unwrap())
    );
    assert_eq!(decoded_size(&small), (396, 198));
    let (_, _, big) = get(&large, None).await;
    // The short side (500) is under 720 already: the large image keeps the size.
    assert_eq!(decoded_size(&big), (1000, 500));

    // Alice sends it to Bob, with the URLs as the SDK puts them on the wire.
    let element = json!({"MsgType": "TIMImageElem", "MsgContent": {"UUID": "1400000000-alice-x.png", "ImageFormat": 3,
        "ImageInfoArray": [
            {"Type": 1, "Size": original.len(), "Width": 1000, "Height": 500, "URL": download, "InstanceId": 1, "MsgType": 0},
            {"Type": 2, "Size": 0, "Width": 1000, "Height": 500, "URL": large, "InstanceId": 2, "MsgType": 1},
            {"Type": 3, "Size": 0, "Width": 396, "Height": 198, "URL": thumb, "InstanceId": 3, "MsgType": 2}]}});
    let reply = call(
        &mut alice,
        "openim.sendmsg",
        3,
        json!({"To_Account": "bob", "MsgRandom": 77, "MsgSeq": 1, "MsgBody": [element]}),
    )
    .await;
    assert_eq!(reply["ErrorCode"], 0, "{reply}");

    let push = loop {
        let frame = next(&mut bob, true).await;
        if frame["head"]["servcmd"] == "im_open_push.msg_push" {
            break frame["body"]["EventArray"][0]["C2cMsgArray"][0].clone();
        }
    };
    let urls = image_urls(&push);
    assert_eq!(urls.len(), 3);
    for url in &urls {
        assert!(url.contains("token="), "{url}");
        assert!(
            !url.contains(download.split("token=").nth(1).unwrap()),
            "the uploader's token is not passed on: {url}"
        );
    }
    assert!(urls[2].contains("imageView2/3/w/198/h/198"), "{}", urls[2]);
    let (status, _, bytes) = get(&urls[0], None).await;
    assert_eq!((status, bytes), (200, original.clone()));
    let (_, _, small_for_bob) = get(&urls[2], None).await;
    assert_eq!(
        small_for_bob, small,
        "thumbnails are made once and served from storage"
    );

    // History carries freshly signed URLs too.
    let history = call(
        &mut bob,
        "openim.getroammsg",
        4,
        json!({"Peer_Account": "alice", "MaxCnt": 10, "MinTime": 0, "MaxTime": 0, "MsgKey": ""}),
    )
    .await;
    let url = &image_urls(&history["MsgList"][0])[0];
    assert_eq!(get(url, None).await.0, 200);

    // Carol was never sent a token. Without one, with a made-up one, or
    // with her own credentials she gets nothing; Alice's credentials work.
    let canonical = download.split('?').next().unwrap();
    let (status, _, body) = get(canonical, None).await;
    assert_eq!((status, code_of(&body)), (403, 70003));
    let forged = format!("{canonical}?token=4102444800.dWNhcm9s.AAAAAAAAAAAAAAAAAAAAAA");
    assert_eq!(get(&forged, None).await.0, 403);
    let (status, _, body) = get(canonical, Some(&basic("carol"))).await;
    assert_eq!((status, code_of(&body)), (403, 70003));
    assert_eq!(get(canonical, Some(&basic("alice"))).await.0, 200);
    // A token for one file does not open another.
    let (other_upload, other_download) = pre_sig(&mut alice, 5, 255, "secret.txt").await;
    assert_eq!(
        put(&other_upload, b"private".to_vec(), "text/plain")
            .await
            .0,
        200
    );
    let other_key = other_download
        .split("/media/")
        .nth(1)
        .unwrap()
        .split(['.', '?'])
        .next()
        .unwrap();
    let token = urls[0].split("token=").nth(1).unwrap();
    let stolen = format!("{}/media/{other_key}.txt?token={token}", server.http_url());
    assert_eq!(get(&stolen, None).await.0, 403);
}

#[tokio::test]
async fn group_members_get_the_group_token() {
    let server = TestServer::start().await;
    server.import(&["alice", "bob"]).await;
    let (mut alice, _) = logged_in(&server, "alice").await;
    let (mut bob, _) = logged_in(&server, "bob").await;
    let created = call(&mut alice, "group_open_http_svc.create_group", 2,
        json!({"Type": "Work", "Name": "media", "GroupId": "media1", "MemberList": [{"Member_Account": "bob"}]})).await;
    assert_eq!(created["ErrorCode"], 0, "{created}");
    let (upload, download) = pre_sig(&mut alice, 3, 255, "notes.txt").await;
    let bytes = noise(70_000);
    assert_eq!(put(&upload, bytes.clone(), "text/plain").await.0, 200);
    let element = json!({"MsgType": "TIMFileElem", "MsgContent": {"Download_Flag": 2, "Url": download,
        "UUID": "u.txt", "FileName": "notes.txt", "FileSize": bytes.len()}});
    let sent = call(
        &mut alice,
        "group_open_http_svc.send_group_msg",
        4,
        json!({"GroupId": "media1", "Random": 5, "MsgBody": [element]}),
    )
    .await;
    assert_eq!(sent["ErrorCode"], 0, "{sent}");
    let history = call(
        &mut bob,
        "group_open_http_svc.group_msg_get",
        5,
        json!({"GroupId": "media1", "ReqMsgNumber": 5}),
    )
    .await;
    let url = history["RspMsgList"][0]["MsgBody"][0]["MsgContent"]["Url"]
        .as_str()
        .unwrap_or_else(|| panic!("a file URL in {history}"))
        .to_owned();
    let (status, headers, got) = get(&url, None).await;
    assert_eq!((status, got), (200, bytes));
    // A file is an attachment, whatever its bytes claim to be.
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment"),
        "{headers:?}"
    );

    // Range requests, as players and resumed downloads make them.
    let resp = http()
        .get(&url)
        .header("Range", "bytes=100-199")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 206);
    assert_eq!(resp.headers()["content-range"], "bytes 100-199/70000");
    assert_eq!(
        resp.bytes().await.unwrap().to_vec(),
        noise(70_000)[100..200].to_vec()
    );
    let resp = http()
        .get(&url)
        .header("Range", "bytes=90000-")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 416);
}

#[tokio::test]
async fn limits_refuse_before_a_byte_is_stored() {
    let limits = Limits {
        image_upload_bytes: 1000,
        file_upload_bytes: 2000,
        ..Limits::default()
    };
    let server = TestServer::start_with(limits).await;
    let (mut alice, _) = logged_in(&server, "alice").await;
    let (upload, download) = pre_sig(&mut alice, 2, 1, "a.png").await;
    let (status, body) = put(&upload, png(200, 200), "image/png").await;
    assert_eq!((status, code_of(&body)), (413, 2253));
    let (status, body) = put(&upload, Vec::new(), "image/png").await;
    assert_eq!((status, code_of(&body)), (400, 2108));
    assert_eq!(get(&download, None).await.0, 404);

    let resp = tus_create(&server, "alice", 5000, "file", "big.bin").await;
    assert_eq!(resp.status().as_u16(), 413);
    assert_eq!(code_of(&resp.bytes().await.unwrap()), 2402);
    let staging = server.server.state.config.data_dir.join("media/staging");
    assert_eq!(
        std::fs::read_dir(&staging).unwrap().count(),
        0,
        "nothing was staged"
    );
}

async fn tus_create(
    server: &TestServer,
    user: &str,
    length: u64,
    kind: &str,
    name: &str,
) -> reqwest::Response {
    http()
        .post(format!("{}/media/tus", server.http_url()))
        .header("Tus-Resumable", "1.0.0")
        .header("Authorization", basic(user))
        .header("Upload-Length", length.to_string())
        .header(
            "Upload-Metadata",
            format!(
                "filename {},kind {}",
                STANDARD.encode(name),
                STANDARD.encode(kind)
            ),
        )
        .send()
        .await
        .expect("POST answered")
}

/// The absolute URL of an upload from its `Location` (relative, as tus allows).
fn location(server: &TestServer, resp: &reqwest::Response) -> String {
    let location = resp.headers()["location"].to_str().unwrap();
    assert!(location.starts_with("/media/tus/"), "{location}");
    format!("{}{location}", server.http_url())
}

async fn tus(method: reqwest::Method, url: &str, user: &str) -> reqwest::RequestBuilder {
    http()
        .request(method, url)
        .header("Tus-Resumable", "1.0.0")
        .header("Authorization", basic(user))
}

async fn patch(url: &str, user: &str, offset: u64, body: reqwest::Body) -> reqwest::Response {
    tus(reqwest::Method::PATCH, url, user)
        .await
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Offset", offset.to_string())
        .body(body)
        .send()
        .await
        .expect("PATCH answered")
}

/// The upload the last PATCH finished downloads byte-exact, with `content_type`.
async fn assert_served(last_patch: &reqwest::Response, data: &[u8], content_type: &str) {
    let media_url = last_patch.headers()["natter-media-url"]
        .to_str()
        .expect("Natter-Media-Url")
        .to_owned();
    let (status, headers, got) = get(&media_url, None).await;
    assert_eq!(status, 200);
    assert!(got == data, "byte-exact");
    assert_eq!(headers["content-type"], content_type);
}

async fn head_offset(url: &str, user: &str) -> (u16, Option<u64>) {
    let resp = tus(reqwest::Method::HEAD, url, user)
        .await
        .send()
        .await
        .unwrap();
    let offset = resp
        .headers()
        .get("upload-offset")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    (resp.status().as_u16(), offset)
}

#[tokio::test]
async fn tus_conformance() {
    let server = TestServer::start().await;
    server.import(&["alice", "mallory"]).await;
    let base = format!("{}/media/tus", server.http_url());

    let resp = http()
        .request(reqwest::Method::OPTIONS, &base)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    assert_eq!(resp.headers()["tus-version"], "1.0.0");
    assert_eq!(
        resp.headers()["tus-max-size"],
        (100 * 1024 * 1024).to_string()
    );
    assert!(resp.headers()["tus-extension"]
        .to_str()
        .unwrap()
        .contains("termination"));

    let no_version = http()
        .post(&base)
        .header("Upload-Length", "3")
        .header("Authorization", basic("alice"));
    assert_eq!(no_version.send().await.unwrap().status().as_u16(), 412);
    let no_auth = http()
        .post(&base)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "3");
    assert_eq!(no_auth.send().await.unwrap().status().as_u16(), 401);

    let data = noise(300_000);
    let resp = tus_create(&server, "alice", data.len() as u64, "file", "report.pdf").await;
    assert_eq!(resp.status().as_u16(), 201);
    assert!(resp.headers().contains_key("upload-expires"));
    let url = location(&server, &resp);
    assert_eq!(head_offset(&url, "alice").await, (200, Some(0)));
    assert_eq!(
        head_offset(&url, "mallory").await.0,
        404,
        "someone else's upload does not exist for them"
    );

    let wrong_type = tus(reqwest::Method::PATCH, &url, "alice")
        .await
        .header("Upload-Offset", "0")
        .body(data[..10].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status().as_u16(), 415);

    let resp = patch(&url, "alice", 0, data[..100_000].to_vec().into()).await;
    assert_eq!(resp.status().as_u16(), 204);
    assert_eq!(resp.headers()["upload-offset"], "100000");
    assert!(!resp.headers().contains_key("natter-media-url"));
    let resp = patch(&url, "alice", 50_000, data[50_000..].to_vec().into()).await;
    assert_eq!(
        resp.status().as_u16(),
        409,
        "a PATCH at the wrong offset is refused"
    );
    assert_eq!(head_offset(&url, "alice").await.1, Some(100_000));

    let resp = patch(&url, "alice", 100_000, data[100_000..].to_vec().into()).await;
    assert_eq!(resp.status().as_u16(), 204);
    assert_eq!(resp.headers()["upload-offset"], "300000");
    assert_served(&resp, &data, "application/pdf").await;

    // A finished upload is part of messages: it is not deleted.
    let resp = tus(reqwest::Method::DELETE, &url, "alice")
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);

    // Termination of an unfinished one.
    let resp = tus_create(&server, "alice", 10, "file", "x").await;
    let url = location(&server, &resp);
    assert_eq!(
        patch(&url, "alice", 0, vec![1u8; 4].into())
            .await
            .status()
            .as_u16(),
        204
    );
    let resp = tus(reqwest::Method::DELETE, &url, "alice")
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    assert_eq!(head_offset(&url, "alice").await.0, 404);
}

#[tokio::test]
async fn active_content_is_never_served_as_such() {
    let server = TestServer::start().await;
    let resp = http()
        .post(format!("{}/media/tus", server.http_url()))
        .header("Tus-Resumable", "1.0.0")
        .header("Authorization", basic("alice"))
        .header("Upload-Length", "43")
        .header(
            "Upload-Metadata",
            format!(
                "filename {},filetype {}",
                STANDARD.encode("page.html"),
                STANDARD.encode("text/html")
            ),
        )
        .send()
        .await
        .unwrap();
    let url = location(&server, &resp);
    let html = b"<html><script>alert(document.cookie)</script>".to_vec();
    let resp = patch(&url, "alice", 0, html[..43].to_vec().into()).await;
    let media_url = resp.headers()["natter-media-url"]
        .to_str()
        .unwrap()
        .to_owned();
    let (status, headers, _) = get(&media_url, None).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/octet-stream");
    assert!(headers["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    assert!(headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("sandbox"));
}

#[tokio::test]
async fn a_cut_upload_resumes_from_what_the_server_has() {
    let server = TestServer::start().await;
    let data = noise(2_000_000);
    let resp = tus_create(&server, "alice", data.len() as u64, "video", "clip.mp4").await;
    let url = location(&server, &resp);

    // 1.2 MB go through, then (once they are surely on the wire) the connection breaks.
    use futures_util::StreamExt;
    let sent: Vec<Result<bytes::Bytes, std::io::Error>> = vec![
        Ok(bytes::Bytes::copy_from_slice(&data[..600_000])),
        Ok(bytes::Bytes::copy_from_slice(&data[600_000..1_200_000])),
    ];
    let first = futures_util::stream::iter(sent).chain(futures_util::stream::once(async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "cable pulled",
        ))
    }));
    let cut = tus(reqwest::Method::PATCH, &url, "alice")
        .await
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Offset", "0")
        .header("Content-Length", data.len().to_string())
        .body(reqwest::Body::wrap_stream(first))
        .send()
        .await;
    assert!(cut.is_err(), "the request failed on the client side");

    // What arrived is kept; the client sends only the rest.
    let mut offset = None;
    for _ in 0..50 {
        offset = head_offset(&url, "alice").await.1;
        if offset == Some(1_200_000) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(offset, Some(1_200_000));
    let resp = patch(&url, "alice", 1_200_000, data[1_200_000..].to_vec().into()).await;
    assert_eq!(resp.status().as_u16(), 204);
    assert_served(&resp, &data, "video/mp4").await;
}

#[tokio::test]
async fn abandoned_uploads_expire_and_their_bytes_go() {
    let limits = Limits {
        upload_expiry_secs: 1,
        ..Limits::default()
    };
    let server = TestServer::start_with(limits).await;
    let resp = tus_create(&server, "alice", 100, "file", "a").await;
    let url = location(&server, &resp);
    assert_eq!(
        patch(&url, "alice", 0, vec![7u8; 40].into())
            .await
            .status()
            .as_u16(),
        204
    );
    let staging = server.server.state.config.data_dir.join("media/staging");
    assert_eq!(std::fs::read_dir(&staging).unwrap().count(), 1);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        head_offset(&url, "alice").await.0,
        404,
        "an expired upload is gone for the client"
    );
    let state = &server.server.state;
    let swept = state
        .media
        .sweep_expired(state.store.as_ref(), natter_system_tests::now())
        .await
        .unwrap();
    assert_eq!(swept, 1);
    assert_eq!(
        std::fs::read_dir(&staging).unwrap().count(),
        0,
        "and its bytes are deleted"
    );
}

#[tokio::test]
async fn thumbnails_of_hostile_images_do_not_break_the_download() {
    let server = TestServer::start().await;
    let (mut alice, _) = logged_in(&server, "alice").await;
    // A PNG header claiming 50,000 × 50,000 pixels, and a truncated PNG.
    let mut bomb = png(64, 64);
    bomb[16..20].copy_from_slice(&50_000u32.to_be_bytes());
    bomb[20..24].copy_from_slice(&50_000u32.to_be_bytes());
    let truncated = png(300, 300)[..500].to_vec();
    for (seq, bytes) in [(2u64, bomb), (3, truncated)] {
        let (upload, download) = pre_sig(&mut alice, seq, 1, "x.png").await;
        assert_eq!(put(&upload, bytes.clone(), "image/png").await.0, 200);
        let (status, _, got) = get(&format!("{download}&imageView2/3/w/198/h/198"), None).await;
        assert_eq!(
            (status, got),
            (200, bytes),
            "the original stands in for a thumbnail"
        );
    }
}

/// tuspy (from PyPI, installed by `scripts/setup` into `tests/tus/.venv`).
#[tokio::test]
async fn a_third_party_tus_client_uploads_and_resumes() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tus");
    let python = dir.join(".venv/bin/python");
    assert!(
        python.exists(),
        "tuspy is not installed: run scripts/setup (a virtualenv in tests/tus/.venv)"
    );
    let server = TestServer::start().await;
    let file = tempfile::NamedTempFile::new().unwrap();
    let data = noise(1_000_003);
    std::fs::write(file.path(), &data).unwrap();
    let out = tokio::process::Command::new(&python)
        .arg(dir.join("upload.py"))
        .arg(server.http_url())
        .arg("alice")
        .arg(sig("alice"))
        .arg(file.path())
        .output()
        .await
        .expect("python runs");
    assert!(
        out.status.success(),
        "tuspy failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    let resumed_at = report["resumed_at"].as_u64().unwrap();
    assert!((250_000..1_000_003).contains(&resumed_at), "{report}");
    assert_eq!(report["offset"], 1_000_003);
    let (status, _, got) = get(report["media_url"].as_str().unwrap(), None).await;
    assert_eq!(status, 200);
    assert!(got == data, "byte-exact");
}
