//! Rule files: any text loads into diagnostics (or rules), never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let mut set = osprey::rules::loader::RuleSet::default();
        set.load_str("fuzz.yaml", text);
        let _ = osprey::rules::compile::compile(&mut set);
    }
});
