//! Integration tests, linked once.

mod escaping;
mod golden;
mod output;
mod render_errors;
mod support;
