//! The `osprey` subcommands, each wiring pipeline stages together.

pub mod alert;
pub mod capture;
pub mod engine_setup;
pub mod replay;
pub mod rules;
pub mod run;
