//! Hostile servers and hostile input: malformed and over-size answers, proxies, credentials with
//! odd bytes, secrets in URLs, unreadable Venice limits, unanswered writes.
//!
//! Where wiremock cannot produce the fault, [`Hostile`] is a raw TCP server on 127.0.0.1 that
//! records every request's bytes and answers with whatever bytes the test gives it. Each one
//! stops accepting after a few seconds (or when dropped), and each connection has read and write
//! timeouts, so no test can hang on it.

mod lifecycle_answers;

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::common::{GATES_KEY, Keyctl, Out, SECRET, VENICE_KEY, fixture, forbid_patch};

const ENV: &str = "MODELGATES_MANAGEMENT_KEY";
const VENICE_ENV: &str = "VENICE_ADMIN_KEY";

/// One more than keyctl's cap on a response body (8 MiB).
const OVER_8_MIB: usize = 8 * 1024 * 1024 + 1;

// ---------------------------------------------------------------------------------------------
// A raw TCP server that misbehaves on purpose.
// ---------------------------------------------------------------------------------------------

/// What a [`Hostile`] server does on each connection once it has read the request.
#[derive(Clone)]
enum Reply {
    /// Writes these bytes, then closes the connection (an empty vector: closes without a word).
    Raw(Vec<u8>),
    /// Writes `head`, then `len` bytes of body in 64 KiB pieces (each a chunk when `chunked`,
    /// else close-delimited), then closes. Stops at the first failed write (the client left).
    Stream {
        head: String,
        len: usize,
        chunked: bool,
    },
    /// Writes these bytes, then keeps the connection open until the client hangs up (at most
    /// 5 s): a head that promises a body it never sends.
    Hold(Vec<u8>),
    /// Writes `head`, then one byte of body every `every` until the client hangs up (at most
    /// 10 s): an answer that never quite ends.
    Trickle { head: String, every: Duration },
}

/// A TCP server on 127.0.0.1 answering every connection with the same [`Reply`].
struct Hostile {
    addr: SocketAddr,
    /// The raw bytes of each request received, in order of arrival.
    seen: Arc<Mutex<Vec<Vec<u8>>>>,
    stop: Arc<AtomicBool>,
}

impl Hostile {
    /// Stops accepting after this long even if never dropped.
    const LIFETIME: Duration = Duration::from_secs(30);
    /// Stops accepting after this many connections.
    const MAX_CONNECTIONS: usize = 32;

    fn start(reply: Reply) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("local addr");
        let seen: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
        let stop: Arc<AtomicBool> = Arc::default();
        let (seen2, stop2) = (seen.clone(), stop.clone());
        std::thread::spawn(move || {
            let end = Instant::now() + Self::LIFETIME;
            let mut n = 0;
            while !stop2.load(Ordering::SeqCst) && Instant::now() < end && n < Self::MAX_CONNECTIONS
            {
                match listener.accept() {
                    Ok((sock, _)) => {
                        n += 1;
                        let (reply, seen) = (reply.clone(), seen2.clone());
                        std::thread::spawn(move || serve(sock, &reply, &seen));
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Err(_) => break,
                }
            }
        });
        Hostile { addr, seen, stop }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many requests arrived.
    fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    /// Everything received, all requests concatenated.
    fn received(&self) -> Vec<u8> {
        self.seen.lock().unwrap().concat()
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Reads one request (head up to the blank line, then Content-Length bytes of body), records
/// it, and answers with `reply`.
fn serve(mut sock: TcpStream, reply: &Reply, seen: &Mutex<Vec<Vec<u8>>>) {
    let _ = sock.set_nonblocking(false);
    let _ = sock.set_read_timeout(Some(Duration::from_secs(3)));
    let _ = sock.set_write_timeout(Some(Duration::from_secs(5)));
    let req = read_request(&mut sock);
    if req.is_empty() {
        return;
    }
    seen.lock().unwrap().push(req);
    match reply {
        Reply::Raw(bytes) => {
            let _ = sock.write_all(bytes);
            let _ = sock.flush();
        }
        Reply::Stream { head, len, chunked } => {
            if sock.write_all(head.as_bytes()).is_err() {
                return;
            }
            let piece = vec![b'a'; 64 * 1024];
            let mut left = *len;
            while left > 0 {
                let n = left.min(piece.len());
                let ok = if *chunked {
                    sock.write_all(format!("{n:x}\r\n").as_bytes()).is_ok()
                        && sock.write_all(&piece[..n]).is_ok()
                        && sock.write_all(b"\r\n").is_ok()
                } else {
                    sock.write_all(&piece[..n]).is_ok()
                };
                if !ok {
                    return;
                }
                left -= n;
            }
            if *chunked {
                let _ = sock.write_all(b"0\r\n\r\n");
            }
        }
        Reply::Hold(bytes) => {
            if sock.write_all(bytes).is_err() {
                return;
            }
            let end = Instant::now() + Duration::from_secs(5);
            let mut buf = [0u8; 4096];
            while Instant::now() < end {
                match sock.read(&mut buf) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                        ) => {}
                    Err(_) => break,
                }
            }
        }
        Reply::Trickle { head, every } => {
            if sock.write_all(head.as_bytes()).is_err() {
                return;
            }
            let end = Instant::now() + Duration::from_secs(10);
            while Instant::now() < end {
                std::thread::sleep(*every);
                if sock.write_all(b" ").is_err() {
                    return;
                }
            }
        }
    }
    let _ = sock.shutdown(Shutdown::Write);
}

/// The head and Content-Length bytes of body of one request (whatever came, on a timeout).
fn read_request(sock: &mut TcpStream) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = find(&buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return buf;
            }
        }
        match sock.read(&mut chunk) {
            Ok(0) | Err(_) => return buf,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn contains(hay: &[u8], needle: &str) -> bool {
    find(hay, needle.as_bytes()).is_some()
}

/// `update -p modelgates GATES_KEY --limit 1` against `url`, with the credential set.
async fn gates_at(url: &str, extra: &[&str]) -> Out {
    Keyctl::new(
        ENV,
        &["update", "-p", "modelgates", GATES_KEY, "--limit", "1"],
    )
    .args(&["--base-url", url])
    .args(extra)
    .run()
    .await
}

fn ok_body() -> serde_json::Value {
    json!({"data": {"hash": GATES_KEY, "name": "k", "limit": 1}})
}

// ---------------------------------------------------------------------------------------------
// A. Malformed and over-size answers
// ---------------------------------------------------------------------------------------------

/// A status, its reason phrase, and the exit code it keeps when its body is over 8 MiB.
const OVERSIZE_CASES: [(u16, &str, i32); 3] = [
    (401, "Unauthorized", 3),
    (404, "Not Found", 4),
    (200, "OK", 7),
];

#[tokio::test]
async fn oversize_body_with_content_length_keeps_its_status_class() {
    for (status, reason, code) in OVERSIZE_CASES {
        let srv = Hostile::start(Reply::Hold(
            format!(
                "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n\
                 Content-Length: {OVER_8_MIB}\r\n\r\n{{\"error\":{{\"message\":\""
            )
            .into_bytes(),
        ));
        let t = Instant::now();
        gates_at(&srv.url(), &[]).await.code(code);
        assert_eq!(srv.count(), 1, "HTTP {status}: not retried");
        // keyctl does not wait for the 8 MiB that never come.
        assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());
    }
}

