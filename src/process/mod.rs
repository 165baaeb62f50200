//! The sandbox's processes, by side and role. Launcher side: `spawn`
//! (clone, id maps, release) and `supervise` (records and reaping →
//! events and an outcome). Sandbox side, after clone, in the order they
//! run: `child` (the setup sequence; mechanics of the view in `view`),
//! `helper` (PID 1's thread that makes the network namespace and detaches
//! the host tree meanwhile),
//! `warden` (PID 1's thread for seccomp notifications), `payload` (its
//! last steps and exec), `init` (PID 1's loop); `caps` (the capability
//! drop) and `report` (the records both sides speak) serve both.
//! Functions that run after clone end in `_from_child`.

after_clone! {
    mod caps;
    mod child;
    mod helper;
    mod init;
    mod payload;
    mod report;
    mod view;
    mod warden;
}
pub(crate) mod cgroup;
mod signals;
mod spawn;
mod supervise;

pub(crate) use report::WITHDRAWN;
pub use report::{Failure, Stage};
pub(crate) use signals::FORWARDED_SIGNALS;
pub(crate) use spawn::spawn;
pub use spawn::SpawnError;
pub use supervise::{Event, Outcome, Timeline};
pub(crate) use supervise::{KillSwitch, Supervisor};

/// Decodes a record as the launcher does (for the fuzz target).
pub(crate) fn decode_record(buf: &[u8]) -> bool {
    report::Record::decode(buf).is_some()
}
