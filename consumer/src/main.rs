//! `osprey`: the command line. The pipeline lives in the library (`lib.rs`).

use osprey::commands::{alert, capture, replay, rules, run};

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "osprey", version, about = "Runtime security sensor for Linux and Kubernetes")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The main job: capture, state, rules, alerts.
    Run(run::RunArgs),
    /// Evaluate rules over recorded events; alerts as JSON lines.
    Replay(replay::ReplayArgs),
    /// Print live kernel events (or a capture file) as text or JSON lines.
    Capture(capture::CaptureArgs),
    /// Validate or list rule files.
    #[command(subcommand)]
    Rules(rules::RulesCommand),
    /// Send a sample alert through the configured outputs.
    #[command(subcommand)]
    Alert(alert::AlertCommand),
    /// Check a configuration file: every key, value and rule file it names.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// List the fields conditions and outputs can use.
    Fields {
        /// Only fields of this source (syscall, k8s_audit).
        #[arg(long)]
        source: Option<String>,
        /// As a Markdown table.
        #[arg(long)]
        markdown: bool,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Load FILE as `osprey run` would, report what is wrong, exit 1 on error.
    Check { file: std::path::PathBuf },
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run::run(args),
        Command::Replay(args) => replay::run(args),
        Command::Capture(args) => capture::run(args),
        Command::Rules(cmd) => rules::run(cmd),
        Command::Alert(cmd) => alert::run(cmd),
        Command::Fields { source, markdown } => rules::fields(source, markdown),
        Command::Config(ConfigCommand::Check { file }) => osprey::config::check(&file),
    };
    if let Err(e) = result {
        eprintln!("osprey: error: {e:#}");
        std::process::exit(1);
    }
}
