//! The host's facts and the command line's flags as the last profile
//! layer.

use super::args::{NetMode, RunArgs};
use crate::error::Error;
use crate::profile::model::{UserIds, UserSpec};
use crate::resolve::{Host, Overrides};

pub(super) fn host() -> Result<Host, Error> {
    Host::current().map_err(|err| Error::Io {
        what: "cannot read the current directory",
        err,
    })
}

/// Command-line flags as a profile layer on top of the chosen profile.
pub(super) fn overrides(args: &RunArgs, host: &Host) -> Result<Overrides, Error> {
    let mut ov = Overrides::default();
    for (spec, writable) in args
        .ro
        .iter()
        .map(|s| (s, false))
        .chain(args.rw.iter().map(|s| (s, true)))
    {
        let (src, dest) = match spec.split_once(':') {
            Some((s, d)) => (s, Some(d)),
            None => (spec.as_str(), None),
        };
        ov.bind(src, dest, writable, &host.cwd);
    }
    for t in &args.tmpfs {
        ov.tmpfs(t);
    }
    for e in &args.env {
        let (k, v) = e
            .split_once('=')
            .ok_or_else(|| Error::Usage(format!("--env {e}: expected NAME=VALUE")))?;
        ov.set_env(k, v);
    }
    for k in &args.keep_env {
        ov.keep_env(k);
    }
    match args.user.as_deref() {
        None => {}
        Some("root") => ov.user(UserSpec::Name("root".into())),
        Some(s) => {
            let bad = || Error::Usage(format!("--user {s}: expected root or UID[:GID]"));
            let (u, g) = match s.split_once(':') {
                Some((u, g)) => (u, Some(g)),
                None => (s, None),
            };
            ov.user(UserSpec::Ids(UserIds {
                uid: u.parse().map_err(|_| bad())?,
                gid: g.map(|g| g.parse().map_err(|_| bad())).transpose()?,
                host_uid: None,
                host_gid: None,
            }));
        }
    }
    if let Some(h) = &args.hostname {
        ov.hostname(h);
    }
    if let Some(d) = &args.chdir {
        ov.cwd(d);
    }
    if let Some(m) = &args.memory {
        ov.memory(m);
    }
    if let Some(n) = args.pids {
        ov.limit(crate::resolve::Limit::Processes(n));
    }
    if let Some(c) = args.cpus {
        ov.cpus(c);
    }
    if let Some(p) = &args.cgroup_parent {
        ov.cgroup_parent = Some(p.clone());
    }
    if let Some(t) = &args.timeout {
        ov.wall_time(t);
    }
    if let Some(n) = args.net {
        ov.network(n == NetMode::None);
    }
    for spec in &args.fd {
        let (fd, target) = crate::fds::parse_spec(spec)
            .ok_or_else(|| Error::Usage(format!("--fd {spec}: expected N or N:M")))?;
        ov.pass_fd(fd, target);
    }
    if args.channel || args.channel_socket {
        ov.channel(crate::resolve::ChannelSetting::On {
            socket: args.channel_socket,
        });
    }
    Ok(ov)
}
