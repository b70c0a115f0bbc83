//! `osprey alert test`: a sample alert through the configured outputs, as
//! Falcosidekick's `/test` endpoint does, to check each destination end to end.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::{bail, Result};
use clap::{Args, Subcommand};

use crate::config::Config;
use crate::metrics::METRICS;
use crate::output::store::AlertStore;
use crate::rules::engine::Alert;
use crate::rules::loader::Priority;

#[derive(Subcommand)]
pub enum AlertCommand {
    /// Send one sample alert to every configured output (or one of them).
    Test(TestArgs),
}

#[derive(Args)]
pub struct TestArgs {
    /// The configuration naming the outputs.
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// Only the output (or router destination) with this name.
    #[arg(long)]
    pub output: Option<String>,
}

pub fn run(cmd: AlertCommand) -> Result<()> {
    let AlertCommand::Test(args) = cmd;
    let config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    let hostname = crate::state::hostname();
    let store = Arc::new(AlertStore::new(1));
    let mut outputs = crate::output::from_config(&config, &hostname, Arc::new(AtomicBool::new(false)), store)?;
    if let Some(name) = &args.output {
        let names: Vec<String> = outputs.names().iter().map(|n| n.to_string()).collect();
        outputs.retain_named(name);
        if outputs.names().is_empty() {
            bail!("--output {name}: no such output (configured: {})", names.join(", "));
        }
    }
    let failed_before = |name: &str| METRICS.outputs.with_label_values(&[name, "failed"]).get();
    let before: Vec<u64> = outputs.names().iter().map(|n| failed_before(n)).collect();
    outputs.emit(&sample(&hostname));
    // Waits until every destination delivered (or gave up after its retries).
    outputs.flush();
    let failed: Vec<&str> =
        outputs.names().into_iter().zip(before).filter(|(n, b)| failed_before(n) > *b).map(|(n, _)| n).collect();
    if !failed.is_empty() {
        bail!("the test alert could not be delivered to: {}", failed.join(", "));
    }
    eprintln!("osprey: test alert sent to {}", outputs.names().join(", "));
    Ok(())
}

/// A recognisable alert with typical fields.
pub fn sample(hostname: &str) -> Alert {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    let fields = serde_json::json!({
        "proc.name": "osprey", "proc.cmdline": "osprey alert test", "user.name": "root",
        "container.id": "host", "evt.type": "execve",
    });
    Alert {
        hostname: hostname.to_string(),
        output: format!(
            "{}: Debug This is a test alert from Osprey (proc.name=osprey user.name=root)",
            crate::decode::render::time_of_day(now)
        ),
        output_fields: fields.as_object().cloned().unwrap_or_default(),
        priority: Priority::Debug,
        rule: "Test rule".into(),
        source: "syscall",
        tags: vec!["test".into()],
        time: crate::rules::time::rfc3339(now),
    }
}
