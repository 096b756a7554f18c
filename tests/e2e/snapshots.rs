//! Whole-run snapshots (exit code, stdout, stderr; server address filtered) of the main outputs.
