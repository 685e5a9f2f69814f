//! Integration tests, linked once.

mod cli;
mod diagnostics;
mod escaping;
mod evaluation;
mod fuzz;
mod golden;
mod output;
mod render_errors;
mod support;
