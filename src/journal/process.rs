//! Which process wrote a journal entry, and whether it still runs: an entry of a run still
//! going is a create in flight (not lost), one of a process that is gone is lost and reconciled.
//!
//! A process is named by its host, its pid and (on Linux) the boot id and its start time in
//! clock ticks since boot (`/proc/PID/stat`, field 22), so a pid used again by another process
//! after a crash or a reboot is not taken for the run. On another host (a shared home folder)
//! liveness cannot be checked: the entry counts as in flight while it is younger than
//! [`super::SETTLE`], and as lost after.

use serde::{Deserialize, Serialize};

/// The process that began an entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Process {
    pub pid: u32,
    /// The host name (`gethostname`), empty when it cannot be read.
    pub host: String,
    /// `BOOT_ID:START_TICKS` on Linux; absent elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
}

/// What can be told of an entry's process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alive {
    /// It still runs (the same process: same host, pid and start).
    Yes,
    /// It is gone (this host, and no process with that pid and start).
    No,
    /// Another host's, or an entry without a process: cannot be told.
    Unknown,
}

/// This process.
pub fn this() -> Process {
    let pid = std::process::id();
    Process {
        pid,
        host: host_name(),
        start: start_of(pid),
    }
}

/// Whether the process `p` (of an entry) still runs.
pub fn alive(p: Option<&Process>) -> Alive {
    let Some(p) = p else { return Alive::Unknown };
    if p.host != host_name() || p.host.is_empty() {
        return Alive::Unknown;
    }
    if p.pid == std::process::id() {
        return if start_of(p.pid) == p.start {
            Alive::Yes
        } else {
            Alive::No
        };
    }
    if !pid_runs(p.pid) {
        return Alive::No;
    }
    match (&p.start, start_of(p.pid)) {
        // A pid that runs with another start is another process.
        (Some(was), Some(now)) if *was != now => Alive::No,
        // Started, but the process with that pid is already gone between the two looks.
        (Some(_), None) if cfg!(target_os = "linux") => Alive::No,
        _ => Alive::Yes,
    }
}

/// The host's name, or empty.
fn host_name() -> String {
    #[cfg(unix)]
    {
        let mut buf = [0u8; 256];
        // SAFETY: the buffer is valid for its length; gethostname writes at most that much.
        let r = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        if r != 0 {
            return String::new();
        }
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        String::from_utf8_lossy(&buf[..end]).into_owned()
    }
    #[cfg(not(unix))]
    {
        String::new()
    }
}

/// Whether a process with this pid exists (a process of another user counts).
fn pid_runs(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return false;
        };
        if pid <= 0 {
            return false;
        }
        // SAFETY: signal 0 only checks that the process exists and may be signalled.
        let r = unsafe { libc::kill(pid, 0) };
        r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

/// `BOOT_ID:START_TICKS` of the process `pid` (Linux), None when it cannot be read.
fn start_of(pid: u32) -> Option<String> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count after the last.
    let after = stat.get(stat.rfind(')')? + 1..)?;
    // Field 3 is the first after the name; the start time is field 22.
    let ticks = after.split_whitespace().nth(19)?;
    Some(format!("{}:{ticks}", boot.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_runs_and_a_gone_or_reused_pid_does_not() {
        let me = this();
        assert_eq!(alive(Some(&me)), Alive::Yes);
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        let gone = Process {
            pid,
            host: me.host.clone(),
            start: me.start.clone(),
        };
        assert_eq!(alive(Some(&gone)), Alive::No);
        if cfg!(target_os = "linux") {
            let reused = Process {
                start: Some("other-boot:1".into()),
                ..me.clone()
            };
            assert_eq!(alive(Some(&reused)), Alive::No);
        }
        let elsewhere = Process {
            host: format!("{}-elsewhere", me.host),
            ..me
        };
        assert_eq!(alive(Some(&elsewhere)), Alive::Unknown);
        assert_eq!(alive(None), Alive::Unknown);
    }
}
