//! The last line of defence before writing: every emitted file must parse.
//!
//! Nix is parsed with rnix, HCL with hcl-rs and YAML with serde-saphyr, independently of the layout
//! stage, so a template that emits broken code is caught and nothing is written.

use rayon::prelude::*;

use crate::error::Error;
use crate::render::RenderedFile;

/// Checks every file, in parallel; the first file in path order that does not
/// parse is the one reported.
pub fn check(files: &[RenderedFile]) -> Result<(), Error> {
    let results: Vec<Result<(), Error>> = files.par_iter().map(check_file).collect();
    results.into_iter().collect()
}

fn check_file(file: &RenderedFile) -> Result<(), Error> {
    let problem = if file.path.ends_with(".nix") {
        nix_problem(&file.contents)
    } else if file.path.ends_with(".hcl") {
        hcl::parse(&file.contents)
            .err()
            .map(|error| error.to_string())
    } else if file.path.ends_with(".yaml") {
        serde_saphyr::from_str::<serde_json::Value>(&file.contents)
            .err()
            .map(|error| error.to_string())
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some(message) => Err(Error::InvalidOutput {
            path: file.path.clone(),
            template: file.template.clone(),
            target: file.target.to_string(),
            message,
            excerpt: file.contents.clone(),
        }),
    }
}

fn nix_problem(text: &str) -> Option<String> {
    let parsed = rnix::Root::parse(text);
    let errors = parsed.errors();
    let first = errors.first()?;
    Some(format!("{first}{}", line_of(text, first)))
}

/// " at line N" for errors that carry a text offset.
fn line_of(text: &str, error: &rnix::ParseError) -> String {
    use rnix::ParseError;
    let offset = match error {
        ParseError::Unexpected(range)
        | ParseError::UnexpectedExtra(range)
        | ParseError::UnexpectedWanted(_, range, _)
        | ParseError::UnexpectedDoubleBind(range) => usize::from(range.start()),
        _ => return String::new(),
    };
    let line = text
        .get(..offset)
        .map_or(0, |before| before.lines().count());
    format!(" (line {line})")
}
