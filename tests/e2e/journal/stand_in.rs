//! A ModelGates stand-in on loopback whose create answer can be lost: it makes the key (the
//! listing shows it from then on) and then drops the connection, answers 502, or answers only
//! after a delay; it counts every request by method.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// What the stand-in does with a create once it has made the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lose {
    /// Closes the connection without a word.
    Drop,
    /// Answers 502 Bad Gateway.
    BadGateway,
    /// Answers 201 after this long (a run with a shorter --timeout gives up first).
    Late(Duration),
    /// Answers 201 with the new key and its secret at once.
    Not,
    /// Makes no key and answers 500.
    NotMade,
    /// Makes the key but keeps it out of the listing (a listing that lags), and drops the
    /// connection.
    Hidden,
    /// Makes no key and never answers (the connection is held open for a minute).
    Hang,
}

/// The new secret the stand-in makes; it must appear in no journal.
pub const NEW_SECRET: &str = "sk-or-v1-JOURNAL-0a1b2c3d4e5f60718293a4b5c6d7e8f9";

#[derive(Default)]
struct State {
    /// Every request: method, path and query, body.
    seen: Vec<(String, String, String)>,
    /// The keys the listing shows.
    keys: Vec<Value>,
    /// Keys made and not yet listed ([`Lose::Hidden`]).
    hidden: Vec<Value>,
    /// What is done with the next create.
    lose: Option<Lose>,
}

pub struct StandIn {
    addr: std::net::SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl StandIn {
    /// A stand-in holding `keys`, losing each create's answer as `lose` says.
    pub fn start(keys: Vec<Value>, lose: Lose) -> StandIn {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let state = Arc::new(Mutex::new(State {
            keys,
            lose: Some(lose),
            ..State::default()
        }));
        let stop: Arc<AtomicBool> = Arc::default();
        let (state2, stop2) = (state.clone(), stop.clone());
        std::thread::spawn(move || {
            let end = Instant::now() + Duration::from_secs(120);
            while !stop2.load(Ordering::SeqCst) && Instant::now() < end {
                match listener.accept() {
                    Ok((sock, _)) => {
                        let state = state2.clone();
                        std::thread::spawn(move || serve(sock, &state));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        StandIn { addr, state, stop }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many requests of `method` arrived.
    pub fn count(&self, method: &str) -> usize {
        let s = self.state.lock().unwrap();
        s.seen.iter().filter(|(m, _, _)| m == method).count()
    }

    /// What the stand-in does with the creates from now on.
    pub fn set_lose(&self, lose: Lose) {
        self.state.lock().unwrap().lose = Some(lose);
    }

    /// The listing shows the keys [`Lose::Hidden`] kept out of it from now on.
    pub fn reveal(&self) {
        let mut s = self.state.lock().unwrap();
        let hidden = std::mem::take(&mut s.hidden);
        s.keys.extend(hidden);
    }

    /// The names of the keys the listing shows.
    pub fn names(&self) -> Vec<String> {
        let s = self.state.lock().unwrap();
        s.keys
            .iter()
            .map(|k| k["name"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// The bodies of the requests of `method`.
    pub fn bodies(&self, method: &str) -> Vec<String> {
        let s = self.state.lock().unwrap();
        s.seen
            .iter()
            .filter(|(m, _, _)| m == method)
            .map(|(_, _, b)| b.clone())
            .collect()
    }

    /// Adds a key to the listing.
    pub fn add_key(&self, key: Value) {
        self.state.lock().unwrap().keys.push(key);
    }

    /// The paths (with queries) of the requests of `method`.
    pub fn paths(&self, method: &str) -> Vec<String> {
        let s = self.state.lock().unwrap();
        s.seen
            .iter()
            .filter(|(m, _, _)| m == method)
            .map(|(_, p, _)| p.clone())
            .collect()
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// A ModelGates key as the listing and the create answer show it.
pub fn gates_key(hash: &str, name: &str) -> Value {
    json!({"hash": hash, "name": name, "label": name, "disabled": false,
           "limit": null, "limit_remaining": null, "limit_reset": null,
           "include_byok_in_limit": false, "usage": 0, "usage_daily": 0,
           "usage_weekly": 0, "usage_monthly": 0, "created_at": "2026-11-23T10:00:00Z",
           "updated_at": null, "expires_at": null})
}

/// The id the stand-in gives the n-th key it makes.
pub fn made_hash(n: usize) -> String {
    format!("{n:02}{}", "ab".repeat(31))
}

fn serve(mut sock: TcpStream, state: &Mutex<State>) {
    let _ = sock.set_nonblocking(false);
    let _ = sock.set_read_timeout(Some(Duration::from_secs(5)));
    let Some((method, target, body)) = read_request(&mut sock) else {
        return;
    };
    state
        .lock()
        .unwrap()
        .seen
        .push((method.clone(), target.clone(), body.clone()));
    match method.as_str() {
        "GET" if target.starts_with("/api/v1/keys") => {
            let keys = state.lock().unwrap().keys.clone();
            answer(&mut sock, 200, &json!({ "data": keys }));
        }
        "POST" if target.starts_with("/api/v1/keys") => {
            let name = serde_json::from_str::<Value>(&body)
                .ok()
                .and_then(|b| b["name"].as_str().map(str::to_string))
                .unwrap_or_default();
            let lose = state.lock().unwrap().lose.unwrap_or(Lose::Not);
            if matches!(lose, Lose::NotMade | Lose::Hang) {
                if lose == Lose::Hang {
                    std::thread::sleep(Duration::from_secs(60));
                    return;
                }
                answer(&mut sock, 500, &json!({"error": {"message": "internal"}}));
                let _ = sock.shutdown(Shutdown::Both);
                return;
            }
            let key = {
                let mut s = state.lock().unwrap();
                let n = s.seen.iter().filter(|(m, _, _)| m == "POST").count();
                let key = gates_key(&made_hash(n), &name);
                if lose == Lose::Hidden {
                    s.hidden.push(key.clone());
                } else {
                    s.keys.push(key.clone());
                }
                key
            };
            match lose {
                Lose::NotMade | Lose::Hang | Lose::Hidden => {}
                Lose::Drop => {}
                Lose::BadGateway => answer(&mut sock, 502, &json!({"error": "bad gateway"})),
                Lose::Late(after) => {
                    std::thread::sleep(after);
                    answer(&mut sock, 201, &json!({"data": key, "key": NEW_SECRET}));
                }
                Lose::Not => answer(&mut sock, 201, &json!({"data": key, "key": NEW_SECRET})),
            }
        }
        _ => answer(&mut sock, 418, &json!({"error": "not expected"})),
    }
    let _ = sock.shutdown(Shutdown::Both);
}

fn answer(sock: &mut TcpStream, status: u16, body: &Value) {
    let body = body.to_string();
    let _ = sock.write_all(
        format!(
            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
             connection: close\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
    let _ = sock.flush();
}

/// One request: method, target, body (None when the connection closed first).
fn read_request(sock: &mut TcpStream) -> Option<(String, String, String)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let len = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .unwrap_or(0usize);
            if buf.len() >= end + 4 + len {
                let mut first = head.lines().next()?.split(' ');
                let method = first.next()?.to_string();
                let target = first.next()?.to_string();
                let body = String::from_utf8_lossy(&buf[end + 4..end + 4 + len]).into_owned();
                return Some((method, target, body));
            }
        }
        match sock.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}
