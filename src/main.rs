//! The `stockade` command.

#[cfg(target_env = "musl")]
mod heap;

// musl's own allocator unmaps freed memory at once; the launcher's
// short-lived allocations then cost a system call and a TLB flush each.
#[cfg(target_env = "musl")]
#[global_allocator]
static ALLOCATOR: heap::Heap = heap::Heap;

fn main() -> std::process::ExitCode {
    stockade::command_main()
}
