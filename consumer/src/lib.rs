//! Osprey's consumer, read top-down as its pipeline:
//! `source` (kernel rings, capture files) → `decode` (validated records) →
//! `event` (Falco's event model) → `rules` (load, compile, evaluate) → commands.

pub mod commands;
pub mod decode;
pub mod event;
pub mod rules;
pub mod source;
