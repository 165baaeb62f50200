//! Merging the layers: later layers replace scalars and extend lists.

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
    pub(super) sc_allow: Vec<&'a At<SyscallSpec>>,
    pub(super) sc_deny: Vec<&'a At<DenySpec>>,
    pub(super) fds: Option<&'a Vec<At<FdSpec>>>,
    pub(super) channel: Option<&'a At<ChannelSpec>>,
}

pub(super) fn append_ports(dst: &mut Option<Vec<u16>>, src: &Option<Vec<u16>>) {
    if let Some(ports) = src {
        dst.get_or_insert_with(Vec::new).extend(ports);
    }
}

impl<'a> Merged<'a> {
    pub(super) fn add(&mut self, p: &'a Profile) {
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
            self.sc_allow.extend(sc.allow.iter().flatten());
            self.sc_deny.extend(sc.deny.iter().flatten());
        }
    }
}
