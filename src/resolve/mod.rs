//! Profile layers → Policy: merge the `extends` layers and the last layer
//! of command-line or builder settings, expand variables, fill in
//! defaults, check cross-field rules. One file per section; the host is
//! consulted only through `host`.
//!
//! Merge rules: scalars (`hostname`, `cwd`, `user`, `limits.*`) and the
//! `namespaces` list are replaced by the later layer; `filesystem` operations
//! are appended after the parent's; `env.keep` is a union and `env.set` is
//! merged key by key, the later layer winning. A layer's `remove` takes
//! away what earlier layers declared before its own entries are added; a
//! layer that leaves out `uts` drops an inherited hostname.

mod env;
mod errors;
mod filesystem;
mod host;
mod identity;
mod landlock;
mod limits;
mod merge;
mod overrides;
mod seccomp;
mod values;

use env::*;
use errors::Errors;
use filesystem::*;
use host::*;
pub(crate) use host::{Host, HostFs, Node};
use identity::*;
use landlock::*;
use limits::*;
use merge::Merged;
pub use overrides::Limit;
pub(crate) use overrides::{ChannelSetting, Overrides};
use seccomp::*;
use values::*;

use crate::diag::{Loc, ProfileError};
use crate::policy::{in_view, Namespace};
use crate::policy::{Mount, MountOp, Policy, Warning};
use crate::profile::model::{ChannelSpec, FdSpec};
use crate::profile::Layer;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

const DEFAULT_HOSTNAME: &str = "sandbox";

/// Resolves profile layers (root ancestor first) plus overrides into a
/// policy, or reports the first error.
pub(crate) fn resolve(
    layers: &[Layer],
    ov: &Overrides,
    host: &Host,
) -> Result<Policy, ProfileError> {
    resolve_all(layers, ov, host).map_err(|mut all| all.swap_remove(0))
}

/// Like [`resolve`], but with every error found, in the order resolution
/// met them (never an empty list).
pub(crate) fn resolve_all(
    layers: &[Layer],
    ov: &Overrides,
    host: &Host,
) -> Result<Policy, Vec<ProfileError>> {
    let mut errs = Errors::default();
    match resolve_into(layers, ov, host, &mut errs) {
        Some(p) if errs.is_empty() => Ok(p),
        _ if errs.is_empty() => unreachable!("resolution failed without an error"),
        _ => Err(errs.into_vec()),
    }
}

