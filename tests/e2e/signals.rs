//! Signals (SIGINT, SIGTERM, SIGHUP, a second signal) and --max-failures: every key ends in one
//! status and the report matches what the server recorded.
