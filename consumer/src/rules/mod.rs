//! Rules: Falco-compatible rule files, compiled and evaluated against events.

pub mod condition;
pub mod loader;
