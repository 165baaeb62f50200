/// aarch64 syscalls that profiles name as the kernel does but its syscall
/// table does not: (the profile's name, the table's). Shared with build.rs,
/// whose flattened groups must accept what `Arch::nr` accepts.
const AARCH64_ALIASES: &[(&str, &str)] = &[("newfstatat", "fstatat")];
