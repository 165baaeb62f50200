//! Namespaces, hostname and the payload's identity.

/// The uid/gid a root-started sandbox runs as on the host unless configured.
pub(crate) const NOBODY: u32 = 65534;

use super::host::*;
use crate::diag::ProfileError;
use crate::policy::Namespace;
use crate::policy::{Identity, Warning};
use crate::profile::model::*;
use std::collections::BTreeSet;

pub(super) const REQUIRED_NS: [Namespace; 3] = [Namespace::User, Namespace::Pid, Namespace::Mount];

pub(super) fn resolve_namespaces(
    given: Option<&At<Vec<At<Namespace>>>>,
    new_net: Option<bool>,
) -> Result<BTreeSet<Namespace>, ProfileError> {
    let mut set: BTreeSet<Namespace> = match given {
        None => [
            Namespace::User,
            Namespace::Pid,
            Namespace::Mount,
            Namespace::Net,
            Namespace::Ipc,
            Namespace::Uts,
        ]
        .into(),
        Some(list) => {
            let set: BTreeSet<Namespace> = list.value.iter().map(|n| n.value).collect();
            for req in REQUIRED_NS {
                if !set.contains(&req) {
                    return Err(ProfileError::new(
                        &list.loc,
                        format!("namespaces must include '{}'", req.name()),
                    )
                    .hint("stockade always creates user, pid and mount namespaces: its view and its init depend on them"));
                }
            }
            set
        }
    };
    match new_net {
        Some(true) => {
            set.insert(Namespace::Net);
        }
        Some(false) => {
            set.remove(&Namespace::Net);
        }
        None => {}
    }
    Ok(set)
}

pub(super) fn check_hostname(h: &At<String>) -> Result<String, ProfileError> {
    let ok = !h.value.is_empty()
        && h.value.len() <= 64
        && h.value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if ok {
        Ok(h.value.clone())
    } else {
        Err(
            ProfileError::new(&h.loc, format!("invalid hostname '{}'", h.value))
                .hint("use 1 to 64 letters, digits, '-' and '.'"),
        )
    }
}

pub(super) fn resolve_identity(
    user: Option<&At<UserSpec>>,
    host: &Host,
    warnings: &mut Vec<Warning>,
) -> Result<Identity, ProfileError> {
    let root = host.uid == 0;
    let (uid, gid, host_ids) = match user.map(|u| (&u.value, &u.loc)) {
        None if root => (NOBODY, NOBODY, None),
        None => (host.uid, host.gid, None),
        Some((UserSpec::Name(n), _)) if n == "root" => (0, 0, root.then_some((0, 0))),
        Some((UserSpec::Name(n), loc)) => {
            return Err(ProfileError::new(loc, format!("unknown user '{n}'"))
                .hint("use 'root' or {uid: N, gid: N}"))
        }
        Some((UserSpec::Ids(ids), loc)) => {
            let host_ids = match (ids.host_uid, ids.host_gid) {
                (None, None) => None,
                (u, g) if root => Some((u.unwrap_or(NOBODY), g.unwrap_or(NOBODY))),
                _ => {
                    return Err(ProfileError::new(
                        loc,
                        "host_uid/host_gid need stockade to run as root",
                    )
                    .hint("rootless, the sandbox user always maps onto the invoking user"))
                }
            };
            (ids.uid, ids.gid.unwrap_or(ids.uid), host_ids)
        }
    };
    let (host_uid, host_gid) = match host_ids {
        Some(ids) => ids,
        None if root => (NOBODY, NOBODY),
        None => (host.uid, host.gid),
    };
    if root && host_uid == 0 {
        warnings.push(Warning::HostRoot);
    }
    Ok(Identity {
        uid,
        gid,
        host_uid,
        host_gid,
        launcher_is_root: root,
    })
}