fn resolve_into(
    layers: &[Layer],
    ov: &Overrides,
    host: &Host,
    errs: &mut Errors,
) -> Option<Policy> {
    let mut m = Merged::default();
    for l in layers {
        m.add(&l.profile);
    }
    m.add(&ov.profile);
    for e in &m.errors {
        errs.push(e.clone());
    }

    let namespaces = errs
        .take(resolve_namespaces(m.namespaces, ov.new_net))
        .unwrap_or_else(|| {
            use Namespace::*;
            [User, Pid, Mount, Net, Ipc, Uts].into_iter().collect()
        });
    let hostname = match (namespaces.contains(&Namespace::Uts), m.hostname) {
        (true, None) => Some(DEFAULT_HOSTNAME.to_string()),
        (true, Some(h)) => errs.take(check_hostname(h)),
        // A later layer left out uts: an inherited hostname goes with it.
        (false, Some(_)) if m.hostname_layer < m.namespaces_layer => None,
        (false, Some(h)) => {
            errs.push(
                ProfileError::new(&h.loc, "hostname requires the uts namespace")
                    .hint("add 'uts' to namespaces, or remove hostname"),
            );
            None
        }
        (false, None) => None,
    };
    let mut warnings = Vec::new();
    let identity = errs.take(resolve_identity(m.user, host, &mut warnings));
    let mut mounts = Vec::new();
    let mut workdir_binds = Vec::new();
    let mut absent = Vec::new();
    for e in &m.fs {
        let workdir = is_workdir_bind(e);
        // The working directory "/" would be the whole host: never bound.
        if workdir && host.cwd == Path::new("/") {
            warnings.push(workdir_warning(&host.cwd, SHARED_WHY));
            continue;
        }
        match errs.take(fs_op(e, host)) {
            Some(FsOp::Mount(op)) => {
                if workdir {
                    workdir_binds.push(mounts.len());
                }
                mounts.push(Mount {
                    op,
                    loc: e.loc.clone(),
                });
            }
            Some(FsOp::Absent(dest)) => absent.push(dest),
            None => {}
        }
    }
    canonicalize_binds(&mut mounts, host.fs);
    keep_shared_directories_private(&mut mounts, &workdir_binds, host, &mut warnings);
    errs.take(check_creations(&mounts, host.fs));
    drop_superseded(&mut mounts);
    let mut grants = ov.landlock_grants.clone();
    if !namespaces.contains(&Namespace::Net) {
        if let Some(resolver) = resolver_target(&mounts, host.fs) {
            grants.push(crate::profile::model::At {
                value: (resolver.op.dest().to_string_lossy().into_owned(), false),
                loc: resolver.loc.clone(),
            });
            mounts.push(resolver);
        }
    }
    m.grants = &grants;
    let cwd = match m.cwd {
        None => PathBuf::from("/"),
        Some(c) => {
            let p = expand(&c.value, &c.loc, host).and_then(|v| view_path(&v, &c.loc, "cwd"));
            match errs.take(p) {
                Some(p) if !in_view(&p, &mounts) => {
                    errs.push(
                        ProfileError::new(
                            &c.loc,
                            format!("cwd {} is not part of the sandbox's view", p.display()),
                        )
                        .hint("bind or create that directory, or choose another with --chdir"),
                    );
                    p
                }
                Some(p) => p,
                None => PathBuf::from("/"),
            }
        }
    };
    let env = errs.take(resolve_env(&m, host)).unwrap_or_default();
    let wall_time = m
        .limits
        .wall_time
        .as_ref()
        .and_then(|w| errs.take(duration(w, "wall_time")));
    let rlimits = errs.take(resolve_rlimits(&m.limits)).unwrap_or_default();
    let cgroup = errs
        .take(resolve_cgroup(
            &m.limits,
            &rlimits,
            ov.cgroup_parent.clone(),
        ))
        .unwrap_or_default();
    let landlock = resolve_landlock(&m, &mounts, &absent, host, errs);
    let seccomp = resolve_seccomp(&m, &mut warnings, errs);
    let mut fds = Vec::new();
    match m.fds {
        None => fds.extend([(0, 0), (1, 1), (2, 2)]),
        Some(list) => {
            for f in list {
                let pair = match &f.value {
                    FdSpec::Same(n) => Some((*n, *n)),
                    FdSpec::Map(s) => crate::fds::parse_spec(s),
                };
                match pair {
                    Some((a, b)) if a >= 0 && b >= 0 => fds.push((a, b)),
                    _ => errs.push(ProfileError::new(
                        &f.loc,
                        "invalid fd: use N or \"HOST:SANDBOX\"",
                    )),
                }
            }
        }
    }
    let channel = match m.channel.map(|c| &c.value) {
        None | Some(ChannelSpec::On(false)) => None,
        Some(ChannelSpec::On(true)) => Some(crate::policy::ChannelLimits::default()),
        Some(ChannelSpec::Limits(l)) => {
            let d = crate::policy::ChannelLimits::default();
            let loc = &m.channel.map(|c| c.loc.clone()).unwrap_or_else(Loc::cli);
            let max_message = match &l.max_message {
                Some(s) => errs
                    .take(parse_size(s, loc))
                    .map_or(d.max_message, |v| v as usize),
                None => d.max_message,
            };
            Some(crate::policy::ChannelLimits {
                max_message,
                max_fds: l.max_fds.map_or(d.max_fds, |n| n as usize),
                socket: l.socket.unwrap_or(false),
            })
        }
    };
    let identity = identity?;
    for m in &mounts {
        if let MountOp::Bind {
            src,
            writable: true,
            ..
        } = &m.op
        {
            if !sandbox_can_write(src, &identity, host.fs) {
                warnings.push(Warning::BindNotWritable {
                    path: src.clone(),
                    host_uid: identity.host_uid,
                });
            }
        }
    }
    if let (Some(sc), false) = (&seccomp, namespaces.contains(&Namespace::Net)) {
        let inet = [libc::AF_INET as u64, libc::SOCK_STREAM as u64, 0, 0, 0, 0];
        let answer = match sc.answer("socket", &inet) {
            crate::seccomp::Answer::Allow => None,
            crate::seccomp::Answer::Errno(e) => {
                Some(format!("{:?}", nix::errno::Errno::from_raw(e as i32)))
            }
            crate::seccomp::Answer::Default(crate::seccomp::Action::Log) => None,
            crate::seccomp::Answer::Default(a) => Some(a.name()),
        };
        if let Some(answer) = answer {
            warnings.push(Warning::NetworkRefused { answer });
        }
    }
    let policy = Policy {
        namespaces,
        hostname,
        identity,
        cwd,
        mounts,
        env,
        wall_time,
        rlimits,
        cgroup,
        landlock,
        seccomp,
        fds,
        channel,
        warnings,
    };
    errs.take(finish(policy, &ov.launch))
}

