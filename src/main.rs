//! The keyctl binary: parse the command line, run it on a small tokio runtime, exit with the
//! code of the first failure (docs/reference.md, "Exit codes"), or 128 + n after signal n.

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = keyctl::cli::Cli::parse_args();
    let code = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => {
            let code = keyctl::output::finish(rt.block_on(keyctl::commands::run(cli)), false);
            // A read of standard input that a signal abandoned may still block its thread:
            // do not wait for it.
            rt.shutdown_background();
            code
        }
        Err(e) => {
            keyctl::output::error(&format!("cannot start the async runtime: {e}"));
            1
        }
    };
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
