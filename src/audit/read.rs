//! Reading the trail for `keyctl log`: the filter, `--since`, and the entries streamed line by
//! line, each line bounded.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Take};
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value};

use super::file::{LOCK_WAIT, refuse_linked, regular, wait_for};

/// Which entries `keyctl log` shows; None lets every entry through.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Entries at this time or later.
    pub since: Option<DateTime<Utc>>,
    /// Entries about this key (`key`, or `new_key` of a rotation or create): its id, an id
    /// prefix of 6+ characters, or its exact `name`.
    pub key: Option<String>,
    /// Provider id (`venice`), any case.
    pub provider: Option<String>,
    pub profile: Option<String>,
    /// Entries of these actions (any of them; empty: every action).
    pub actions: Vec<String>,
    /// Entries of these statuses (any of them; empty: every status).
    pub statuses: Vec<String>,
    /// Entries whose key's `name` matches this glob (an entry without a name never does).
    pub name: Option<globset::GlobMatcher>,
    /// Only the last this many entries that pass (`-n/--tail`): [`Opened::entries`] counts
    /// them first, then skips the rest, so memory stays bounded whatever the number.
    pub last: Option<usize>,
}

/// The actions a line records (`--action`).
pub const RECORDED_ACTIONS: [&str; 4] = ["update", "create", "revoke", "rotate"];

/// The statuses a line records (`--status`): those of a write's outcome.
pub const RECORDED_STATUSES: [&str; 9] = [
    "updated",
    "created",
    "adopted",
    "revoked",
    "rotated",
    "partial",
    "not_found",
    "failed",
    "unknown",
];

impl Filter {
    /// Whether an entry passes.
    pub fn accepts(&self, e: &Map<String, Value>) -> bool {
        let s = |name: &str| e.get(name).and_then(Value::as_str);
        let since = self.since.is_none_or(|since| {
            s("time")
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .is_some_and(|t| t.with_timezone(&Utc) >= since)
        });
        // An id, the start of one as a table shows it (6+ characters, as key references take
        // it: commands/keys.rs MIN_PREFIX), or a key's name.
        let is = |v: Option<&str>, k: &str| {
            v.is_some_and(|v| {
                v == k
                    || (k.len() >= 6 && v.get(..k.len()).is_some_and(|h| h.eq_ignore_ascii_case(k)))
            })
        };
        let key = self
            .key
            .as_deref()
            .is_none_or(|k| is(s("key"), k) || is(s("new_key"), k) || s("name") == Some(k));
        let provider = self
            .provider
            .as_deref()
            .is_none_or(|p| s("provider").is_some_and(|v| v.eq_ignore_ascii_case(p)));
        let profile = self
            .profile
            .as_deref()
            .is_none_or(|p| s("profile") == Some(p));
        let one_of = |list: &[String], field: &str| {
            list.is_empty() || s(field).is_some_and(|v| list.iter().any(|l| l == v))
        };
        let name = self
            .name
            .as_ref()
            .is_none_or(|g| s("name").is_some_and(|n| g.is_match(n)));
        since
            && key
            && provider
            && profile
            && one_of(&self.actions, "action")
            && one_of(&self.statuses, "status")
            && name
    }
}

