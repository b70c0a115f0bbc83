//! Kubernetes audit bodies (webhook or log line): parsed events go through
//! Osprey's audit rules; bad input is an error, never a panic.
#![no_main]

use std::sync::OnceLock;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    static ENGINE: OnceLock<std::sync::Mutex<osprey::pipeline::AuditPipeline>> = OnceLock::new();
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(parsed) = osprey::audit::parse(text) else { return };
    let pipeline = ENGINE.get_or_init(|| {
        let opts = osprey::commands::engine_setup::RuleOptions::default();
        let engine = osprey::commands::engine_setup::build_engine(&opts, None, osprey::rules::fields::Source::K8sAudit)
            .expect("default rules load");
        std::sync::Mutex::new(osprey::pipeline::AuditPipeline::new(engine, "fuzz".into()))
    });
    let mut pipeline = pipeline.lock().unwrap();
    for ev in &parsed.events {
        pipeline.process(ev, |_| {});
    }
});
