//! `osprey rules validate|list` and `osprey fields`.

use std::path::PathBuf;

use anyhow::{bail, Result};

use crate::rules::compile::{compile, Rule};
use crate::rules::fields::{ArgReq, Source, CATALOGUE};
use crate::rules::loader::{RuleSet, Severity};

/// Osprey's default rules, built into the binary: (name, text).
pub const DEFAULT_RULES: [(&str, &str); 2] = [
    ("osprey_rules.yaml", include_str!("../../../rules/osprey_rules.yaml")),
    ("osprey_k8s_audit_rules.yaml", include_str!("../../../rules/osprey_k8s_audit_rules.yaml")),
];

/// Loads the given rule files, or the built-in defaults when there are none.
pub fn load_rules_with_defaults(files: &[PathBuf]) -> Result<Vec<Rule>> {
    if files.is_empty() {
        let mut set = RuleSet::default();
        for (name, text) in DEFAULT_RULES {
            set.load_str(&format!("<built-in {name}>"), text);
        }
        return finish(set, true);
    }
    load_rules(files, true)
}

/// Loads and compiles rule files, printing every diagnostic to stderr.
/// Fails when any is an error.
pub fn load_rules(files: &[PathBuf], quiet_warnings: bool) -> Result<Vec<Rule>> {
    let mut set = RuleSet::default();
    set.load_files(files);
    finish(set, quiet_warnings)
}

fn finish(mut set: RuleSet, quiet_warnings: bool) -> Result<Vec<Rule>> {
    let rules = compile(&mut set);
    if !quiet_warnings {
        set.diagnostics.iter().filter(|d| d.severity != Severity::Error).for_each(|d| eprintln!("{d}"));
    }
    // The errors travel in the error (a reload reports them to its caller).
    let errors: Vec<String> =
        set.diagnostics.iter().filter(|d| d.severity == Severity::Error).map(|d| d.to_string()).collect();
    if !errors.is_empty() {
        bail!("{} error(s) in the rule files; nothing loaded:\n{}", errors.len(), errors.join("\n"));
    }
    Ok(rules)
}

#[derive(clap::Subcommand, Debug)]
pub enum RulesCommand {
    /// Load and compile rule files; print every error and warning.
    Validate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// List the rules the files define, with priority, source and state.
    List {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

pub fn run(cmd: RulesCommand) -> Result<()> {
    match cmd {
        RulesCommand::Validate { files } => {
            let rules = load_rules(&files, false)?;
            let enabled = rules.iter().filter(|r| r.enabled).count();
            println!("ok: {} rules ({enabled} enabled)", rules.len());
        }
        RulesCommand::List { files } => {
            for r in load_rules(&files, true)? {
                println!(
                    "{:<13} {:<10} {:<8} {}",
                    r.priority.as_str(),
                    r.source.as_str(),
                    if r.enabled { "enabled" } else { "disabled" },
                    r.name
                );
            }
        }
    }
    Ok(())
}

/// `osprey fields`: the catalogue as a table (or Markdown for the docs).
pub fn fields(source: Option<String>, markdown: bool) -> Result<()> {
    let source = source
        .map(|s| Source::parse(&s).ok_or_else(|| anyhow::anyhow!("unknown source '{s}' (syscall, k8s_audit)")))
        .transpose()?;
    if markdown {
        println!("| field | type | description |\n| --- | --- | --- |");
    }
    for f in CATALOGUE.iter().filter(|f| source.is_none_or(|s| f.source() == s)) {
        let name = match f.arg {
            ArgReq::None => f.name.to_string(),
            ArgReq::OptionalIndex => format!("{}[N]", f.name),
            ArgReq::Key | ArgReq::OptionalKey => format!("{}[KEY]", f.name),
        };
        if markdown {
            println!("| `{name}` | {} | {} |", f.ty, f.desc);
        } else {
            println!("{name:<45} {:<7} {}", f.ty.to_string(), f.desc);
        }
    }
    Ok(())
}
