//! `profiles/schema.json`, the JSON Schema of the profile format, is
//! generated from the model types (their doc comments become its
//! descriptions): these tests keep the committed file current and check
//! every shipped profile against it. `STOCKADE_WRITE_SCHEMA=1 cargo test
//! --lib schema` rewrites it.

use super::model::Profile;
use serde_json::Value;

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/profiles/schema.json");

fn generated() -> Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(Profile)).unwrap();
    schema["title"] = "stockade profile (format version 1)".into();
    schema
}

fn committed() -> Value {
    serde_json::from_str(&std::fs::read_to_string(PATH).unwrap()).unwrap()
}

fn yaml(text: &str) -> Value {
    serde_saphyr::from_str(text).unwrap()
}

#[test]
fn the_committed_schema_is_generated_from_the_types() {
    let schema = generated();
    if std::env::var("STOCKADE_WRITE_SCHEMA").as_deref() == Ok("1") {
        let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
        std::fs::write(PATH, text).unwrap();
    }
    assert!(
        committed() == schema,
        "profiles/schema.json is stale: run STOCKADE_WRITE_SCHEMA=1 cargo test --lib schema"
    );
}

#[test]
fn every_shipped_profile_validates_and_mistakes_do_not() {
    let validator = jsonschema::validator_for(&committed()).unwrap();
    for b in super::builtin::BUILTINS {
        let v = yaml(b.yaml);
        let errors: Vec<String> = validator.iter_errors(&v).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", b.name);
    }
    // Mistakes an editor should underline as they are typed.
    for bad in [
        "description: no version\n",
        "version: 2\n",
        "version: 1\nfilesytem: []\n",
        "version: 1\nfilesystem:\n  - {bind: /usr, sise: 1}\n",
        "version: 1\nnamespaces: [user, pid, mount, nett]\n",
        "version: 1\nlandlock:\n  compatibility: sometimes\n",
        "version: 1\nlimits:\n  processes: many\n",
        "version: 1\nseccomp:\n  allow: [{syscall: socket, args: [{arg: 0, value: 1}]}]\n",
    ] {
        assert!(!validator.is_valid(&yaml(bad)), "{bad}");
    }
}
