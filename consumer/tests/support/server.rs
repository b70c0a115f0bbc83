//! A server process for a test, killed when the test ends, even when it
//! fails: left running, it would hold the test harness's output open.

use std::path::Path;
use std::process::{Child, Command, Stdio};

pub struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `program` (installed by scripts/test.sh) with its output discarded.
pub fn spawn(program: &str, args: &[&str]) -> Server {
    assert!(Path::new(program).exists() || program == "python3", "{program} missing: scripts/test.sh installs it");
    Server(Command::new(program).args(args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap())
}