#[tokio::test]
async fn oversize_streamed_body_keeps_its_status_class() {
    for chunked in [true, false] {
        for (status, reason, code) in OVERSIZE_CASES {
            let framing = if chunked {
                "Transfer-Encoding: chunked\r\n"
            } else {
                "Connection: close\r\n"
            };
            let srv = Hostile::start(Reply::Stream {
                head: format!(
                    "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n{framing}\r\n"
                ),
                len: OVER_8_MIB + 64 * 1024,
                chunked,
            });
            let out = gates_at(&srv.url(), &[]).await;
            assert_eq!(out.code, code, "HTTP {status}, chunked {chunked}: {out:?}");
            assert_eq!(srv.count(), 1, "HTTP {status}, chunked {chunked}");
        }
    }
}

#[tokio::test]
async fn oversize_429_is_retried_then_exit_6() {
    let head = |framing: &str| {
        format!(
            "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 0\r\nContent-Type: application/json\r\n{framing}\r\n"
        )
    };
    let replies = [
        Reply::Hold(head(&format!("Content-Length: {OVER_8_MIB}\r\n")).into_bytes()),
        Reply::Stream {
            head: head("Transfer-Encoding: chunked\r\n"),
            len: OVER_8_MIB + 64 * 1024,
            chunked: true,
        },
        Reply::Stream {
            head: head("Connection: close\r\n"),
            len: OVER_8_MIB + 64 * 1024,
            chunked: false,
        },
    ];
    for (i, reply) in replies.into_iter().enumerate() {
        // Default --retries (3): 4 requests.
        let srv = Hostile::start(reply.clone());
        gates_at(&srv.url(), &[]).await.code(6);
        assert_eq!(srv.count(), 4, "reply {i}, default --retries");
        let srv = Hostile::start(reply);
        gates_at(&srv.url(), &["--retries", "1"]).await.code(6);
        assert_eq!(srv.count(), 2, "reply {i}, --retries 1");
    }
}

#[tokio::test]
async fn answers_that_are_not_http_are_exit_7_and_not_retried() {
    for raw in [
        &b"HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n"[..],
        b"HTTP/1.1 99999 Huge\r\nContent-Length: 0\r\n\r\n",
        b"GARBAGE\r\n\r\n",
        // HTTP/0.9: a bare body, no status line, then close.
        b"{\"data\":{}}",
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nBad Header\x01: x\r\n\r\n",
    ] {
        let srv = Hostile::start(Reply::Raw(raw.to_vec()));
        let out = gates_at(&srv.url(), &[]).await;
        assert_eq!(out.code, 7, "{:?}: {out:?}", String::from_utf8_lossy(raw));
        assert_eq!(
            srv.count(),
            1,
            "{:?} must not be retried",
            String::from_utf8_lossy(raw)
        );
    }
}

#[tokio::test]
async fn an_endless_header_is_exit_7_and_not_retried() {
    let srv = Hostile::start(Reply::Stream {
        head: "HTTP/1.1 200 OK\r\nX-Junk: ".into(),
        len: 4 * 1024 * 1024,
        chunked: false,
    });
    let t = Instant::now();
    gates_at(&srv.url(), &[]).await.code(7);
    assert_eq!(srv.count(), 1);
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
}

#[tokio::test]
async fn a_trickling_body_hits_the_whole_request_timeout() {
    let srv = Hostile::start(Reply::Trickle {
        head:
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"
                .into(),
        every: Duration::from_millis(50),
    });
    let t = Instant::now();
    let out = gates_at(
        &srv.url(),
        &["--timeout", "1s", "--retries", "0", "-o", "json"],
    )
    .await;
    out.code(8).stderr_has("--timeout");
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    // The PATCH was written and its answer never finished: it may have been applied.
    assert_eq!(out.json_lines()[0]["status"], "unknown");
    assert_eq!(srv.count(), 1);
}

#[tokio::test]
async fn connection_closed_without_an_answer_is_a_retried_network_error() {
    let srv = Hostile::start(Reply::Raw(Vec::new()));
    gates_at(&srv.url(), &["--retries", "1", "-o", "json"])
        .await
        .code(8);
    assert_eq!(srv.count(), 2);
    // What arrived is the PATCH, with the credential (it is the configured origin).
    let got = srv.received();
    assert!(contains(&got, &format!("PATCH /api/v1/keys/{GATES_KEY}")));
    assert!(contains(&got, &format!("Bearer {SECRET}")));
}

// ---------------------------------------------------------------------------------------------
// B. Credentials
// ---------------------------------------------------------------------------------------------

