//! HTTP API query strings (`/api/alerts?…`): errors name the parameter,
//! never panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = osprey::output::store::Query::parse(text);
    }
});
