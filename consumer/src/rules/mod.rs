//! Rules: Falco-compatible rule files, compiled and evaluated against events.
//!
//! `loader` reads YAML into definitions, `condition` parses condition text,
//! `compile` resolves it against the `fields` catalogue into filters that
//! `value` evaluates, and `output` renders alerts. `open_filter` derives
//! from the compiled rules what the kernel may check of opens.

pub mod audit;
pub mod compile;
pub mod condition;
pub mod engine;
pub mod fields;
pub mod loader;
pub mod open_filter;
pub mod output;
pub mod syscall;
pub mod time;
pub mod value;
