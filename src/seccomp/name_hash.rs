// The hash of a syscall name for the generated name tables, shared by
// build.rs (which fills the tables) and `arch` (which looks names up):
// FNV-1a, 64 bits.
#[allow(dead_code)]
const fn name_hash(name: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < name.len() {
        h ^= name[i] as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    h
}

/// Slots of each generated table: a power of two above twice the number
/// of syscalls of any architecture, so probes stay short.
#[allow(dead_code)]
const NAME_SLOTS: usize = 1024;
