//! Ring records: arbitrary bytes (truncated or corrupt headers, lying lengths)
//! are rejected with an error, never a panic; a decoded record renders.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(Some(record)) = osprey::decode::decode(data) {
        let event = osprey::event::Event::from_record(0, &record);
        let _ = event.to_json();
    }
});
