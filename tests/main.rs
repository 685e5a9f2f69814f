//! Integration tests, linked once.

mod escaping;
mod evaluation;
mod golden;
mod output;
mod render_errors;
mod support;
