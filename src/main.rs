//! The `memberdrive` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc, set by [`return_freed_memory`] to give freed memory back at once. With glibc's
/// allocator the 19 MiB of each password check stays in the arena of whichever thread ran it:
/// 500 failed sign-ins left the process at 1,056 MiB (486 MiB with checks bounded to one per
/// core), and it never came back (`scripts/bench-signin-memory`; the README has the figures).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc 3's option `mi_option_purge_delay`, by its place in `mi_option_t` (the Rust
/// bindings do not name it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// By default mimalloc purges freed memory a second later, and only when the allocator is
/// called again: an idle process kept the peak of a burst of sign-ins. Purge at once instead.
fn return_freed_memory() {
    // SAFETY: a plain call into mimalloc, made before any other thread exists (setting options
    // is not thread-safe); the option number is that of mimalloc 3, checked first.
    unsafe {
        if libmimalloc_sys::mi_version() / 10_000 == 3 {
            libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0);
        }
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
