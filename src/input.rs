//! What the person running keyctl gives it besides flags: a file or standard input read as
//! input (`--from-file`), and the answer to a y/N question.

use std::path::Path;

use crate::credential::ReadError;
use crate::error::{Error, Result, Sent};
use crate::http::Cancel;
use crate::output;

/// Reads a file, or standard input for `-`, up to `max` bytes, on a blocking thread so that a
/// signal still stops the run while it waits (e.g. on a pipe that never closes).
pub async fn read_input(
    path: &Path,
    max: usize,
    cancel: &Cancel,
) -> Result<std::result::Result<String, ReadError>> {
    crate::credential::read_on_thread(path, max, false, cancel.cancelled()).await
}

/// Asks `question [y/N]` on stderr and reads one line of standard input: `y` or `yes` (any
/// case) is yes; anything else, an empty line or end of input is no. A signal stops the wait.
pub async fn confirm(question: &str, cancel: &Cancel) -> Result<bool> {
    output::prompt(&format!("{question} [y/N] "));
    let read = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map(|n| (n, line))
    });
    let answer = tokio::select! {
        r = read => r,
        _ = cancel.cancelled() => {
            output::prompt("\n");
            return Err(Error::Interrupted { sent: Sent::Nothing });
        }
    };
    match answer {
        Ok(Ok((n, line))) if n > 0 => Ok(matches!(
            line.trim().to_ascii_lowercase().as_str(),
            "y" | "yes"
        )),
        // End of input (Ctrl-D), or a terminal that went away: no. A hangup closes the
        // terminal just before its SIGHUP arrives: give the signal a moment to win, so the
        // exit says what happened (129).
        _ => {
            output::prompt("\n");
            if cancel.sleep(std::time::Duration::from_millis(100)).await {
                Ok(false)
            } else {
                Err(Error::Interrupted {
                    sent: Sent::Nothing,
                })
            }
        }
    }
}
