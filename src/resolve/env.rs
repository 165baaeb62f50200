//! The `env` section → the payload's complete environment.

use super::host::*;
use super::merge::*;
use super::values::*;
use crate::diag::ProfileError;
use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};

pub(super) fn valid_env_name(n: &str) -> bool {
    !n.is_empty() && !n.contains('=') && !n.contains('\0')
}

pub(super) fn resolve_env(
    m: &Merged<'_>,
    host: &Host,
) -> Result<Vec<(OsString, OsString)>, ProfileError> {
    let mut env: BTreeMap<OsString, OsString> = BTreeMap::new();
    for k in &m.keep {
        if !valid_env_name(&k.value) {
            return Err(ProfileError::new(
                &k.loc,
                format!("invalid variable name '{}'", k.value),
            ));
        }
        for (n, v) in &host.env {
            let matches = n == OsStr::new(&k.value)
                || n.to_str().is_some_and(|n| crate::fds::glob(&k.value, n));
            if matches {
                env.insert(n.clone(), v.clone());
            }
        }
    }
    for (k, v) in &m.set {
        if !valid_env_name(k) {
            return Err(ProfileError::new(
                &v.loc,
                format!("invalid variable name '{k}'"),
            ));
        }
        let value = expand(&v.value, &v.loc, host)?;
        if value.contains('\0') {
            return Err(ProfileError::new(
                &v.loc,
                format!("{k} contains a NUL byte"),
            ));
        }
        env.insert((*k).into(), value.into());
    }
    Ok(env.into_iter().collect())
}
