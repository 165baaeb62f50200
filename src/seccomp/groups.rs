//! Syscall groups, named after systemd's `SystemCallFilter=` sets so that
//! profile authors can reuse what they know. Each group lists the calls
//! common to x86_64 and aarch64, then the legacy calls only x86_64 has.
//! A group may name other groups (`@system-service` is mostly unions).
//!
//! None of the calls in [`DANGEROUS`] is in any group except `@mount` and
//! the other groups named there on purpose; `@default` and
//! `@system-service` never contain them.

include!("group_table.rs");

/// Syscalls that open side doors out of the sandbox or into the kernel.
/// No built-in group except `@mount` holds them; a profile that allows one
/// explicitly gets a warning from `check` and `run`. Kept sorted.
pub const DANGEROUS: &[&str] = &[
    "acct",
    "add_key",
    "bpf",
    "chroot",
    "delete_module",
    "finit_module",
    "fsconfig",
    "fsmount",
    "fsopen",
    "fspick",
    "init_module",
    "io_uring_enter",
    "io_uring_register",
    "io_uring_setup",
    "kexec_file_load",
    "kexec_load",
    "keyctl",
    "mount",
    "mount_setattr",
    "move_mount",
    "name_to_handle_at",
    "open_by_handle_at",
    "open_tree",
    "perf_event_open",
    "personality",
    "pidfd_getfd",
    "pivot_root",
    "process_vm_readv",
    "process_vm_writev",
    "ptrace",
    "quotactl",
    "quotactl_fd",
    "reboot",
    "request_key",
    "setns",
    "swapoff",
    "swapon",
    "umount2",
    "unshare",
    "userfaultfd",
    "vhangup",
];

/// Whether `name` is one of [`DANGEROUS`] (sorted, so a binary search:
/// every syscall a profile allows is checked at each start).
pub fn is_dangerous(name: &str) -> bool {
    DANGEROUS.binary_search(&name).is_ok()
}

/// The groups that hold a [`DANGEROUS`] call (on either architecture).
const HOLD_DANGEROUS: &[&str] = &["@mount"];

/// Whether expanding `name`, a syscall or an `@group`, can yield a
/// [`DANGEROUS`] call: the entries of any other group need no lookup
/// (a start of `-p strict` expands about 400, none of them dangerous).
pub fn may_be_dangerous(name: &str) -> bool {
    !name.starts_with('@') || HOLD_DANGEROUS.contains(&name)
}

/// Looks a group up by its `@name`.
#[cfg(test)]
pub fn group(name: &str) -> Option<&'static Group> {
    GROUPS.iter().find(|g| g.name == name)
}

/// Every group's syscalls on one architecture, flattened by build.rs:
/// what expanding the group by hand through its nested groups gives, in
/// the same order, each with the `@group via @group` chain that brought it
/// in. Expanding a group is then a copy, not a lookup per member (a start
/// of `-p strict` expands about 240, a fuzzed profile as many per input).
/// Integers into one text, so the table needs no relocation at start-up.
pub(super) struct Members {
    /// Every name and chain, one after the other.
    text: &'static str,
    /// `(offset, length)` in `text` of a member's name, then of its chain.
    rows: &'static [(u16, u8, u16, u8)],
    /// The rows of each group of [`GROUPS`], by its index there.
    spans: &'static [(u16, u16)],
}

impl Members {
    /// The syscalls of the group at `index` in [`GROUPS`] and their chains.
    pub(super) fn of(
        &'static self,
        index: usize,
    ) -> impl ExactSizeIterator<Item = (&'static str, &'static str)> {
        let (start, end) = self.spans.get(index).copied().unwrap_or((0, 0));
        let rows = self.rows.get(usize::from(start)..usize::from(end));
        rows.unwrap_or(&[])
            .iter()
            .map(|&(at, len, via_at, via_len)| {
                let text = |at: u16, len: u8| {
                    let at = usize::from(at);
                    self.text.get(at..at + usize::from(len)).unwrap_or("")
                };
                (text(at, len), text(via_at, via_len))
            })
    }
}

// X86_64_MEMBERS and AARCH64_MEMBERS.
include!(concat!(env!("OUT_DIR"), "/group_members.rs"));
