//! Compressed answers, black-box: a page and JSON go out in brotli or gzip when the client
//! takes it (and plain when it does not), and an event stream is never compressed, so its
//! events arrive one by one as they happen. Every connection sends what is written to it at
//! once (`TCP_NODELAY`), never holding a part back for the client's delayed acknowledgement.

mod common;

use std::time::Duration;

use common::{client, spawn_app};
use reqwest::header;

async fn fetch(url: &str, encoding: Option<&str>) -> (Option<String>, usize) {
    let mut request = client().get(url);
    if let Some(encoding) = encoding {
        request = request.header(header::ACCEPT_ENCODING, encoding);
    }
    let response = request.send().await.unwrap();
    assert!(response.status().is_success(), "{url}: {response:?}");
    let encoding = response
        .headers()
        .get(header::CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap().to_owned());
    (encoding, response.bytes().await.unwrap().len())
}

#[tokio::test]
async fn pages_and_json_are_compressed_for_clients_that_take_it() {
    let app = spawn_app().await;
    for path in ["/signin", "/api/v1/openapi.json"] {
        let url = app.url(path);
        let (plain, plain_len) = fetch(&url, None).await;
        assert_eq!(plain, None, "{path} plain without Accept-Encoding");
        let (br, br_len) = fetch(&url, Some("br, gzip")).await;
        assert_eq!(br.as_deref(), Some("br"), "{path} in brotli");
        let (gzip, gzip_len) = fetch(&url, Some("gzip")).await;
        assert_eq!(gzip.as_deref(), Some("gzip"), "{path} in gzip");
        assert!(
            br_len * 2 < plain_len && gzip_len * 2 < plain_len,
            "{path}: {plain_len} B plain, {br_len} B brotli, {gzip_len} B gzip"
        );
    }
}

#[tokio::test]
async fn an_event_stream_is_never_compressed_and_its_events_arrive_at_once() {
    let app = spawn_app().await;
    let (ann, _) = app.signed_up("ann").await;
    let mut stream = ann
        .get(app.url("/events"))
        .header(header::ACCEPT_ENCODING, "br, gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(stream.headers().get(header::CONTENT_ENCODING), None);
    assert_eq!(
        stream.headers().get(header::CONTENT_TYPE).unwrap(),
        "text/event-stream"
    );
    // An event written now reaches the open stream by itself, not held in a compressor.
    let (_, ben) = app.signed_up("ben").await;
    sqlx::query("update players set display_name = 'Ben Renamed' where id = $1")
        .bind(ben)
        .execute(&app.pool)
        .await
        .unwrap();
    let mut seen = String::new();
    let found = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(chunk) = stream.chunk().await.unwrap() {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("Ben Renamed") {
                return true;
            }
        }
        false
    })
    .await
    .unwrap_or(false);
    assert!(found, "the rename arrived on the stream: {seen:?}");
}

/// The server's end of a connection has Nagle's algorithm off. With it on, a page written in
/// parts (or an event frame written while the previous one was unacknowledged) waited up to
/// 40 ms for the client's delayed ACK: the map page's whole p99 under load.
#[tokio::test]
async fn every_connection_sends_at_once() {
    use std::os::fd::{BorrowedFd, RawFd};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let app = spawn_app().await;
    let mut tcp = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let ours = tcp.local_addr().unwrap();
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: meridian\r\n\r\n")
        .await
        .unwrap();
    // An answer: the server has accepted the connection and holds it open (keep-alive).
    let mut answer = [0; 12];
    tcp.read_exact(&mut answer).await.unwrap();
    assert_eq!(&answer, b"HTTP/1.1 200");

    // The server runs in this process: its end is the socket here whose peer is our end.
    let server_end = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<RawFd>().ok())
        .find_map(|fd| {
            // SAFETY: the descriptor is only borrowed for two reads of its state (its peer and
            // one option); one that another thread closes meanwhile just fails to answer. The
            // one sought stays open until `tcp` is dropped below.
            let fd = unsafe { BorrowedFd::borrow_raw(fd) };
            let socket = socket2::SockRef::from(&fd);
            let peer = socket.peer_addr().ok()?.as_socket()?;
            (peer == ours).then(|| socket.tcp_nodelay())
        })
        .expect("the server's end of the connection");
    assert!(
        server_end.unwrap(),
        "the server's end delays small writes (Nagle)"
    );
    drop(tcp);
}
