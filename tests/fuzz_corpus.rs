//! Replays the fuzzing seed corpus and every saved regression through the
//! same entry points the cargo-fuzz targets use, on the stable toolchain.

use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut n = 0;
    for kind in ["corpus", "regressions"] {
        let dir = root.join(kind).join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            if e.file_name() == "README" {
                continue;
            }
            let data = std::fs::read(e.path()).unwrap();
            run(&data);
            n += 1;
        }
    }
    assert!(n > 0, "no inputs for {target}");
    eprintln!("{target}: replayed {n} inputs");
}

#[test]
fn profile_parse_corpus() {
    replay("profile_parse", stockade::fuzzing::profile_parse);
}

/// The compile target shares the parse target's corpus and regressions:
/// the same profiles, taken one step further.
#[test]
fn profile_compile_corpus() {
    replay("profile_parse", stockade::fuzzing::profile_compile);
}

#[test]
fn channel_message_corpus() {
    replay("channel_message", stockade::fuzzing::channel_message);
}

#[test]
fn profile_roundtrip_corpus() {
    replay("profile_roundtrip", stockade::fuzzing::profile_roundtrip);
}
