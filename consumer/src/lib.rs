//! Osprey's consumer, read top-down as its pipeline:
//! `source` (kernel rings, capture files) → `decode` (validated records) →
//! `event` (Falco's event model) → `state` (process/fd tables) → `rules` (load, compile, evaluate) → commands.

pub mod audit;
pub mod commands;
pub mod config;
pub mod decode;
pub mod event;
pub mod metrics;
pub mod output;
pub mod pipeline;
pub mod privileges;
pub mod rules;
pub mod server;
pub mod source;
pub mod state;