/// A server that answers 200 only to exactly `Bearer SECRET`, exactly once.
async fn exact_auth_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(format!("/api/v1/keys/{GATES_KEY}")))
        .and(header("authorization", format!("Bearer {SECRET}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(ok_body()))
        .expect(1)
        .mount(&server)
        .await;
    server
}

fn padded_secrets() -> Vec<String> {
    vec![
        format!("  {SECRET}  "),
        format!("\t{SECRET}\t"),
        format!("{SECRET}\r\n"),
        format!("\r\n\t {SECRET}\n\n"),
        format!("\u{feff}{SECRET}"),
        format!("\u{feff}{SECRET}\r\n"),
        format!("\u{feff} \t{SECRET} \n"),
    ]
}

fn update_args() -> Vec<&'static str> {
    vec!["update", "-p", "modelgates", GATES_KEY, "--limit", "1"]
}

#[tokio::test]
async fn surrounding_whitespace_and_bom_are_stripped_from_the_variable() {
    for raw in padded_secrets() {
        let server = exact_auth_server().await;
        Keyctl::new(ENV, &update_args())
            .env(ENV, &raw)
            .base(&server)
            .run()
            .await
            .code(0);
        server.verify().await;
    }
}

#[tokio::test]
async fn surrounding_whitespace_and_bom_are_stripped_from_file_and_stdin() {
    let dir = tempfile::tempdir().unwrap();
    for (i, raw) in padded_secrets().into_iter().enumerate() {
        let f = dir.path().join(format!("key{i}"));
        std::fs::write(&f, &raw).unwrap();
        let server = exact_auth_server().await;
        Keyctl::bare(&update_args())
            .args(&["--api-key-file", f.to_str().unwrap()])
            .base(&server)
            .run()
            .await
            .code(0);
        server.verify().await;

        let server = exact_auth_server().await;
        Keyctl::bare(&update_args())
            .args(&["--api-key-file", "-"])
            .stdin(raw.as_bytes())
            .base(&server)
            .run()
            .await
            .code(0);
        server.verify().await;
    }
}

#[tokio::test]
async fn a_server_echoing_the_credential_never_gets_it_printed() {
    let escaped = serde_json::to_string(SECRET).unwrap();
    let pct: String = SECRET
        .bytes()
        .map(|b| format!("%{b:02X}"))
        .collect::<String>();
    for (status, body, code) in [
        (
            401,
            json!({"error": {"code": 401, "message": format!("key {SECRET} is revoked")}})
                .to_string(),
            3,
        ),
        (
            403,
            json!({"error": {"code": 403, "message": format!("Bearer {SECRET}")}}).to_string(),
            3,
        ),
        (
            400,
            json!({"error": {"code": 400, "message": format!("bad key {escaped} / {pct}")}})
                .to_string(),
            5,
        ),
        (
            500,
            format!("upstream said: authorization=Bearer {SECRET}"),
            7,
        ),
        (
            200,
            json!({"data": {"hash": GATES_KEY, "name": SECRET, "limit": 1}}).to_string(),
            0,
        ),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("PATCH"))
            .respond_with(ResponseTemplate::new(status).set_body_string(body))
            .mount(&server)
            .await;
        for extra in [&["-v"][..], &["-o", "json"], &["-o", "json", "-v"]] {
            Keyctl::new(ENV, &update_args())
                .base(&server)
                .args(&["--retries", "0"])
                .args(extra)
                .run()
                .await
                .code(code);
        }
    }
}

/// Values the credential check must refuse, each containing "TOPSECRET" (so scan() would see
/// it printed).
fn bad_secrets() -> Vec<(&'static str, String)> {
    vec![
        ("inner space", "sk-live TOPSECRET-4f9a2c7e1b".to_string()),
        ("inner tab", "sk-live-TOPSECRET\t4f9a2c7e1b".to_string()),
        ("inner newline", format!("{SECRET}\n{SECRET}")),
        (
            "control character",
            "sk-live-TOPSECRET\u{1}4f9a2c7e1b".into(),
        ),
        ("escape", "sk-live-TOPSECRET\u{1b}[2J".into()),
        ("DEL", "sk-live-TOPSECRET\u{7f}".into()),
        ("non-ASCII", "sk-live-TOPSECRET-4f9a2c7é1b".into()),
        ("BOM inside", "sk-live-\u{feff}TOPSECRET".into()),
        (
            "over 4096 bytes",
            format!("sk-live-TOPSECRET-{}", "a".repeat(4096)),
        ),
    ]
}

#[tokio::test]
async fn a_bad_credential_in_the_variable_is_exit_3_and_sends_nothing() {
    let server = MockServer::start().await;
    forbid_patch(&server).await;
    for (what, raw) in bad_secrets() {
        let out = Keyctl::new(ENV, &update_args())
            .env(ENV, &raw)
            .base(&server)
            .run()
            .await;
        assert_eq!(out.code, 3, "{what}: {out:?}");
        out.stderr_has(ENV);
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 0);
}

