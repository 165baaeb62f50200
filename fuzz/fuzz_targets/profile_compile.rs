//! cargo-fuzz target; the logic lives in `stockade::fuzzing::profile_compile`
//! so that `cargo test` replays the corpus (profile_parse's) and
//! regressions too.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    stockade::fuzzing::profile_compile(data);
});
