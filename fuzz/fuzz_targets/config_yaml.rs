//! osprey.yaml: unknown keys and bad values are errors, never panics.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = serde_norway::from_str::<osprey::config::Config>(text);
    }
});