#[tokio::test]
async fn a_bad_credential_in_a_file_or_stdin_is_exit_3_and_sends_nothing() {
    let server = MockServer::start().await;
    forbid_patch(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let mut cases: Vec<(&str, Vec<u8>)> = bad_secrets()
        .into_iter()
        .map(|(w, s)| (w, s.into_bytes()))
        .collect();
    cases.push(("not UTF-8", b"sk-live-TOPSECRET-\xff\xfe".to_vec()));
    cases.push(("NUL", b"sk-live-TOPSECRET\0-4f9a2c7e1b".to_vec()));
    for (i, (what, raw)) in cases.into_iter().enumerate() {
        let f = dir.path().join(format!("bad{i}"));
        std::fs::write(&f, &raw).unwrap();
        let shown = f.to_str().unwrap();
        let out = Keyctl::bare(&update_args())
            .args(&["--api-key-file", shown])
            .base(&server)
            .run()
            .await;
        assert_eq!(out.code, 3, "file, {what}: {out:?}");
        out.stderr_has(shown);

        let out = Keyctl::bare(&update_args())
            .args(&["--api-key-file", "-"])
            .stdin(&raw)
            .base(&server)
            .run()
            .await;
        assert_eq!(out.code, 3, "stdin, {what}: {out:?}");
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 0);
}

#[tokio::test]
async fn an_endless_credential_file_is_refused_quickly() {
    let server = MockServer::start().await;
    forbid_patch(&server).await;
    let t = Instant::now();
    Keyctl::bare(&update_args())
        .args(&["--api-key-file", "/dev/zero"])
        .base(&server)
        .run()
        .await
        .code(3)
        .stderr_has("larger than 64 KiB");
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
}

#[tokio::test]
async fn an_oversize_credential_on_stdin_is_not_truncated_and_sent() {
    let server = MockServer::start().await;
    forbid_patch(&server).await;
    // The secret then white space to 70,000 bytes: cut at 64 KiB and trimmed, it would be a
    // valid credential; keyctl must refuse the whole instead.
    let mut raw = SECRET.as_bytes().to_vec();
    raw.resize(70_000, b' ');
    Keyctl::bare(&update_args())
        .args(&["--api-key-file", "-"])
        .stdin(&raw)
        .base(&server)
        .run()
        .await
        .code(3)
        .stderr_has("64 KiB");
    // Same with a file.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("big");
    std::fs::write(&f, &raw).unwrap();
    Keyctl::bare(&update_args())
        .args(&["--api-key-file", f.to_str().unwrap()])
        .base(&server)
        .run()
        .await
        .code(3)
        .stderr_has("64 KiB");
}

#[tokio::test]
async fn an_endless_key_file_is_refused_quickly() {
    let server = MockServer::start().await;
    forbid_patch(&server).await;
    let t = Instant::now();
    Keyctl::new(
        ENV,
        &[
            "update",
            "-p",
            "modelgates",
            "--limit",
            "1",
            "--from-file",
            "/dev/zero",
        ],
    )
    .base(&server)
    .run()
    .await
    .code(2)
    .stderr_has("larger than 32 MiB");
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
}

#[tokio::test]
async fn keys_and_credential_both_from_stdin_is_refused() {
    let server = MockServer::start().await;
    forbid_patch(&server).await;
    for order in [
        ["--from-file", "-", "--api-key-file", "-"],
        ["--api-key-file", "-", "--from-file", "-"],
    ] {
        Keyctl::bare(&["update", "-p", "modelgates", "--limit", "1"])
            .args(&order)
            .stdin(format!("{SECRET}\n{GATES_KEY}\n").as_bytes())
            .base(&server)
            .run()
            .await
            .code(2)
            .stderr_has("both read standard input");
    }
}

// ---------------------------------------------------------------------------------------------
// C. Secrets in URLs
// ---------------------------------------------------------------------------------------------

fn assert_no_pw(out: &Out, url: &str) {
    for text in [&out.stdout, &out.stderr] {
        assert!(
            !text.contains("S3CRETPW"),
            "{url:?} leaked the password:\n{text}"
        );
    }
}

async fn refused_url(url: &str) {
    for extra in [&[][..], &["-v"], &["-o", "json"], &["--dry-run"]] {
        let out = Keyctl::new(ENV, &update_args())
            .args(&["--base-url", url])
            .args(extra)
            .run()
            .await;
        assert_eq!(out.code, 2, "--base-url {url:?} {extra:?}: {out:?}");
        assert_no_pw(&out, url);
        let out = Keyctl::new(ENV, &update_args())
            .env("KEYCTL_MODELGATES_BASE_URL", url)
            .args(extra)
            .run()
            .await;
        assert_eq!(
            out.code, 2,
            "KEYCTL_MODELGATES_BASE_URL={url:?} {extra:?}: {out:?}"
        );
        assert_no_pw(&out, url);
        out.stderr_has("KEYCTL_MODELGATES_BASE_URL");
    }
}

#[tokio::test]
async fn secrets_in_base_url_userinfo_query_fragment_are_never_shown() {
    for url in [
        "https://user:S3CRETPW@example.com",
        "https://S3CRETPW@example.com",
        "https://:S3CRETPW@example.com",
        "https://user:S3CRETPW@[bad",
        "https://user:S3CRETPW@",
        "https://us@er:S3CRETPW@[bad",
        "https://user:S3CRETPW@@example.com",
        "http://user:S3CRETPW@127.0.0.1:1/",
        "https://user:S3CRETPW@example.com/prefix?x#y",
        "https://example.com/?token=S3CRETPW",
        "https://example.com?S3CRETPW",
        "https://example.com/#S3CRETPW",
        "https://example.com/?a=b#S3CRETPW",
        "http://127.0.0.1:1/?token=S3CRETPW",
    ] {
        refused_url(url).await;
    }
}

#[tokio::test]
async fn a_secret_in_the_path_of_a_refused_base_url_is_never_shown() {
    for url in [
        "http://example.com/S3CRETPW?x",
        "https://example.com/S3CRETPW?x",
        "http://example.com/S3CRETPW#x",
    ] {
        refused_url(url).await;
    }
}

#[tokio::test]
async fn odd_userinfo_forms_never_show_the_password() {
    for url in [
        // The url crate reads these as user `user`, password `S3CRETPW`, host example.com,
        // and keyctl says "contains credentials" while printing them.
        "https:///user:S3CRETPW@example.com",
        "https:/user:S3CRETPW@example.com",
        "https:/\\user:S3CRETPW@example.com",
        // A password with '#', '?' or '/' in it: the part before is printed.
        "https://user:S3CRETPW#x@example.com",
        "https://user:S3CRETPW?x@example.com",
        "https://user:S3CRETPW/x@example.com",
        // Scheme-relative.
        "//user:S3CRETPW@example.com",
    ] {
        refused_url(url).await;
    }
}

#[tokio::test]
async fn the_credential_in_the_base_url_path_is_masked_everywhere() {
    let url = format!("http://127.0.0.1:1/{SECRET}/");
    // The request fails (nothing listens on port 1): -v logs the URL, the error names it.
    for extra in [&["-v"][..], &["-v", "-o", "json"]] {
        Keyctl::new(ENV, &update_args())
            .args(&["--base-url", &url, "--retries", "0"])
            .args(extra)
            .run()
            .await
            .code(8);
    }
    // The dry run (which reads the key first: a stand-in answers) prints the request URL:
    // masked.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": {"hash": GATES_KEY}})),
        )
        .mount(&server)
        .await;
    let live = format!("{}/{SECRET}/", server.uri());
    let shown = format!("{}/****/api/v1/keys/", server.uri());
    Keyctl::new(ENV, &update_args())
        .args(&["--base-url", &live, "--dry-run", "-v", "-o", "table"])
        .run()
        .await
        .code(0)
        .stdout_has(&shown);
    let out = Keyctl::new(ENV, &update_args())
        .args(&["--base-url", &live, "--dry-run", "-o", "json"])
        .run()
        .await;
    out.code(0);
    let line = &out.json_lines()[0];
    assert_eq!(line["request"]["url"], format!("{shown}{GATES_KEY}"));
    // Through the environment too, and with a read first (relative limit).
    Keyctl::new(
        ENV,
        &[
            "update",
            "-p",
            "modelgates",
            GATES_KEY,
            "--limit",
            "+1",
            "-v",
            "--retries",
            "0",
        ],
    )
    .env("KEYCTL_MODELGATES_BASE_URL", &url)
    .run()
    .await
    .code(8);
}

