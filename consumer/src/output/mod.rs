//! Outputs: where alerts go. Each destination implements `Output`; the
//! `Outputs` fan-out hands every alert to all of them.

use std::io::Write;
use std::sync::Mutex;

use crate::rules::engine::Alert;

/// One alert destination.
pub trait Output: Send + Sync {
    fn emit(&self, alert: &Alert);
    /// Called before exit: push out anything buffered.
    fn flush(&self) {}
}

/// Falco's stdout output: JSON lines or the text `output`.
pub struct Stdout {
    json: bool,
    out: Mutex<std::io::BufWriter<std::io::Stdout>>,
}

impl Stdout {
    pub fn new(json: bool) -> Self {
        Self { json, out: Mutex::new(std::io::BufWriter::new(std::io::stdout())) }
    }
}

impl Output for Stdout {
    fn emit(&self, alert: &Alert) {
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        let _ = if self.json {
            serde_json::to_writer(&mut *out, alert).map_err(std::io::Error::from).and_then(|_| out.write_all(b"\n"))
        } else {
            writeln!(out, "{}", alert.output)
        };
        // Alerts are rare and wanted at once.
        let _ = out.flush();
    }

    fn flush(&self) {
        let _ = self.out.lock().unwrap_or_else(|e| e.into_inner()).flush();
    }
}

/// Every configured output.
#[derive(Default)]
pub struct Outputs {
    outputs: Vec<Box<dyn Output>>,
}

impl Outputs {
    pub fn new(outputs: Vec<Box<dyn Output>>) -> Self {
        Self { outputs }
    }

    pub fn emit(&self, alert: &Alert) {
        for o in &self.outputs {
            o.emit(alert);
        }
    }

    pub fn flush(&self) {
        for o in &self.outputs {
            o.flush();
        }
    }
}
