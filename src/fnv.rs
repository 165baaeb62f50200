// FNV-1a, shared with build.rs (which includes this file): the key of the
// built-in profiles' snapshots and of the syscall name tables.

/// FNV-1a, 64 bits: a content key, not a defence against collisions
/// someone chose.
pub(crate) const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        h ^= bytes[i] as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    h
}
