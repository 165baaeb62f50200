//! The `stockade` command.

// The compiler must not turn `mem`'s copies and comparisons into calls to
// the functions they implement.
#![no_builtins]

#[cfg(target_env = "musl")]
mod heap;
// Tested on every x86_64 build, linked into the musl one.
#[cfg(all(target_arch = "x86_64", any(target_env = "musl", test)))]
mod mem;

// musl's own allocator unmaps freed memory at once; the launcher's
// short-lived allocations then cost a system call and a TLB flush each.
#[cfg(target_env = "musl")]
#[global_allocator]
static ALLOCATOR: heap::Heap = heap::Heap;

fn main() -> std::process::ExitCode {
    stockade::command_main()
}
