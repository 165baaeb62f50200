//! Facts about the launching host and every look at its filesystem that
//! resolution makes: the one place host state enters a policy.

use crate::policy::{under, Identity, Mount, MountOp};
use std::ffi::OsString;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Facts about the invoking process that resolution depends on. Injected so
/// that resolution is testable without touching the real environment.
#[derive(Clone, Debug)]
pub struct Host {
    /// Real uid of the launcher.
    pub uid: u32,
    /// Real gid of the launcher.
    pub gid: u32,
    /// `${HOME}`.
    pub home: Option<String>,
    /// `${CWD}`: the launcher's working directory.
    pub cwd: PathBuf,
    /// `${USER}`: `$USER`, or `None` to look the uid up in the user
    /// database when a profile names `${USER}` (most never do, and the
    /// lookup reads /etc/passwd: a tenth of a start's launcher work).
    pub user: Option<String>,
    /// `${TMPDIR}` (`/tmp` when unset).
    pub tmpdir: String,
    /// The launcher's environment, for `env.keep`.
    pub env: Vec<(OsString, OsString)>,
    /// Where bind sources and the host's links are looked up.
    pub fs: HostFs,
}

impl Host {
    /// Facts of the running process.
    pub fn current() -> std::io::Result<Host> {
        Ok(Host {
            uid: nix::unistd::getuid().as_raw(),
            gid: nix::unistd::getgid().as_raw(),
            home: std::env::var("HOME").ok(),
            cwd: std::env::current_dir()?,
            user: std::env::var("USER").ok(),
            tmpdir: std::env::var("TMPDIR").unwrap_or_else(|_| "/tmp".into()),
            env: std::env::vars_os().collect(),
            fs: HostFs::Real,
        })
    }

    /// `${USER}`: [`Host::user`], else the name the user database gives
    /// the uid, else the uid.
    pub fn user_name(&self) -> String {
        self.user.clone().unwrap_or_else(|| {
            nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(self.uid))
                .ok()
                .flatten()
                .map(|u| u.name)
                .unwrap_or_else(|| self.uid.to_string())
        })
    }
}

/// Where resolution looks at the host's files.
#[derive(Clone, Copy, Debug)]
pub enum HostFs {
    /// The real filesystem, read-only: metadata, links and `realpath`.
    Real,
    /// A fixed tree that answers without a system call, as the real one
    /// would if it held exactly these entries (the root is a directory
    /// even when not listed; relative paths start there). The fuzz
    /// targets resolve against one, so an input resolves alike on every
    /// machine and no input makes the fuzzer touch the host.
    Fixed(&'static [(&'static str, Node)]),
}

/// An entry of a [`HostFs::Fixed`] tree, at an absolute path whose parent
/// is a directory of the tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Node {
    /// A directory with these permission bits, owned by this uid (and the
    /// group of the same number).
    Dir(u32, u32),
    /// A file that is neither a directory nor a link, with its permission
    /// bits and owner as for `Dir`; every look takes it for a regular
    /// file (a device such as /dev/null is bound the same way).
    File(u32, u32),
    /// A symbolic link to this target.
    Link(&'static str),
}

/// What resolution needs to know of a host path, symlinks followed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Facts {
    pub is_dir: bool,
    pub is_file: bool,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

/// The kernel's limit on the links one lookup follows.
const MAX_LINKS: usize = 40;

/// A fixed tree's root when it does not list one.
const ROOT: Node = Node::Dir(0o755, 0);

impl HostFs {
    /// The facts of `p`, following symlinks (a bind source).
    pub(super) fn stat(&self, p: &Path) -> io::Result<Facts> {
        let facts = |is_dir, mode, uid| Facts {
            is_dir,
            is_file: !is_dir,
            mode,
            uid,
            gid: uid,
        };
        match self {
            HostFs::Real => std::fs::metadata(p).map(|m| Facts {
                is_dir: m.is_dir(),
                is_file: m.is_file(),
                mode: m.mode(),
                uid: m.uid(),
                gid: m.gid(),
            }),
            HostFs::Fixed(tree) => match walk(tree, p, true)?.1 {
                Node::Dir(mode, uid) => Ok(facts(true, mode, uid)),
                Node::File(mode, uid) => Ok(facts(false, mode, uid)),
                // A followed walk never ends on a link.
                Node::Link(_) => Err(io::Error::from_raw_os_error(libc::ELOOP)),
            },
        }
    }

