//! Integration tests, linked once.

mod golden;
mod support;
