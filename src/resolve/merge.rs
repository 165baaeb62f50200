//! Merging the layers: later layers replace scalars and extend lists.

use crate::diag::ProfileError;
use crate::landlock::Compat;
use crate::policy::Namespace;
use crate::profile::model::{
    At, ChannelSpec, DenySpec, FdSpec, FsEntry, LandlockRuleSpec, Limits, Profile, SyscallSpec,
    UserSpec,
};
use std::collections::BTreeMap;

/// Everything the layers say, after merging.
#[derive(Default)]
pub(super) struct Merged<'a> {
    pub(super) namespaces: Option<&'a At<Vec<At<Namespace>>>>,
    pub(super) hostname: Option<&'a At<String>>,
    pub(super) user: Option<&'a At<UserSpec>>,
    pub(super) cwd: Option<&'a At<String>>,
    pub(super) fs: Vec<&'a At<FsEntry>>,
    pub(super) keep: Vec<&'a At<String>>,
    pub(super) set: BTreeMap<&'a str, &'a At<String>>,
    pub(super) limits: Limits,
    pub(super) ll_read: Vec<&'a At<String>>,
    pub(super) ll_write: Vec<&'a At<String>>,
    pub(super) ll_execute: Vec<&'a At<String>>,
    pub(super) ll_rules: Vec<&'a At<LandlockRuleSpec>>,
    pub(super) ll_bind: Option<Vec<u16>>,
    pub(super) ll_connect: Option<Vec<u16>>,
    pub(super) ll_scopes: Option<&'a At<Vec<At<String>>>>,
    pub(super) ll_compat: Option<&'a At<Compat>>,
    pub(super) grants: &'a [At<(String, bool)>],
    pub(super) sc_present: bool,
    pub(super) sc_default: Option<&'a At<String>>,
    pub(super) sc_restrict_suid: Option<&'a At<bool>>,
    /// Allow and deny entries with the index of the layer that wrote them.
    pub(super) sc_allow: Vec<(usize, &'a At<SyscallSpec>)>,
    pub(super) sc_deny: Vec<(usize, &'a At<DenySpec>)>,
    /// `remove.seccomp` names with their layer: they take away entries of
    /// earlier layers only (applied once groups are expanded).
    pub(super) sc_removed: Vec<(usize, &'a At<String>)>,
    /// The layers that last set `hostname` and `namespaces`.
    pub(super) hostname_layer: usize,
    pub(super) namespaces_layer: usize,
    /// Layers added so far.
    pub(super) layers: usize,
    /// A `remove` entry that matched nothing inherited.
    pub(super) errors: Vec<ProfileError>,
    pub(super) fds: Option<&'a Vec<At<FdSpec>>>,
    pub(super) channel: Option<&'a At<ChannelSpec>>,
}

pub(super) fn append_ports(dst: &mut Option<Vec<u16>>, src: &Option<Vec<u16>>) {
    if let Some(ports) = src {
        dst.get_or_insert_with(Vec::new).extend(ports);
    }
}

/// `/tmp/` and `/tmp` name the same destination.
fn same_path(a: &str, b: &str) -> bool {
    let trim = |s: &str| {
        let t = s.trim();
        if t.len() > 1 {
            t.trim_end_matches('/').to_string()
        } else {
            t.to_string()
        }
    };
    trim(a) == trim(b)
}

impl<'a> Merged<'a> {
    /// Applies `p.remove` to what the earlier layers declared.
    fn remove(&mut self, p: &'a Profile) {
        let Some(r) = &p.remove else {
            return;
        };
        let mut missing = |what: &str, x: &At<String>, found: bool| {
            if !found {
                self.errors.push(
                    ProfileError::new(
                        &x.loc,
                        format!("remove.{what}: {} matches nothing inherited", x.value),
                    )
                    .hint(
                        "`remove` takes away what the profiles this one extends declare; \
                         `stockade explain` shows them",
                    ),
                );
            }
        };
        if r.hostname.as_ref().is_some_and(|h| h.value) {
            self.hostname = None;
        }
        for x in r.filesystem.iter().flatten() {
            let before = self.fs.len();
            self.fs.retain(|e| {
                !e.value
                    .destination()
                    .is_some_and(|d| same_path(d, &x.value))
            });
            missing("filesystem", x, self.fs.len() < before);
        }
        for x in r.env.iter().flatten() {
            let hit = |name: &str| name == x.value || crate::fds::glob(&x.value, name);
            let before = self.set.len() + self.keep.len();
            self.set.retain(|name, _| !hit(name));
            self.keep.retain(|k| !hit(&k.value) && k.value != x.value);
            missing("env", x, self.set.len() + self.keep.len() < before);
        }
        for x in r.landlock.iter().flatten() {
            let before = self.ll_read.len()
                + self.ll_write.len()
                + self.ll_execute.len()
                + self.ll_rules.len();
            for list in [&mut self.ll_read, &mut self.ll_write, &mut self.ll_execute] {
                list.retain(|p| !same_path(&p.value, &x.value));
            }
            self.ll_rules
                .retain(|r| !same_path(&r.value.path, &x.value));
            let after = self.ll_read.len()
                + self.ll_write.len()
                + self.ll_execute.len()
                + self.ll_rules.len();
            missing("landlock", x, after < before);
        }
        let layer = self.layers;
        self.sc_removed
            .extend(r.seccomp.iter().flatten().map(|x| (layer, x)));
    }

    pub(super) fn add(&mut self, p: &'a Profile) {
        self.layers += 1;
        self.remove(p);
        if p.namespaces.is_some() {
            self.namespaces_layer = self.layers;
        }
        if p.hostname.is_some() {
            self.hostname_layer = self.layers;
        }
        self.namespaces = p.namespaces.as_ref().or(self.namespaces);
        self.hostname = p.hostname.as_ref().or(self.hostname);
        self.user = p.user.as_ref().or(self.user);
        self.cwd = p.cwd.as_ref().or(self.cwd);
        self.fs.extend(p.filesystem.iter().flatten());
        if let Some(env) = &p.env {
            // A later layer wins: what it keeps from the host replaces what
            // an earlier layer set (`--keep-env PATH` over the profile's
            // PATH); within one layer `set` wins.
            for k in env.keep.iter().flatten() {
                self.set
                    .retain(|name, _| **name != k.value && !crate::fds::glob(&k.value, name));
            }
            self.keep.extend(env.keep.iter().flatten());
            for (k, v) in env.set.iter().flatten() {
                self.set.insert(k, v);
            }
        }
        if let Some(l) = &p.limits {
            self.limits.merge(l);
        }
        if let Some(l) = &p.landlock {
            self.ll_read.extend(l.read.iter().flatten());
            self.ll_write.extend(l.write.iter().flatten());
            self.ll_execute.extend(l.execute.iter().flatten());
            self.ll_rules.extend(l.rules.iter().flatten());
            if let Some(net) = &l.net {
                append_ports(&mut self.ll_bind, &net.bind);
                append_ports(&mut self.ll_connect, &net.connect);
            }
            self.ll_scopes = l.scopes.as_ref().or(self.ll_scopes);
            self.ll_compat = l.compatibility.as_ref().or(self.ll_compat);
        }
        self.fds = p.fds.as_ref().or(self.fds);
        self.channel = p.channel.as_ref().or(self.channel);
        if let Some(sc) = &p.seccomp {
            self.sc_present = true;
            self.sc_default = sc.default_action.as_ref().or(self.sc_default);
            self.sc_restrict_suid = sc.restrict_suid_sgid.as_ref().or(self.sc_restrict_suid);
            let layer = self.layers;
            self.sc_allow
                .extend(sc.allow.iter().flatten().map(|a| (layer, a)));
            self.sc_deny
                .extend(sc.deny.iter().flatten().map(|d| (layer, d)));
        }
    }
}
