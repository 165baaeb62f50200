//! Named constants for seccomp argument rules (`value: AF_UNIX`,
//! `value: O_WRONLY|O_CREAT`). Values are this architecture's, from libc.
// libc's constant types differ between targets (ioctl numbers are u64 on
// glibc x86_64, i32 elsewhere): keep every cast.
#![allow(clippy::unnecessary_cast)]

/// Every name a rule may use, with its value.
pub const CONSTANTS: &[(&str, u64)] = &[
    ("S_ISUID", libc::S_ISUID as u64),
    ("S_ISGID", libc::S_ISGID as u64),
    ("AF_UNIX", libc::AF_UNIX as u64),
    ("AF_LOCAL", libc::AF_LOCAL as u64),
    ("AF_INET", libc::AF_INET as u64),
    ("AF_INET6", libc::AF_INET6 as u64),
    ("AF_NETLINK", libc::AF_NETLINK as u64),
    ("AF_PACKET", libc::AF_PACKET as u64),
    ("AF_VSOCK", libc::AF_VSOCK as u64),
    ("NETLINK_ROUTE", libc::NETLINK_ROUTE as u64),
    ("SOCK_STREAM", libc::SOCK_STREAM as u64),
    ("SOCK_DGRAM", libc::SOCK_DGRAM as u64),
    ("SOCK_RAW", libc::SOCK_RAW as u64),
    ("SOCK_SEQPACKET", libc::SOCK_SEQPACKET as u64),
    ("SOCK_NONBLOCK", libc::SOCK_NONBLOCK as u64),
    ("SOCK_CLOEXEC", libc::SOCK_CLOEXEC as u64),
    ("CLONE_VM", libc::CLONE_VM as u64),
    ("CLONE_FS", libc::CLONE_FS as u64),
    ("CLONE_FILES", libc::CLONE_FILES as u64),
    ("CLONE_SIGHAND", libc::CLONE_SIGHAND as u64),
    ("CLONE_PIDFD", libc::CLONE_PIDFD as u64),
    ("CLONE_PTRACE", libc::CLONE_PTRACE as u64),
    ("CLONE_VFORK", libc::CLONE_VFORK as u64),
    ("CLONE_PARENT", libc::CLONE_PARENT as u64),
    ("CLONE_THREAD", libc::CLONE_THREAD as u64),
    ("CLONE_NEWNS", libc::CLONE_NEWNS as u64),
    ("CLONE_SYSVSEM", libc::CLONE_SYSVSEM as u64),
    ("CLONE_SETTLS", libc::CLONE_SETTLS as u64),
    ("CLONE_PARENT_SETTID", libc::CLONE_PARENT_SETTID as u64),
    ("CLONE_CHILD_CLEARTID", libc::CLONE_CHILD_CLEARTID as u64),
    ("CLONE_CHILD_SETTID", libc::CLONE_CHILD_SETTID as u64),
    ("CLONE_NEWCGROUP", libc::CLONE_NEWCGROUP as u64),
    ("CLONE_NEWUTS", libc::CLONE_NEWUTS as u64),
    ("CLONE_NEWIPC", libc::CLONE_NEWIPC as u64),
    ("CLONE_NEWUSER", libc::CLONE_NEWUSER as u64),
    ("CLONE_NEWPID", libc::CLONE_NEWPID as u64),
    ("CLONE_NEWNET", libc::CLONE_NEWNET as u64),
    ("CLONE_IO", libc::CLONE_IO as u64),
    ("CLONE_NEWTIME", 0x80),
    ("O_RDONLY", libc::O_RDONLY as u64),
    ("O_WRONLY", libc::O_WRONLY as u64),
    ("O_RDWR", libc::O_RDWR as u64),
    ("O_ACCMODE", libc::O_ACCMODE as u64),
    ("O_CREAT", libc::O_CREAT as u64),
    ("O_EXCL", libc::O_EXCL as u64),
    ("O_NOCTTY", libc::O_NOCTTY as u64),
    ("O_TRUNC", libc::O_TRUNC as u64),
    ("O_APPEND", libc::O_APPEND as u64),
    ("O_NONBLOCK", libc::O_NONBLOCK as u64),
    ("O_DIRECTORY", libc::O_DIRECTORY as u64),
    ("O_NOFOLLOW", libc::O_NOFOLLOW as u64),
    ("O_CLOEXEC", libc::O_CLOEXEC as u64),
    ("O_PATH", libc::O_PATH as u64),
    ("O_TMPFILE", libc::O_TMPFILE as u64),
    // O_TMPFILE's own bit (O_TMPFILE adds O_DIRECTORY), which the kernel
    // tests: what restrict_suid_sgid matches and `explain --bpf` names.
    ("__O_TMPFILE", (libc::O_TMPFILE & !libc::O_DIRECTORY) as u64),
    ("PROT_NONE", libc::PROT_NONE as u64),
    ("PROT_READ", libc::PROT_READ as u64),
    ("PROT_WRITE", libc::PROT_WRITE as u64),
    ("PROT_EXEC", libc::PROT_EXEC as u64),
    ("MAP_SHARED", libc::MAP_SHARED as u64),
    ("MAP_PRIVATE", libc::MAP_PRIVATE as u64),
    ("MAP_FIXED", libc::MAP_FIXED as u64),
    ("MAP_ANONYMOUS", libc::MAP_ANONYMOUS as u64),
    ("TIOCSTI", libc::TIOCSTI as u64),
    ("TIOCLINUX", libc::TIOCLINUX as u64),
    ("TIOCGWINSZ", libc::TIOCGWINSZ as u64),
    ("TIOCSWINSZ", libc::TIOCSWINSZ as u64),
    ("TIOCGPGRP", libc::TIOCGPGRP as u64),
    ("TIOCSPGRP", libc::TIOCSPGRP as u64),
    ("TIOCSCTTY", libc::TIOCSCTTY as u64),
    ("TCGETS", libc::TCGETS as u64),
    ("TCSETS", libc::TCSETS as u64),
    ("FIONREAD", libc::FIONREAD as u64),
    ("FIONBIO", libc::FIONBIO as u64),
    ("FIOCLEX", libc::FIOCLEX as u64),
    ("FIONCLEX", libc::FIONCLEX as u64),
    ("F_DUPFD", libc::F_DUPFD as u64),
    ("F_DUPFD_CLOEXEC", libc::F_DUPFD_CLOEXEC as u64),
    ("F_GETFD", libc::F_GETFD as u64),
    ("F_SETFD", libc::F_SETFD as u64),
    ("F_GETFL", libc::F_GETFL as u64),
    ("F_SETFL", libc::F_SETFL as u64),
    ("F_GETLK", libc::F_GETLK as u64),
    ("F_SETLK", libc::F_SETLK as u64),
    ("F_SETLKW", libc::F_SETLKW as u64),
    ("F_SETPIPE_SZ", libc::F_SETPIPE_SZ as u64),
    ("F_GETPIPE_SZ", libc::F_GETPIPE_SZ as u64),
    ("F_ADD_SEALS", libc::F_ADD_SEALS as u64),
    ("F_GET_SEALS", libc::F_GET_SEALS as u64),
    ("PR_SET_PDEATHSIG", libc::PR_SET_PDEATHSIG as u64),
    ("PR_GET_PDEATHSIG", libc::PR_GET_PDEATHSIG as u64),
    ("PR_SET_NAME", libc::PR_SET_NAME as u64),
    ("PR_GET_NAME", libc::PR_GET_NAME as u64),
    ("PR_SET_DUMPABLE", libc::PR_SET_DUMPABLE as u64),
    ("PR_GET_DUMPABLE", libc::PR_GET_DUMPABLE as u64),
    ("PR_SET_NO_NEW_PRIVS", libc::PR_SET_NO_NEW_PRIVS as u64),
    ("PR_GET_NO_NEW_PRIVS", libc::PR_GET_NO_NEW_PRIVS as u64),
    ("PR_SET_SECCOMP", libc::PR_SET_SECCOMP as u64),
    ("PR_CAPBSET_READ", libc::PR_CAPBSET_READ as u64),
    (
        "PR_SET_CHILD_SUBREAPER",
        libc::PR_SET_CHILD_SUBREAPER as u64,
    ),
    ("PR_SET_VMA", 0x53564d41),
    ("PER_LINUX", 0),
    ("SIGKILL", libc::SIGKILL as u64),
    ("SIGTERM", libc::SIGTERM as u64),
];

