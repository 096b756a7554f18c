//! Runs on a pseudo-terminal (driven by `pty_run.py`, see `common::pty`).

mod revoke_rotate;
mod update;
