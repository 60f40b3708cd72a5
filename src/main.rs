//! The `memberdrive` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = memberdrive::cli::Cli::parse();
    match memberdrive::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the reason and its causes (drivers' messages may span several).
            let reason = format!("{e:#}");
            eprintln!(
                "memberdrive: {}",
                reason.split_whitespace().collect::<Vec<_>>().join(" ")
            );
            ExitCode::FAILURE
        }
    }
}