/// Applies a launch's additions (passed descriptors, literal environment
/// variables, the channel and the variables that describe it) to a
/// resolved policy, checking each as a profile entry is checked. The same
/// for a policy resolved here and for one a host built itself; applying
/// it twice changes nothing more.
pub(crate) fn finish(
    mut policy: Policy,
    launch: &overrides::Launch,
) -> Result<Policy, ProfileError> {
    for f in &launch.fds {
        let (src, dst) = f.value;
        if src < 0 || dst < 0 {
            return Err(ProfileError::new(
                &f.loc,
                format!("invalid fd {src}:{dst}: descriptor numbers are not negative"),
            ));
        }
        policy.fds.retain(|p| p.1 != dst);
        policy.fds.push((src, dst));
    }
    let mut set = |name: &OsStr, value: OsString| {
        policy.env.retain(|(n, _)| n != name);
        policy.env.push((name.to_owned(), value));
    };
    for e in &launch.env {
        let (name, value) = &e.value;
        if !name.to_str().is_some_and(valid_env_name) {
            return Err(ProfileError::new(
                &e.loc,
                format!("invalid environment variable name {name:?}"),
            ));
        }
        set(name, value.clone());
    }
    match launch.channel {
        None => {}
        Some(ChannelSetting::Limits(l)) => policy.channel = Some(l),
        Some(ChannelSetting::On { socket }) => {
            let c = policy.channel.get_or_insert_with(Default::default);
            c.socket |= socket;
        }
    }
    if let (Some(limits), Some(fd)) = (policy.channel, policy.channel_fd()) {
        let mut vars = vec![
            (crate::policy::ENV_FD, fd.to_string()),
            (
                crate::policy::ENV_MAX_MESSAGE,
                limits.max_message.to_string(),
            ),
            (crate::policy::ENV_MAX_FDS, limits.max_fds.to_string()),
        ];
        if limits.socket {
            let path = crate::policy::socket_path_in_view();
            vars.push((crate::policy::ENV_SOCKET, path.display().to_string()));
        }
        let mut set = |name: &str, value: String| {
            policy.env.retain(|(n, _)| n != name);
            policy.env.push((name.into(), value.into()));
        };
        for (k, v) in vars {
            set(k, v);
        }
    }
    Ok(policy)
}

#[cfg(test)]
mod tests;
