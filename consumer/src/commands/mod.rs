//! The `osprey` subcommands, each wiring pipeline stages together.

pub mod capture;
pub mod rules;
