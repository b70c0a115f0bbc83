//! `osprey`: the consumer of Osprey's kernel module.
//!
//! Pipeline, one module per stage: `source` (rings, capture files) →
//! `decode` (validated records, Falco-style rendering) → commands.

mod capture;
mod decode;
mod event;
mod rules;
mod source;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "osprey",
    version,
    about = "Runtime security sensor for Linux and Kubernetes"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print live kernel events (or a capture file) as text or JSON lines.
    Capture(capture::CaptureArgs),
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Capture(args) => capture::run(args),
    };
    if let Err(e) = result {
        eprintln!("osprey: error: {e:#}");
        std::process::exit(1);
    }
}
