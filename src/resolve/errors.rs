//! Errors collected while resolving.

use crate::diag::ProfileError;

/// Errors found so far. Resolution goes on past an error wherever what
/// follows does not depend on it, so that `check` reports them all.
#[derive(Default)]
pub(super) struct Errors(Vec<ProfileError>);

impl Errors {
    /// The value, or None with the error kept.
    pub(super) fn take<T>(&mut self, r: Result<T, ProfileError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }

    pub(super) fn push(&mut self, e: ProfileError) {
        self.0.push(e);
    }

    /// How many so far.
    pub(super) fn len(&self) -> usize {
        self.0.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(super) fn into_vec(self) -> Vec<ProfileError> {
        self.0
    }
}
