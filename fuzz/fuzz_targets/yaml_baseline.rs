//! cargo-fuzz target: the YAML library alone, as a bound on
//! `profile_parse`'s rate (`benches/compare.sh` times both).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    stockade::fuzzing::yaml_baseline(data);
});
