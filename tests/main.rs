//! Integration tests, linked once.

mod adopt;
mod cli;
mod diagnostics;
mod escaping;
mod free_text;
mod fuzz;
mod golden;
mod groups;
mod jobs;
mod output;
mod papercuts;
mod plan;
mod render_errors;
mod secrets;
mod support;