    /// Whether anything, a dangling symlink included, exists at `p`.
    pub(super) fn exists_nofollow(&self, p: &Path) -> bool {
        match self {
            HostFs::Real => p.symlink_metadata().is_ok(),
            HostFs::Fixed(tree) => walk(tree, p, false).is_ok(),
        }
    }

    /// The target of the symlink at `p`, if `p` is one.
    pub(super) fn read_link(&self, p: &Path) -> Option<PathBuf> {
        match self {
            HostFs::Real => std::fs::read_link(p).ok(),
            HostFs::Fixed(tree) => match walk(tree, p, false).ok()?.1 {
                Node::Link(t) => Some(PathBuf::from(t)),
                _ => None,
            },
        }
    }

    /// `p` with every symlink resolved and no `.` or `..` left.
    pub(super) fn canonicalize(&self, p: &Path) -> io::Result<PathBuf> {
        match self {
            HostFs::Real => std::fs::canonicalize(p),
            HostFs::Fixed(tree) => walk(tree, p, true).map(|(at, _)| at),
        }
    }

    /// Whether a process of `uid`/`gid` may write `p`: with no
    /// supplementary groups, or, when `invoker`, as the launching process
    /// itself (its groups included).
    pub(super) fn writable(&self, p: &Path, uid: u32, gid: u32, invoker: bool) -> bool {
        match (self, invoker) {
            (HostFs::Real, true) => nix::unistd::access(p, nix::unistd::AccessFlags::W_OK).is_ok(),
            _ => self
                .stat(p)
                .is_ok_and(|f| mode_allows_write(f.mode, f.uid, f.gid, uid, gid)),
        }
    }
}