/// `--since`: a duration back from `now` (`7d`, `12h`, `90m`), a date (`2026-11-01`, 00:00
/// UTC) or an RFC 3339 time.
pub fn parse_since(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let t = s.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(t) {
        return Ok(at.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(d.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    let bad = || {
        format!(
            "--since takes a duration back from now (7d, 12h, 90m), a date (2026-11-01) or an \
             RFC 3339 time (2026-11-01T08:00:00Z), not {:?}",
            crate::text::truncate(t, 40)
        )
    };
    let back = crate::duration::parse(t).map_err(|e| format!("{}: {e}", bad()))?;
    chrono::Duration::from_std(back)
        .ok()
        .and_then(|d| now.checked_sub_signed(d))
        .ok_or_else(bad)
}

/// The longest line the reader takes (keyctl writes lines of a few KiB): a longer one is
/// skipped, and counted, without being held in memory. A line's JSON takes up to some 40 times
/// its size once parsed (`[{},{},…]`), so this also bounds what one entry costs.
pub const MAX_LINE: usize = 256 << 10;

/// The trail opened for reading: the file, and its length when it was opened.
#[derive(Debug)]
pub struct Opened {
    file: File,
    len: u64,
    /// For `Filter::last`: the entries that pass, counted once (see [`Opened::entries`]).
    passing: Option<usize>,
}

/// Opens the trail at `path` to read: a missing file is `NotFound`; a folder that is a
/// symbolic link is a [`LinkedFolder`] error, and a file that is a symbolic link (not followed)
/// or not a regular one (a FIFO, a device, a folder) an error too. Its length is taken under a
/// shared lock, so it ends on a whole line (a writer holds the exclusive lock for the whole of
/// its line); the lock is let go at once: lines appended later are not read, and a slow reader
/// (`keyctl log | less`) never holds up a writer.
pub fn open(path: &Path) -> std::io::Result<Opened> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        refuse_linked(dir)?;
    }
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    // As for writing: a symbolic link is not followed (ELOOP), and a FIFO does not block.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut o, libc::O_NONBLOCK | libc::O_NOFOLLOW);
    let file = o.open(path).map_err(|e| {
        #[cfg(unix)]
        if e.raw_os_error() == Some(libc::ELOOP) {
            return std::io::Error::other(
                "it is a symbolic link, which keyctl does not follow (put the file it points \
                 to in its place)",
            );
        }
        e
    })?;
    let lock = fd_lock::RwLock::new(regular(file)?);
    if !wait_for(|| lock.try_read().is_ok(), LOCK_WAIT) {
        return Err(std::io::Error::other(format!(
            "another process has held its lock for {} s; try again",
            LOCK_WAIT.as_secs()
        )));
    }
    let len = {
        let guard = lock.read()?;
        guard.metadata()?.len()
    };
    Ok(Opened {
        file: lock.into_inner(),
        len,
        passing: None,
    })
}

impl Opened {
    /// The entries that pass `filter`, in file order, read from the start (again, on a second
    /// call) up to the length the file had when it was opened. With `filter.last` (N), only
    /// the last N of them: the first call counts the entries that pass (one more read of the
    /// file, holding none of them), and every call skips all but the last N.
    pub fn entries<'a>(
        &'a mut self,
        filter: &'a Filter,
    ) -> std::io::Result<Entries<'a, BufReader<Take<&'a File>>>> {
        let skip = match filter.last {
            None => 0,
            Some(n) => {
                let passing = match self.passing {
                    Some(p) => p,
                    None => {
                        let mut all = self.read(filter)?;
                        let mut p = 0usize;
                        for e in all.by_ref() {
                            e?;
                            p += 1;
                        }
                        self.passing = Some(p);
                        p
                    }
                };
                passing.saturating_sub(n)
            }
        };
        let mut entries = self.read(filter)?;
        entries.skip = skip;
        Ok(entries)
    }

    /// Every entry that passes `filter`, from the start.
    fn read<'a>(
        &'a self,
        filter: &'a Filter,
    ) -> std::io::Result<Entries<'a, BufReader<Take<&'a File>>>> {
        let mut file = &self.file;
        file.seek(SeekFrom::Start(0))?;
        let input = BufReader::with_capacity(64 * 1024, file.take(self.len));
        Ok(Entries::new(input, filter))
    }
}

/// The lines a reader skipped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Skipped {
    /// Not a JSON object: cut short by a crash, or edited.
    pub damaged: usize,
    /// Longer than [`MAX_LINE`] (not keyctl's).
    pub too_long: usize,
}

/// The entries of a trail's text that pass a filter, one line at a time: an iterator of JSON
/// objects; [`Entries::skipped`] counts the lines left out. It ends after a read error.
#[derive(Debug)]
pub struct Entries<'a, R> {
    input: R,
    filter: &'a Filter,
    line: Vec<u8>,
    skipped: Skipped,
    failed: bool,
    /// Entries that pass but are left out first (`-n/--tail`: all but the last N).
    skip: usize,
}

impl<'a, R: BufRead> Entries<'a, R> {
    pub fn new(input: R, filter: &'a Filter) -> Entries<'a, R> {
        Entries {
            input,
            filter,
            line: Vec::new(),
            skipped: Skipped::default(),
            failed: false,
            skip: 0,
        }
    }

    /// The lines skipped so far.
    pub fn skipped(&self) -> Skipped {
        self.skipped
    }
}

impl<R: BufRead> Iterator for Entries<'_, R> {
    type Item = std::io::Result<Value>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.failed {
            match next_line(&mut self.input, &mut self.line, MAX_LINE) {
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
                Ok(Line::End) => return None,
                Ok(Line::TooLong) => self.skipped.too_long += 1,
                Ok(Line::Text) if self.line.iter().all(u8::is_ascii_whitespace) => {}
                Ok(Line::Text) => match serde_json::from_slice::<Value>(&self.line) {
                    Ok(Value::Object(o)) if self.filter.accepts(&o) => {
                        if self.skip > 0 {
                            self.skip -= 1;
                            continue;
                        }
                        return Some(Ok(Value::Object(o)));
                    }
                    Ok(Value::Object(_)) => {}
                    _ => self.skipped.damaged += 1,
                },
            }
        }
        None
    }
}

