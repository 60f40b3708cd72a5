//! The `memberdrive` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

use clap::Parser;

/// glibc's malloc serves a large block from a fresh mapping until one is freed, then raises
/// its threshold for mappings to that size: from then on the 19 MiB of each password check
/// came from the arena of whichever thread ran it and stayed there. 500 failed sign-ins left
/// the process at 1,056 MiB (486 MiB with checks bounded to one per core), and it never came
/// back (`scripts/bench-signin-memory`; the README has the figures). A fixed threshold keeps
/// every large block in its own mapping, given back to the system when it is freed.
fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: a plain call into glibc, made before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

fn main() -> ExitCode {
    return_freed_memory();
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
