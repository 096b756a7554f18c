//! The keyctl binary: parse the command line, run it on a small tokio runtime, exit with the
//! code of the first failure (CLI.md, "Exit codes").

use clap::Parser;

fn main() {
    let cli = keyctl::cli::Cli::parse();
    let code = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(keyctl::app::run(cli)),
        Err(e) => {
            keyctl::output::error(&format!("cannot start the async runtime: {e}"));
            1
        }
    };
    std::process::exit(code);
}