/// Looks `p` up in a fixed tree as the kernel's path walk does: the path
/// reached, with every link on the way followed (the last one only when
/// `follow` or when `p` ends in a slash), and what is there.
fn walk(tree: &[(&'static str, Node)], p: &Path, follow: bool) -> io::Result<(PathBuf, Node)> {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let fail = |n| Err(io::Error::from_raw_os_error(n));
    // Paths compared as bytes: `at` is always in normal form.
    let node = |at: &Path| -> Option<Node> {
        let at_bytes = at.as_os_str().as_bytes();
        let listed = tree.iter().find(|e| e.0.as_bytes() == at_bytes);
        let listed = listed.map(|e| e.1);
        listed.or_else(|| (at == Path::new("/")).then_some(ROOT))
    };
    // The names still to walk, the next one last. Split by hand: `.`
    // counts (after a link it makes the walk follow it), which
    // `Path::components` drops.
    fn push(rest: &mut Vec<OsString>, p: &Path) {
        let names = p.as_os_str().as_bytes().split(|b| *b == b'/');
        let names = names.filter(|n| !n.is_empty()).rev();
        rest.extend(names.map(|n| OsStr::from_bytes(n).to_owned()));
    }
    let bytes = p.as_os_str().as_bytes();
    if bytes.is_empty() {
        return fail(libc::ENOENT);
    }
    let slash = bytes.ends_with(b"/");
    let mut rest = Vec::new();
    push(&mut rest, p);
    let mut at = PathBuf::from("/");
    let mut here = node(&at).unwrap_or(ROOT);
    let mut links = 0;
    while let Some(name) = rest.pop() {
        if !matches!(here, Node::Dir(..)) {
            return fail(libc::ENOTDIR);
        }
        if name == "." {
            continue;
        }
        if name == ".." {
            at.pop();
            here = node(&at).unwrap_or(ROOT);
            continue;
        }
        let next = at.join(&name);
        match node(&next) {
            None => return fail(libc::ENOENT),
            Some(Node::Link(target)) if follow || slash || !rest.is_empty() => {
                links += 1;
                if links > MAX_LINKS {
                    return fail(libc::ELOOP);
                }
                if target.is_empty() {
                    return fail(libc::ENOENT);
                }
                if target.starts_with('/') {
                    at = PathBuf::from("/");
                    here = node(&at).unwrap_or(ROOT);
                }
                push(&mut rest, Path::new(target));
            }
            Some(n) => (at, here) = (next, n),
        }
    }
    if slash && !matches!(here, Node::Dir(..)) {
        return fail(libc::ENOTDIR);
    }
    Ok((at, here))
}

/// Host directories that other programs share, with their sockets (tmux,
/// ssh-agent, X11, D-Bus, systemd): a working directory may not expose
/// them by accident.
pub(super) fn shared_directories(host: &Host) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = [
        "/", "/tmp", "/var/tmp", "/dev/shm", "/run", "/var/run", "/home",
    ]
    .iter()
    .map(PathBuf::from)
    .collect();
    dirs.extend(host.home.as_ref().map(PathBuf::from));
    dirs.iter()
        .map(|d| host.fs.canonicalize(d).unwrap_or_else(|_| d.clone()))
        .collect()
}

/// A bind whose host source is itself a symlink (`/bin -> usr/bin` on a
/// merged-/usr system) becomes the same symlink in the view when its target
/// is already bound there; otherwise it binds what the link points at. This
/// keeps the view identical to the host's layout with one mount for /usr.
pub(super) fn canonicalize_binds(mounts: &mut [Mount], fs: HostFs) {
    // Each source resolved once (a readlink per component).
    let canonical: Vec<Option<PathBuf>> = mounts
        .iter()
        .map(|m| match &m.op {
            MountOp::Bind { src, .. } => fs.canonicalize(src).ok(),
            _ => None,
        })
        .collect();
    let identity_binds: Vec<(&Path, bool)> = mounts
        .iter()
        .zip(&canonical)
        .filter_map(|(m, canon)| match (&m.op, canon) {
            (
                MountOp::Bind {
                    src,
                    dest,
                    writable,
                    ..
                },
                Some(canon),
            ) if src == dest => Some((canon.as_path(), *writable)),
            _ => None,
        })
        .collect();
    for (m, canon) in mounts.iter_mut().zip(&canonical) {
        let MountOp::Bind {
            src,
            dest,
            writable,
            is_dir,
        } = &m.op
        else {
            continue;
        };
        let Some(canon) = canon else {
            continue;
        };
        if canon == src {
            continue;
        }
        let link = fs.read_link(src);
        let covered = src == dest
            && identity_binds
                .iter()
                .any(|(b, w)| b != src && under(canon, b) && w == writable);
        m.op = match link {
            Some(target) if covered => MountOp::Symlink {
                dest: dest.clone(),
                target,
            },
            _ => MountOp::Bind {
                src: canon.clone(),
                dest: dest.clone(),
                writable: *writable,
                is_dir: *is_dir,
            },
        };
    }
}

/// Would the sandbox user be able to write `path` on the host? Rootless
/// it is the invoking user, groups included.
pub(super) fn sandbox_can_write(path: &Path, id: &Identity, fs: HostFs) -> bool {
    fs.writable(path, id.host_uid, id.host_gid, !id.launcher_is_root)
}

/// The write permission check of a file's mode bits for a process with no
/// supplementary groups and no capabilities on the host (uid 0 aside).
pub fn mode_allows_write(mode: u32, owner: u32, group: u32, uid: u32, gid: u32) -> bool {
    if uid == 0 {
        return true;
    }
    let bit = if uid == owner {
        0o200
    } else if gid == group {
        0o020
    } else {
        0o002
    };
    mode & bit != 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;

    /// The fuzzing host's tree built on the real filesystem: every look
    /// resolution makes (metadata, links, realpath, existence) must give
    /// the kernel's answer for paths through links, dangling and looping
    /// ones, `..`, trailing slashes and files used as directories.
    #[test]
    fn a_fixed_tree_answers_as_the_kernel_does_for_the_same_tree() {
        let tree = crate::fuzzing::HOST_TREE;
        let base = std::env::temp_dir().join(format!("stockade-tree-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir(&base).unwrap();
        let real = |p: &str| base.join(p.trim_start_matches('/'));
        for (p, n) in tree {
            match n {
                Node::Dir(..) => std::fs::create_dir_all(real(p)).unwrap(),
                Node::File(..) => std::fs::write(real(p), b"").unwrap(),
                Node::Link(t) => {
                    assert!(!t.starts_with('/'), "{p}: links of the tree are relative");
                    std::os::unix::fs::symlink(t, real(p)).unwrap()
                }
            }
        }
        // Probes: every entry, and each with a suffix that walks on.
        let mut probes: Vec<String> = vec!["/".into(), "/nope".into(), "/nope/".into()];
        for (p, _) in tree {
            for suffix in ["", "/", "/x", "/.", "/..", "/../..", "/./sh", "/../bin/sh"] {
                probes.push(format!("{p}{suffix}"));
            }
        }
        probes.push("/home/fuzz/bin/main.c".into());
        probes.push("/var/run/user/1000/".into());
        probes.push("/lib64/../lib/x86_64-linux-gnu/libc.so.6/".into());
        // Never above the root: the copy's root has a parent.
        let stays_in = |p: &str| {
            p.split('/')
                .try_fold(0i32, |depth, c| match c {
                    "" | "." => Some(depth),
                    ".." if depth == 0 => None,
                    ".." => Some(depth - 1),
                    _ => Some(depth + 1),
                })
                .is_some()
        };
        let fixed = HostFs::Fixed(tree);
        let kernel = HostFs::Real;
        let errno = |e: &io::Error| e.raw_os_error();
        let mut checked = 0;
        for probe in probes.iter().filter(|p| stays_in(p)) {
            let on_host = PathBuf::from(std::ffi::OsStr::from_bytes(
                &[base.as_os_str().as_bytes(), probe.as_bytes()].concat(),
            ));
            let path = Path::new(probe);
            let want = match kernel.canonicalize(&on_host) {
                // Through a link, above the copy's root, which has a parent.
                Ok(c) if !c.starts_with(&base) => continue,
                Ok(c) => Ok(Path::new("/").join(c.strip_prefix(&base).unwrap())),
                Err(e) => Err(e),
            };
            let got = fixed.canonicalize(path);
            match (&want, &got) {
                (Ok(w), Ok(g)) => assert_eq!(w, g, "realpath {probe}"),
                (Err(w), Err(g)) => assert_eq!(errno(w), errno(g), "realpath {probe}"),
                _ => panic!("realpath {probe}: kernel {want:?}, tree {got:?}"),
            }
            let kinds =
                |f: io::Result<Facts>| f.map(|f| (f.is_dir, f.is_file)).map_err(|e| errno(&e));
            assert_eq!(
                kinds(kernel.stat(&on_host)),
                kinds(fixed.stat(path)),
                "stat {probe}"
            );
            assert_eq!(
                kernel.exists_nofollow(&on_host),
                fixed.exists_nofollow(path),
                "lstat {probe}"
            );
            assert_eq!(
                kernel.read_link(&on_host),
                fixed.read_link(path),
                "readlink {probe}"
            );
            checked += 1;
        }
        std::fs::remove_dir_all(&base).unwrap();
        assert!(checked > 300, "{checked} probes");
        // The permission bits and owners are the tree's.
        let home = fixed.stat(Path::new("/home/fuzz/bin/.")).unwrap();
        assert_eq!((home.mode, home.uid), (0o755, 1000));
        assert!(fixed.writable(Path::new("/home/fuzz/src"), 1000, 1000, false));
        assert!(!fixed.writable(Path::new("/usr"), 1000, 1000, true));
    }
}