// ---------------------------------------------------------------------------------------------
// D. Proxies
// ---------------------------------------------------------------------------------------------

fn refusing_proxy() -> Hostile {
    Hostile::start(Reply::Raw(
        b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
    ))
}

fn with_proxy_env(k: Keyctl, proxy: &str) -> Keyctl {
    let mut k = k;
    for v in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        k = k.env(v, proxy);
    }
    k.env("NO_PROXY", "").env("no_proxy", "")
}

#[tokio::test]
async fn a_loopback_base_url_goes_direct_whatever_the_proxy_variables() {
    let proxy = refusing_proxy();
    let server = exact_auth_server().await;
    with_proxy_env(Keyctl::new(ENV, &update_args()), &proxy.url())
        .base(&server)
        .arg("-v")
        .run()
        .await
        .code(0);
    server.verify().await;
    assert_eq!(proxy.count(), 0, "the proxy got a request");
    assert!(proxy.received().is_empty());
}

#[tokio::test]
async fn an_https_base_url_tunnels_through_the_proxy_without_the_credential() {
    let proxy = refusing_proxy();
    let out = with_proxy_env(
        Keyctl::new(
            VENICE_ENV,
            &[
                "update",
                "-p",
                "venice",
                VENICE_KEY,
                "--reset",
                "monthly",
                "--retries",
                "0",
                "--connect-timeout",
                "5s",
                // A name that can never resolve: if keyctl ignored the proxy it could not reach
                // the internet either.
                "--base-url",
                "https://api.venice.invalid",
            ],
        ),
        &proxy.url(),
    )
    .run()
    .await;
    out.code(8);
    let got = proxy.received();
    let text = String::from_utf8_lossy(&got);
    assert!(
        text.starts_with("CONNECT api.venice.invalid:443 "),
        "the proxy got:\n{text}"
    );
    assert!(
        !contains(&got, SECRET) && !contains(&got, "TOPSECRET"),
        "{text}"
    );
    assert!(
        !text.to_ascii_lowercase().contains("authorization"),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------------
// E. Venice reads before it writes
// ---------------------------------------------------------------------------------------------

async fn venice_get(server: &MockServer, data: serde_json::Value) {
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/api_keys/{VENICE_KEY}")))
        .and(header("authorization", format!("Bearer {SECRET}").as_str()))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": data, "success": true})),
        )
        .mount(server)
        .await;
}

async fn venice_patch(server: &MockServer, limits: serde_json::Value) {
    Mock::given(method("PATCH"))
        .and(path("/api/v1/api_keys"))
        .and(header("authorization", format!("Bearer {SECRET}").as_str()))
        .and(body_json(
            json!({"id": VENICE_KEY, "consumptionLimit": limits}),
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture("venice/update_response.json")),
        )
        .expect(1)
        .mount(server)
        .await;
}

async fn venice(server: &MockServer, extra: &[&str]) -> Out {
    Keyctl::new(VENICE_ENV, &["update", "-p", "venice", VENICE_KEY])
        .base(server)
        .args(extra)
        .run()
        .await
}

#[tokio::test]
async fn venice_sends_all_three_currencies_after_reading_the_key() {
    let server = MockServer::start().await;
    venice_get(
        &server,
        json!({"id": VENICE_KEY, "consumptionLimits": {"usd": 10, "diem": 3, "vcu": 2.5}}),
    )
    .await;
    venice_patch(&server, json!({"usd": 10, "diem": 5, "vcu": 2.5})).await;
    venice(&server, &["--limit-diem", "5"]).await.code(0);
    server.verify().await;
}

#[tokio::test]
async fn venice_null_currencies_are_kept_as_explicit_nulls() {
    let server = MockServer::start().await;
    venice_get(
        &server,
        json!({"id": VENICE_KEY, "consumptionLimits": {"usd": null, "diem": 3, "vcu": null}}),
    )
    .await;
    venice_patch(&server, json!({"usd": null, "diem": 5, "vcu": null})).await;
    venice(&server, &["--limit-diem", "5"]).await.code(0);
    server.verify().await;
}

#[tokio::test]
async fn venice_limit_none_sends_usd_null() {
    let server = MockServer::start().await;
    venice_get(
        &server,
        json!({"id": VENICE_KEY, "consumptionLimits": {"usd": 10, "diem": 3, "vcu": null}}),
    )
    .await;
    venice_patch(&server, json!({"usd": null, "diem": 3, "vcu": null})).await;
    venice(&server, &["--limit", "none"]).await.code(0);
    server.verify().await;
}

#[tokio::test]
async fn venice_unreadable_current_limits_send_nothing() {
    // An absent currency is no cap set, not unreadable (e2e venice_currencies).
    for (limits, needle) in [
        (
            Some(json!({"usd": "10", "diem": 1, "vcu": 0})),
            "consumptionLimits.usd is a string",
        ),
        (
            Some(json!({"usd": -1, "diem": 1, "vcu": 0})),
            "consumptionLimits.usd is -1",
        ),
        (
            Some(json!({"usd": true, "diem": 1, "vcu": 0})),
            "consumptionLimits.usd is a boolean",
        ),
        (
            Some(json!({"usd": {"amount": 1}, "diem": 1, "vcu": 0})),
            "consumptionLimits.usd is an object",
        ),
        (
            Some(json!({"usd": 1, "diem": 1, "vcu": "10"})),
            "consumptionLimits.vcu is a string",
        ),
        (
            Some(json!({"usd": 1, "diem": 1, "vcu": -1})),
            "consumptionLimits.vcu is -1",
        ),
        (
            Some(json!({"usd": 1, "diem": 1, "vcu": false})),
            "consumptionLimits.vcu is a boolean",
        ),
        (None, "no consumptionLimits"),
        // Not an object: named with its type.
        (Some(json!("50")), "consumptionLimits is a string"),
        (Some(json!([1, 2, 3])), "consumptionLimits is a list"),
        (Some(json!(7)), "consumptionLimits is a number"),
    ] {
        let server = MockServer::start().await;
        forbid_patch(&server).await;
        let mut data = json!({"id": VENICE_KEY, "description": "k"});
        if let Some(l) = limits {
            data["consumptionLimits"] = l;
        }
        venice_get(&server, data).await;
        let out = venice(&server, &["--limit-diem", "5"]).await;
        assert_eq!(out.code, 7, "{needle}: {out:?}");
        out.stderr_has(needle).stderr_has("nothing was sent");
        let out = venice(&server, &["--limit-diem", "5", "-o", "json"]).await;
        out.code(7);
        let line = &out.json_lines()[0];
        assert_eq!(line["status"], "failed", "{needle}");
        let msg = line["error"]["message"].as_str().unwrap_or_default();
        assert!(msg.contains(needle), "{msg}");
        server.verify().await;
    }
    // `consumptionLimits: null` is no cap in any currency (as `get` shows it): the others are
    // sent as null.
    let server = MockServer::start().await;
    venice_get(
        &server,
        json!({"id": VENICE_KEY, "description": "k", "consumptionLimits": null}),
    )
    .await;
    Mock::given(method("PATCH"))
        .and(body_json(json!({"id": VENICE_KEY,
            "consumptionLimit": {"usd": null, "diem": 5, "vcu": null}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"data": {"id": VENICE_KEY, "consumptionLimits": {"usd": null, "diem": 5, "vcu": null}}, "success": true}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    venice(&server, &["--limit-diem", "5"]).await.code(0);
}

// ---------------------------------------------------------------------------------------------
// F. Writes that get no answer
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_unanswered_write_is_unknown_and_may_have_been_applied() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(ok_body())
                .set_delay(Duration::from_secs(10)),
        )
        .mount(&server)
        .await;
    let t = Instant::now();
    let out = Keyctl::new(ENV, &update_args())
        .base(&server)
        .args(&["--timeout", "300ms", "--retries", "1", "-o", "json"])
        .run()
        .await;
    out.code(8).stderr_has("may have been applied");
    assert!(t.elapsed() < Duration::from_secs(8), "{:?}", t.elapsed());
    let line = &out.json_lines()[0];
    assert_eq!(line["status"], "unknown", "{line}");
    let msg = line["error"]["message"].as_str().unwrap_or_default();
    assert!(msg.contains("may have been applied"), "{msg}");
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

/// A first attempt that timed out may have been applied: an error status on the retry cannot
/// say it was not, so the key is `unknown` (exit code of the final answer's class).
#[tokio::test]
async fn a_write_that_timed_out_then_got_an_error_is_unknown() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(ok_body())
                .set_delay(Duration::from_secs(10)),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .respond_with(
            ResponseTemplate::new(409)
                .set_body_json(json!({"error": {"code": 409, "message": "conflict"}})),
        )
        .mount(&server)
        .await;
    let out = Keyctl::new(ENV, &update_args())
        .base(&server)
        .args(&["--timeout", "300ms", "--retries", "1", "-o", "json"])
        .run()
        .await;
    out.code(5).stderr_has("may have been applied");
    let line = &out.json_lines()[0];
    assert_eq!(line["status"], "unknown", "{line}");
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_write_the_server_drops_after_reading_is_unknown() {
    let srv = Hostile::start(Reply::Raw(Vec::new()));
    let out = gates_at(&srv.url(), &["--retries", "0", "-o", "json"]).await;
    out.code(8);
    let line = &out.json_lines()[0];
    assert_eq!(line["status"], "unknown", "{line}");
    assert_eq!(srv.count(), 1);
}

#[tokio::test]
async fn an_unanswered_read_is_just_failed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(ok_body())
                .set_delay(Duration::from_secs(10)),
        )
        .mount(&server)
        .await;
    forbid_patch(&server).await;
    let out = Keyctl::new(ENV, &["get", "-p", "modelgates", GATES_KEY])
        .base(&server)
        .args(&["--timeout", "300ms", "--retries", "1", "-o", "json"])
        .run()
        .await;
    out.code(8);
    assert!(
        !out.stderr.contains("may have been applied") && !out.stdout.contains("may have been"),
        "{out:?}"
    );
    let line = &out.json_lines()[0];
    assert_eq!(line["status"], "failed", "{line}");
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

// ---------------------------------------------------------------------------------------------
// G. `Retry-After: 0` does not make a burst
// ---------------------------------------------------------------------------------------------

/// Answers 429 with `Retry-After: 0` and records when each request arrived, and for which key.
struct Stamped(Arc<Mutex<Vec<(Instant, String)>>>);

impl Respond for Stamped {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let key = req
            .url
            .path()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string();
        self.0.lock().unwrap().push((Instant::now(), key));
        ResponseTemplate::new(429).insert_header("retry-after", "0")
    }
}

#[tokio::test]
async fn retry_after_zero_still_waits_the_floor() {
    let server = MockServer::start().await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    Mock::given(method("PATCH"))
        .respond_with(Stamped(seen.clone()))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let list: String = (0..30).map(|i| format!("{i:064x}\n")).collect();
    std::fs::write(&keys, list).unwrap();
    let t = Instant::now();
    Keyctl::new(
        ENV,
        &[
            "update",
            "-p",
            "modelgates",
            "--limit",
            "1",
            "--retries",
            "3",
            "--concurrency",
            "4",
            "--from-file",
            keys.to_str().unwrap(),
        ],
    )
    // The real backoff base (common.rs shortens it to 20 ms).
    .env("KEYCTL_BACKOFF_MS", "500")
    .base(&server)
    .run()
    .await
    .code(6);
    let elapsed = t.elapsed();
    let seen = seen.lock().unwrap().clone();
    assert!(!seen.is_empty());
    let first = seen[0].0;
    let early = seen
        .iter()
        .filter(|(at, _)| at.duration_since(first) < Duration::from_millis(200))
        .count();
    assert!(
        early <= 4,
        "{early} requests within 200 ms of the first: a burst"
    );
    assert!(
        elapsed >= Duration::from_millis(3 * 250),
        "the run took {elapsed:?}"
    );
    // Each key's attempts are at least the floor (250 ms) apart, whatever Retry-After said.
    let mut by_key: std::collections::BTreeMap<&str, Vec<Instant>> = Default::default();
    for (at, key) in &seen {
        by_key.entry(key).or_default().push(*at);
    }
    for (key, at) in by_key {
        assert!(
            at.len() <= 4,
            "{key}: {} attempts with --retries 3",
            at.len()
        );
        for w in at.windows(2) {
            let gap = w[1].duration_since(w[0]);
            assert!(
                gap >= Duration::from_millis(245),
                "{key}: retried after {gap:?}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// H. What the independent review found (each was a reproduced defect before its fix)
// ---------------------------------------------------------------------------------------------

/// `sep` every `every` characters of the credential: a terminal shows it whole.
fn interleaved(sep: &str, every: usize) -> String {
    let mut out = String::new();
    for (i, c) in SECRET.chars().enumerate() {
        if i > 0 && i % every == 0 {
            out.push_str(sep);
        }
        out.push(c);
    }
    out
}

/// True when `text`, as a terminal shows it, holds 8 characters in a row of the credential.
/// (Its own stripping, independent of keyctl's: the planted escape sequence, control
/// characters, and the invisible characters these tests plant.)
fn shows_a_piece(text: &str) -> bool {
    let shown: String = text
        .replace("\u{1b}[0m", "")
        .chars()
        .filter(|c| !c.is_control() && !"\u{200b}\u{ad}\u{feff}\u{2060}\u{202e}".contains(*c))
        .collect();
    let chars: Vec<char> = SECRET.chars().collect();
    chars
        .windows(8)
        .any(|w| shown.contains(&w.iter().collect::<String>()))
}

#[tokio::test]
async fn a_credential_hidden_by_invisible_characters_is_still_masked() {
    for sep in [
        "\u{200b}",
        "\u{ad}",
        "\u{feff}",
        "\u{2060}",
        "\u{7f}",
        "\u{202e}",
        "\u{1b}[0m",
    ] {
        for every in [1, 4] {
            let echoed = interleaved(sep, every);
            let server = MockServer::start().await;
            Mock::given(method("PATCH"))
                .and(path(format!("/api/v1/keys/{GATES_KEY}")))
                .respond_with(ResponseTemplate::new(200).set_body_json(
                    json!({"data": {"hash": GATES_KEY, "name": format!("n {echoed}"), "limit": 1}}),
                ))
                .mount(&server)
                .await;
            Mock::given(method("PATCH"))
                .respond_with(
                    ResponseTemplate::new(400)
                        .set_body_json(json!({"error": {"code": 400, "message": echoed}})),
                )
                .mount(&server)
                .await;
            for extra in [&[][..], &["-o", "json"], &["-v"]] {
                for key in [GATES_KEY, "other"] {
                    let out =
                        Keyctl::new(ENV, &["update", "-p", "modelgates", key, "--limit", "1"])
                            .base(&server)
                            .args(extra)
                            .run()
                            .await;
                    for text in [&out.stdout, &out.stderr] {
                        assert!(!shows_a_piece(text), "{sep:?}/{every} {extra:?}:\n{text}");
                    }
                    // JSON lines are still JSON, and what jq -r would print is masked too.
                    if extra == ["-o", "json"] {
                        for l in out.json_lines() {
                            assert!(!shows_a_piece(&l.to_string()), "{l}");
                        }
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn a_credential_pasted_as_the_file_path_is_not_printed() {
    let out = Keyctl::new(
        ENV,
        &["update", "-p", "modelgates", GATES_KEY, "--limit", "1"],
    )
    .args(&["--api-key-file", SECRET])
    .run()
    .await;
    out.code(3).stderr_has("--api-key-file");
}

#[tokio::test]
async fn a_lower_cased_credential_in_the_host_is_masked() {
    let host = format!("https://{}.example", SECRET.to_ascii_lowercase());
    // With the credential set a dry run reads the key first: the host does not resolve, so
    // the read fails (exit 8), and no output names the host unmasked.
    for extra in [
        &["--dry-run", "-v"][..],
        &["--dry-run", "-o", "json", "-v"],
        &["-o", "table", "-v"],
    ] {
        let out = Keyctl::new(
            ENV,
            &["update", "-p", "modelgates", GATES_KEY, "--limit", "1"],
        )
        .args(&["--base-url", &host, "--retries", "0"])
        .args(extra)
        .run()
        .await;
        out.code(8);
        let lower = SECRET.to_ascii_lowercase();
        assert!(!out.stdout.contains(&lower[..12]), "{}", out.stdout);
        assert!(!out.stderr.contains(&lower[..12]), "{}", out.stderr);
        assert!(out.stderr.contains("****"), "{}", out.stderr);
    }
}

/// Masking works value by value on JSON: a number that shares digits with the credential stays
/// a number, and the line stays JSON.
#[tokio::test]
async fn json_lines_stay_json_when_numbers_share_digits_with_the_credential() {
    let secret = "sk-mg-v1-ABCDEFGH0123456789";
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"data": {"hash": GATES_KEY, "limit": 1234567890u64, "usage": 12345678.5}}),
        ))
        .mount(&server)
        .await;
    let out = Keyctl::bare(&[
        "update",
        "-p",
        "modelgates",
        GATES_KEY,
        "--limit",
        "1",
        "-o",
        "json",
    ])
    .env(ENV, secret)
    .base(&server)
    .run()
    .await;
    out.code(0);
    let l = &out.json_lines()[0];
    assert_eq!(l["after"]["limit"], json!(1234567890u64), "{l}");
    assert_eq!(l["after"]["raw"]["usage"], json!(12345678.5), "{l}");
}

#[tokio::test]
async fn a_signal_stops_a_run_waiting_on_standard_input() {
    for flag in ["--from-file", "--api-key-file"] {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_keyctl"));
        for v in crate::common::cleared() {
            cmd.env_remove(v);
        }
        let mut child = cmd
            .args(["update", "-p", "modelgates", "--limit", "5", "--base-url"])
            .arg("http://127.0.0.1:1")
            .args([flag, "-"])
            .args(if flag == "--api-key-file" {
                &[GATES_KEY][..]
            } else {
                &[]
            })
            .env(ENV, SECRET)
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Standard input stays open and silent; the run waits on it.
        let _stdin = child.stdin.take();
        std::thread::sleep(Duration::from_millis(400));
        let t = Instant::now();
        std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        let out = loop {
            if let Some(_status) = child.try_wait().unwrap() {
                break child.wait_with_output().unwrap();
            }
            if t.elapsed() > Duration::from_secs(5) {
                let _ = child.kill();
                panic!("{flag} -: SIGTERM did not stop a run waiting on standard input");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert_eq!(out.status.code(), Some(143), "{flag}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("stopped by SIGTERM"), "{stderr}");
    }
}

#[tokio::test]
async fn requests_the_contract_calls_errors_are_not_sent() {
    let server = MockServer::start().await;
    forbid_patch(&server).await;
    let long_name = "x".repeat(65);
    for (args, msg) in [
        (vec!["--limit", "10000000000"], "at most 9,999,999,999"),
        (
            vec!["--limit-diem", "9999999999.01"],
            "at most 9,999,999,999",
        ),
        (vec!["--name", long_name.as_str()], "at most 64 characters"),
        (vec!["--expires", "5000000w"], "after the year 9999"),
    ] {
        Keyctl::new(
            VENICE_ENV,
            &["update", "-p", "venice", VENICE_KEY, "--reset", "monthly"],
        )
        .base(&server)
        .args(&args)
        .run()
        .await
        .code(2)
        .stderr_has(msg);
    }
}

#[tokio::test]
async fn venice_expiry_has_whole_seconds_or_three_digits_and_currencies_take_none() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(body_json(
            json!({"id": VENICE_KEY, "expiresAt": "2030-06-01T10:30:45.123Z",
                              "consumptionLimit": {"usd": 5, "diem": null, "vcu": null}}),
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": {"id": VENICE_KEY}, "success": true})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Keyctl::new(VENICE_ENV, &["update", "-p", "venice", VENICE_KEY])
        .base(&server)
        .args(&[
            "--expires",
            "2030-06-01T12:30:45.123456789+02:00",
            "--limit",
            "5",
        ])
        .args(&["--limit-diem", "none", "--limit-vcu", "none"])
        .run()
        .await
        .code(0);
}

/// An answer to a write that keyctl cannot read is `unknown`: the change may have been applied.
#[tokio::test]
async fn an_unreadable_answer_to_a_write_is_unknown() {
    let big = Hostile::start(Reply::Stream {
        head: format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {OVER_8_MIB}\r\n\r\n"
        ),
        len: OVER_8_MIB,
        chunked: false,
    });
    let garbage = Hostile::start(Reply::Raw(b"GARBAGE\r\n\r\n".to_vec()));
    let shape = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"nothing": "useful"})))
        .mount(&shape)
        .await;
    for url in [big.url(), garbage.url(), shape.uri()] {
        let out = gates_at(&url, &["-o", "json"]).await;
        out.code(7);
        let l = &out.json_lines()[0];
        assert_eq!(l["status"], "unknown", "{url}: {l}");
        assert!(
            l["error"]["message"]
                .as_str()
                .unwrap()
                .contains("may have been applied"),
            "{l}"
        );
    }
}

#[tokio::test]
async fn a_failing_proxy_is_named_in_the_error() {
    let proxy = refusing_proxy();
    let out = with_proxy_env(
        Keyctl::new(
            VENICE_ENV,
            &["update", "-p", "venice", VENICE_KEY, "--reset", "monthly"],
        ),
        &proxy.url(),
    )
    .args(&["--retries", "0", "--base-url", "https://api.venice.invalid"])
    .run()
    .await;
    out.code(8).stderr_has("proxy");
}

/// A run can know two credentials (the variable's value and the --api-key-file one): both stay
/// masked, also once the file's has been read and registered.
#[tokio::test]
async fn both_the_file_credential_and_the_variable_value_are_masked() {
    let other = "sk-env-OTHERVALUE-91c3e5a7d2";
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("key");
    std::fs::write(&file, format!("{SECRET}\n")).unwrap();
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(header("authorization", format!("Bearer {SECRET}").as_str()))
        .respond_with(ResponseTemplate::new(403).set_body_json(
            json!({"error": {"code": 403, "message": format!("keys {SECRET} and {other} refused")}}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let out = Keyctl::bare(&["update", "-p", "modelgates", GATES_KEY, "--limit", "1"])
        .env(ENV, other)
        .args(&["--api-key-file", file.to_str().unwrap()])
        .base(&server)
        .run()
        .await;
    out.code(3);
    assert!(!out.stderr.contains("OTHERVALUE"), "{}", out.stderr);
    assert!(out.stderr.contains("keys **** and ****"), "{}", out.stderr);
}

/// A credential the provider refuses (401) fails every key the same way: after the first one
/// no new key starts, and the others are reported `not_attempted` with the reason.
#[tokio::test]
async fn a_refused_credential_stops_the_run_after_the_first_key() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(
                json!({"error": {"code": 401, "message": "Invalid management key"}}),
            ),
        )
        .mount(&server)
        .await;
    let keys: Vec<String> = (0..5).map(|i| format!("{i:064x}")).collect();
    let mut args = vec!["update", "-p", "modelgates"];
    args.extend(keys.iter().map(String::as_str));
    let out = Keyctl::new(ENV, &args)
        .base(&server)
        .args(&["--limit", "5", "--concurrency", "1", "-o", "json"])
        .run()
        .await;
    out.code(3)
        .stderr_has("the provider refused the credential")
        .stderr_has("4 not attempted");
    let st: Vec<String> = out
        .json_lines()
        .iter()
        .map(|l| l["status"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        st,
        [
            "failed",
            "not_attempted",
            "not_attempted",
            "not_attempted",
            "not_attempted"
        ]
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}
