//! Conditions and output formats: parse errors, never panics.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = osprey::rules::condition::parse(text);
        let _ = osprey::rules::output::OutputFormat::parse(text, osprey::rules::fields::Source::Syscall);
    }
});