/// What [`next_line`] found.
#[derive(Debug, PartialEq, Eq)]
enum Line {
    /// A line, in the buffer (without its line break).
    Text,
    /// A line longer than the limit, skipped to its end.
    TooLong,
    /// The end of the input.
    End,
}

/// Reads the next line into `buf` (cleared first) when it is at most `max` bytes long, else
/// skips it to its end keeping at most `max` bytes at any time: a multi-GiB line is never held.
fn next_line(r: &mut impl BufRead, buf: &mut Vec<u8>, max: usize) -> std::io::Result<Line> {
    buf.clear();
    let (mut any, mut long) = (false, false);
    loop {
        let avail = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            return Ok(match (any, long) {
                (false, _) => Line::End,
                (true, false) => Line::Text,
                (true, true) => Line::TooLong,
            });
        }
        any = true;
        let end = avail.iter().position(|b| *b == b'\n');
        let piece = &avail[..end.unwrap_or(avail.len())];
        if !long && buf.len() + piece.len() > max {
            long = true;
            buf.clear();
        }
        if !long {
            buf.extend_from_slice(piece);
        }
        let used = end.map_or(avail.len(), |i| i + 1);
        r.consume(used);
        if end.is_some() {
            return Ok(if long { Line::TooLong } else { Line::Text });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::append;
    use crate::audit::fixtures::{parse, read};
    use serde_json::json;

    #[test]
    fn filters_select_entries() {
        let text = [
            r#"{"time":"2026-11-01T00:00:00.000Z","profile":null,"provider":"venice","key":"a"}"#,
            "not json",
            r#"[1,2]"#,
            "",
            r#"{"time":"2026-11-20T00:00:00.000Z","profile":"prod","provider":"openrouter","key":"b","new_key":"c"}"#,
        ]
        .join("\n");
        let all = |f: Filter| parse(text.as_bytes(), &f).unwrap();
        let (v, damaged) = all(Filter::default());
        assert_eq!((v.len(), damaged), (2, 2));
        let since = DateTime::parse_from_rfc3339("2026-11-10T00:00:00Z")
            .unwrap()
            .to_utc();
        let keys = |f: Filter| {
            all(f)
                .0
                .iter()
                .map(|e| e["key"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            keys(Filter {
                since: Some(since),
                ..Filter::default()
            }),
            ["b"]
        );
        assert_eq!(
            keys(Filter {
                key: Some("c".into()),
                ..Filter::default()
            }),
            ["b"]
        );
        assert_eq!(
            keys(Filter {
                key: Some("a".into()),
                ..Filter::default()
            }),
            ["a"]
        );
        assert_eq!(
            keys(Filter {
                provider: Some("Venice".into()),
                ..Filter::default()
            }),
            ["a"]
        );
        assert_eq!(
            keys(Filter {
                profile: Some("prod".into()),
                ..Filter::default()
            }),
            ["b"]
        );
        assert!(
            keys(Filter {
                profile: Some("x".into()),
                ..Filter::default()
            })
            .is_empty()
        );
    }

    #[test]
    fn the_new_filters_select_entries_and_old_lines_pass() {
        let text = [
            // Written before names were recorded: no name, user, host or argv.
            r#"{"time":"2026-11-01T00:00:00.000Z","key":"a","action":"update","status":"updated"}"#,
            r#"{"key":"b","name":"ci-agent-01","action":"revoke","status":"revoked"}"#,
            r#"{"key":"c","name":"ci-agent-02","action":"revoke","status":"failed"}"#,
            r#"{"key":"d","name":"prod-1","action":"update","status":"updated"}"#,
            r#"{"key":"e","name":"ci-agent-03","action":"create","status":"created"}"#,
        ]
        .join("\n");
        let keys = |f: Filter| {
            parse(text.as_bytes(), &f)
                .unwrap()
                .0
                .iter()
                .map(|e| e["key"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        let glob = |g: &str| Some(globset::Glob::new(g).unwrap().compile_matcher());
        let list = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(keys(Filter::default()), ["a", "b", "c", "d", "e"]);
        let f = |actions: &[&str], statuses: &[&str], name: Option<&str>| Filter {
            actions: list(actions),
            statuses: list(statuses),
            name: name.and_then(glob),
            ..Filter::default()
        };
        assert_eq!(keys(f(&["update"], &[], None)), ["a", "d"]);
        assert_eq!(keys(f(&["update", "create"], &[], None)), ["a", "d", "e"]);
        assert_eq!(keys(f(&[], &["failed", "created"], None)), ["c", "e"]);
        // A line without a name never matches a --name glob, not even `*`.
        assert_eq!(keys(f(&[], &[], Some("*"))), ["b", "c", "d", "e"]);
        assert_eq!(keys(f(&[], &[], Some("ci-*"))), ["b", "c", "e"]);
        assert_eq!(keys(f(&["revoke"], &["revoked"], Some("ci-*"))), ["b"]);
    }

    #[test]
    fn the_last_n_entries_are_read_without_holding_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.jsonl");
        let text: String = (0..10)
            .map(|i| {
                let action = if i % 2 == 0 { "update" } else { "revoke" };
                format!("{{\"key\":\"k{i}\",\"action\":\"{action}\"}}\nnot json\n")
            })
            .collect();
        std::fs::write(&path, text).unwrap();
        let mut t = open(&path).unwrap();
        let keys = |t: &mut Opened, f: &Filter| {
            let mut entries = t.entries(f).unwrap();
            let v: Vec<String> = entries
                .by_ref()
                .map(|e| e.unwrap()["key"].as_str().unwrap().to_string())
                .collect();
            (v, entries.skipped().damaged)
        };
        let f = Filter {
            last: Some(2),
            actions: vec!["update".into()],
            ..Filter::default()
        };
        // Read twice (as a long table is): the same entries, and every damaged line counted.
        for _ in 0..2 {
            assert_eq!(keys(&mut t, &f), (vec!["k6".into(), "k8".into()], 10));
        }
        let mut t = open(&path).unwrap();
        let more = Filter {
            last: Some(50),
            ..Filter::default()
        };
        assert_eq!(keys(&mut t, &more).0.len(), 10);
        let mut t = open(&path).unwrap();
        let none = Filter {
            last: Some(0),
            ..Filter::default()
        };
        assert!(keys(&mut t, &none).0.is_empty());
    }

    #[test]
    fn a_missing_trail_is_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let e = read(&dir.path().join("none.jsonl"), &Filter::default()).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
    }

    #[test]
    fn since_takes_durations_dates_and_times() {
        let now = DateTime::parse_from_rfc3339("2026-11-23T18:40:00Z")
            .unwrap()
            .to_utc();
        let at = |s: &str| parse_since(s, now).unwrap().to_rfc3339();
        assert_eq!(at("7d"), "2026-11-16T18:40:00+00:00");
        assert_eq!(at("12h"), "2026-11-23T06:40:00+00:00");
        assert_eq!(at("90m"), "2026-11-23T17:10:00+00:00");
        assert_eq!(at("2026-11-01"), "2026-11-01T00:00:00+00:00");
        assert_eq!(at("2026-11-01T08:00:00+02:00"), "2026-11-01T06:00:00+00:00");
        for bad in ["", "yesterday", "2026-13-01", "-7d"] {
            let e = parse_since(bad, now).unwrap_err();
            assert!(e.contains("--since"), "{e}");
        }
    }

    #[test]
    fn a_line_past_the_limit_is_skipped_without_being_held() {
        // 8 MiB of one line, then an entry; read through a 4 KiB buffer.
        let long = std::io::repeat(b'x').take(8 << 20);
        let rest: &[u8] = b"\n{\"key\":\"after\"}\n{\"key\":\"last\"}";
        let input = BufReader::with_capacity(4096, long.chain(rest));
        let filter = Filter::default();
        let mut entries = Entries::new(input, &filter);
        let first = entries.next().unwrap().unwrap();
        assert_eq!(first["key"], json!("after"));
        assert!(
            entries.line.capacity() <= 2 * MAX_LINE,
            "held the long line"
        );
        assert_eq!(entries.next().unwrap().unwrap()["key"], json!("last"));
        assert!(entries.next().is_none());
        let skipped = entries.skipped();
        assert_eq!((skipped.too_long, skipped.damaged), (1, 0));
        // A line of exactly the limit is read; one byte more is not.
        for (n, read) in [(MAX_LINE, true), (MAX_LINE + 1, false)] {
            let pad = " ".repeat(n - 2);
            let text = format!("{{{pad}}}\n");
            let (v, _) = parse(text.as_bytes(), &filter).unwrap();
            assert_eq!(v.len(), usize::from(read), "{n}");
        }
    }

    #[test]
    fn a_reader_sees_the_trail_as_it_was_when_opened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.jsonl");
        append(&path, b"{\"key\":\"one\"}\n").unwrap();
        let mut opened = open(&path).unwrap();
        // Not held: a writer appends at once, and the reader does not see it.
        append(&path, b"{\"key\":\"two\"}\n").unwrap();
        let filter = Filter::default();
        for _ in 0..2 {
            let keys: Vec<Value> = opened
                .entries(&filter)
                .unwrap()
                .map(|e| e.unwrap()["key"].clone())
                .collect();
            assert_eq!(keys, [json!("one")]);
        }
    }
}
