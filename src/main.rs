//! The `stockade` command.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Rust ignores SIGPIPE; a command-line tool whose reader went away
    // (`stockade explain | head`) should end quietly instead.
    let _ = stockade::sys::signal_default(libc::SIGPIPE);
    let cli = match stockade::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // Help and version are successes; usage errors are launcher errors.
            return ExitCode::from(if e.use_stderr() { 125 } else { 0 });
        }
    };
    match stockade::app::run(cli) {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(125)),
        Err(e) => {
            stockade::app::say(&e.to_string());
            ExitCode::from(125)
        }
    }
}
