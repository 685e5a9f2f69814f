//! Integration tests, linked once.

mod golden;
mod render_errors;
mod support;
