//! Building the rule engine from command-line options and the config file.

use std::path::PathBuf;

use anyhow::Result;

use super::rules::load_rules_with_defaults;
use crate::config::Config;
use crate::pipeline::SyscallPipeline;
use crate::rules::engine::{Engine, Matching};
use crate::rules::fields::Source;
use crate::state::{users::Users, State};

#[derive(clap::Args, Debug, Clone, Default)]
pub struct RuleOptions {
    /// Rule files in load order (default: the config's, else Osprey's built-in rules).
    #[arg(long = "rules")]
    pub rules: Vec<PathBuf>,
    /// Alert for every matching rule, not only the first (Falco's rule_matching: all).
    #[arg(long)]
    pub all_matches: bool,
}

/// Loads the rules for `source` into an engine.
pub fn build_engine(opts: &RuleOptions, config: Option<&Config>, source: Source) -> Result<Engine> {
    let default_config = Config::default();
    let config = config.unwrap_or(&default_config);
    let files = if opts.rules.is_empty() { config.rules_files.clone() } else { opts.rules.clone() };
    let rules = load_rules_with_defaults(&files)?;
    let matching = if opts.all_matches { Matching::All } else { config.rule_matching };
    Ok(Engine::new(rules, source, matching, config.priority))
}

pub fn build_syscall_pipeline(opts: &RuleOptions, config: Option<&Config>) -> Result<SyscallPipeline> {
    let engine = build_engine(opts, config, Source::Syscall)?;
    let default_config = Config::default();
    let config = config.unwrap_or(&default_config);
    let mut state = State::new(config.max_threads);
    state.users = Users::load(&config.host_root);
    Ok(SyscallPipeline::new(state, engine))
}
