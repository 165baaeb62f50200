//! Snapshots of the built-in profiles: each profile's model as JSON,
//! written by a unit test from the YAML, so a run loads its built-in
//! profile without parsing YAML (a tenth of the time; see
//! `benches/README.md`).
//!
//! A snapshot is `src/profile/snapshots/NAME.json`: a first line with the
//! hash of the YAML it was made from, then the model, every located value
//! as `[line, column, value]` so errors and `explain` still point into the
//! YAML. A snapshot whose hash does not match its YAML (an edited profile)
//! is ignored and the YAML parsed, so an edit takes effect at once; the
//! unit test below fails until `STOCKADE_WRITE_SNAPSHOTS=1 cargo test
//! --lib snapshot` has rewritten it. A new built-in starts with an empty
//! snapshot file.

use super::builtin::{content_hash, Builtin, BUILTINS};
use super::model::{self, Profile};
use std::sync::Arc;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/profile/snapshots");

/// Drops the members a snapshot need not spell out: absent optional
/// fields (serde reads a missing `Option` as `None`).
fn strip_nulls(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            m.retain(|_, x| !x.is_null());
            m.values_mut().for_each(strip_nulls);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

fn parsed(b: &Builtin) -> Profile {
    let origin = Arc::from(format!("built-in profile '{}'", b.name).as_str());
    model::parse_with_origin(b.yaml, &origin).unwrap()
}

fn generated(b: &Builtin) -> String {
    let profile = parsed(b);
    let mut json = serde_json::to_value(&profile).unwrap();
    strip_nulls(&mut json);
    format!("{:016x}\n{json}\n", content_hash(b.yaml.as_bytes()))
}

#[test]
fn every_snapshot_is_made_from_its_profile() {
    let write = std::env::var("STOCKADE_WRITE_SNAPSHOTS").as_deref() == Ok("1");
    for b in BUILTINS {
        let want = generated(b);
        if write {
            std::fs::write(format!("{DIR}/{}.json", b.name), &want).unwrap();
        } else {
            assert!(
                b.snapshot == want,
                "src/profile/snapshots/{}.json is stale: run \
                 STOCKADE_WRITE_SNAPSHOTS=1 cargo test --lib snapshot",
                b.name
            );
            assert!(b.snapshot().is_some());
        }
    }
}

#[test]
fn a_snapshot_loads_as_the_yaml_parses() {
    for b in BUILTINS {
        let origin = format!("built-in profile '{}'", b.name);
        let from_yaml = parsed(b);
        let json = generated(b);
        let json = json.split_once('\n').unwrap().1;
        let from_snapshot = model::parse_snapshot(json, &Arc::from(origin.as_str())).unwrap();
        // Every value, and every location errors and `explain` quote.
        assert_eq!(
            format!("{from_snapshot:?}"),
            format!("{from_yaml:?}"),
            "{}",
            b.name
        );
    }
}

#[test]
fn an_edited_profile_is_parsed_not_snapshotted() {
    let b = BUILTINS[0];
    let edited = Builtin {
        yaml_hash: content_hash(b"version: 1\n"),
        ..b
    };
    assert!(b.snapshot().is_some());
    assert!(edited.snapshot().is_none());
    let empty = Builtin { snapshot: "", ..b };
    assert!(empty.snapshot().is_none());
}