/// The value of a constant in [`CONSTANTS`] (0 for an unknown name, which
/// the unit tests rule out for every name stockade itself uses).
pub fn value_of(name: &str) -> u64 {
    CONSTANTS
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(0, |(_, v)| *v)
}

/// Parses a rule value: a number (decimal, 0x hex, 0o octal), a constant
/// name, or several joined with `|`.
pub fn parse_value(text: &str) -> Result<u64, String> {
    let mut v = 0u64;
    for part in text.split('|').map(str::trim) {
        v |= if let Some(h) = part.strip_prefix("0x") {
            u64::from_str_radix(h, 16).map_err(|_| format!("invalid number '{part}'"))?
        } else if let Some(o) = part.strip_prefix("0o") {
            u64::from_str_radix(o, 8).map_err(|_| format!("invalid number '{part}'"))?
        } else if part.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
            part.parse()
                .map_err(|_| format!("invalid number '{part}'"))?
        } else {
            match CONSTANTS.iter().find(|(n, _)| *n == part) {
                Some((_, v)) => *v,
                None => {
                    let names = CONSTANTS.iter().map(|(n, _)| *n);
                    return Err(match crate::diag::nearest_within(part, names, 3) {
                        Some((_, n)) => {
                            format!("unknown constant '{part}' (did you mean '{n}'?)")
                        }
                        None => format!("unknown constant '{part}'"),
                    });
                }
            }
        };
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse() {
        assert_eq!(parse_value("AF_UNIX").unwrap(), 1);
        assert_eq!(
            parse_value("O_WRONLY|O_CREAT").unwrap(),
            (libc::O_WRONLY | libc::O_CREAT) as u64
        );
        assert_eq!(parse_value("0x5412").unwrap(), 0x5412);
        assert_eq!(parse_value("0o755").unwrap(), 0o755);
        assert_eq!(parse_value("17").unwrap(), 17);
        assert_eq!(parse_value("TIOCSTI").unwrap(), 0x5412);
        assert!(parse_value("AF_UNX")
            .unwrap_err()
            .contains("did you mean 'AF_UNIX'"));
        assert!(parse_value("0xzz").is_err());
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = CONSTANTS.iter().map(|(n, _)| *n).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), CONSTANTS.len());
    }
}
