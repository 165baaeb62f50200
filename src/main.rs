//! The `stockade` command.

// musl's own allocator unmaps freed memory at once; the launcher's
// short-lived allocations then cost a system call and a TLB flush each.
#[cfg(target_env = "musl")]
#[global_allocator]
static ALLOCATOR: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

fn main() -> std::process::ExitCode {
    stockade::command_main()
}
