//! The last line of defence before writing: every emitted file must parse.
//!
//! Nix is parsed with rnix, each Nomad job decoded into the job specification's
//! types (`jobspec`), YAML parsed with serde-saphyr, independently of the layout
//! stage, so a template that emits broken code is caught and nothing is written.

use rayon::prelude::*;

use crate::error::Error;
use crate::render::RenderedFile;

/// Checks every file, in parallel; the first file in path order that does not
/// parse is the one reported.
pub fn check(files: &[RenderedFile]) -> Result<(), Error> {
    // A file read back was checked when it was written from the same source.
    let mut unchecked: Vec<(usize, &RenderedFile)> = files
        .iter()
        .enumerate()
        .filter(|(_, file)| file.reused.is_none())
        .collect();
    // Largest first: `flake.nix` checked last would leave the other threads idle.
    unchecked.sort_by_key(|(_, file)| std::cmp::Reverse(file.contents.len()));
    let failed = unchecked
        .into_par_iter()
        .filter_map(|(index, file)| check_file(file).err().map(|error| (index, error)))
        .min_by_key(|(index, _)| *index);
    failed.map_or(Ok(()), |(_, error)| Err(error))
}

fn check_file(file: &RenderedFile) -> Result<(), Error> {
    let problem = if file.path.ends_with(".nix") {
        nix_problem(&file.contents)
    } else if file.path.ends_with(".hcl") && file.overridden {
        hcl::parse(&file.contents)
            .err()
            .map(|error| error.to_string())
    } else if file.path.ends_with(".hcl") {
        crate::jobspec::problem(&file.contents)
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
    match parsed.errors().first() {
        Some(first) => Some(format!("{first}{}", line_of(text, first))),
        None => duplicate_attribute(text, &parsed.syntax()),
    }
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

/// What a binding set defines, to find an attribute defined twice: rnix parses
/// `{ a = 1; a.b = 2; }`, Nix refuses it. Attribute set literals merge, as in Nix.
#[derive(Default)]
struct Defined(std::collections::HashMap<String, Option<Defined>>);

/// The first attribute some set or `let` of `text` (parsed as `root`) defines twice.
fn duplicate_attribute(text: &str, root: &rnix::SyntaxNode) -> Option<String> {
    use rnix::ast;
    use rowan::ast::AstNode;
    for node in root.descendants() {
        let merged_into_parent = node.parent().is_some_and(|parent| {
            ast::AttrpathValue::can_cast(parent.kind()) && ast::AttrSet::can_cast(node.kind())
        });
        if merged_into_parent {
            continue;
        }
        let problem = if let Some(set) = ast::AttrSet::cast(node.clone()) {
            Defined::default().bind_all(&set)
        } else if let Some(bindings) = ast::LetIn::cast(node) {
            Defined::default().bind_all(&bindings)
        } else {
            Ok(())
        };
        if let Err(path) = problem {
            let line = text
                .get(..path.1)
                .map_or(0, |before| before.lines().count());
            return Some(format!(
                "attribute `{}` is defined twice (line {line})",
                path.0
            ));
        }
    }
    None
}

impl Defined {
    /// Adds every binding of a set or `let`; the path and offset of the first
    /// defined twice is the error.
    fn bind_all(&mut self, bindings: &impl rnix::ast::HasEntry) -> Result<(), (String, usize)> {
        use rnix::ast::Entry;
        use rowan::ast::AstNode;
        for entry in bindings.entries() {
            match entry {
                Entry::Inherit(inherit) => {
                    for attr in inherit.attrs() {
                        if let Some(name) = attr_name(&attr) {
                            let at = usize::from(attr.syntax().text_range().start());
                            self.bind(&[name], None, at)?;
                        }
                    }
                }
                Entry::AttrpathValue(binding) => {
                    let Some(path) = binding.attrpath() else {
                        continue;
                    };
                    let names: Option<Vec<String>> =
                        path.attrs().map(|attr| attr_name(&attr)).collect();
                    let Some(names) = names else {
                        continue;
                    };
                    let at = usize::from(path.syntax().text_range().start());
                    let literal = binding.value().and_then(|value| match value {
                        rnix::ast::Expr::AttrSet(set) if set.rec_token().is_none() => Some(set),
                        _ => None,
                    });
                    self.bind(&names, literal.as_ref(), at)?;
                }
            }
        }
        Ok(())
    }

    fn bind(
        &mut self,
        path: &[String],
        literal: Option<&rnix::ast::AttrSet>,
        at: usize,
    ) -> Result<(), (String, usize)> {
        let Some((first, rest)) = path.split_first() else {
            return Ok(());
        };
        let twice = || (path.join("."), at);
        let slot = self.0.entry(first.clone());
        let existing = match slot {
            std::collections::hash_map::Entry::Vacant(vacant) => {
                if rest.is_empty() && literal.is_none() {
                    vacant.insert(None);
                    return Ok(());
                }
                vacant.insert(Some(Defined::default()))
            }
            std::collections::hash_map::Entry::Occupied(occupied) => occupied.into_mut(),
        };
        let Some(set) = existing else {
            return Err(twice());
        };
        match (rest.is_empty(), literal) {
            (false, _) => set.bind(rest, literal, at),
            (true, Some(literal)) => set.bind_all(literal),
            (true, None) => Err(twice()),
        }
    }
}

/// A static attribute name; `None` for `${…}`, whose name is known only when evaluated.
pub(crate) fn attr_name(attr: &rnix::ast::Attr) -> Option<String> {
    use rnix::ast::{Attr, InterpolPart};
    match attr {
        Attr::Ident(ident) => Some(ident.to_string()),
        Attr::Str(string) => string
            .normalized_parts()
            .into_iter()
            .map(|part| match part {
                InterpolPart::Literal(text) => Some(text),
                InterpolPart::Interpolation(_) => None,
            })
            .collect(),
        Attr::Dynamic(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::error::Error;
    use crate::render::{RenderedFile, Target};

    fn file(path: &str, contents: String) -> RenderedFile {
        RenderedFile {
            path: path.to_owned(),
            contents,
            template: path.to_owned(),
            overridden: false,
            target: Target::Cluster,
            input: String::new(),
            source: String::new(),
            reused: None,
        }
    }

    /// Files are checked largest first; the one reported is still the first
    /// in path order that fails, however large the others are.
    #[test]
    fn the_first_file_in_path_order_that_fails_is_reported() {
        let large_and_broken = format!("{{ {} a = ; }}", "x = 1; ".repeat(10_000));
        let files = [
            file("a.nix", "{ }".to_owned()),
            file("b.nix", "{ b = ; }".to_owned()),
            file("c.nix", large_and_broken),
            file("d.nix", "{ d = 1; }".to_owned()),
        ];
        match super::check(&files) {
            Err(Error::InvalidOutput { path, .. }) => assert_eq!(path, "b.nix"),
            other => panic!("b.nix fails first, not {other:?}"),
        }
        assert!(super::check(&[files[0].clone(), files[3].clone()]).is_ok());
    }

    /// The attribute `text` defines twice, if any.
    fn duplicate_attribute(text: &str) -> Option<String> {
        super::duplicate_attribute(text, &rnix::Root::parse(text).syntax())
    }

    #[test]
    fn finds_attributes_nix_would_refuse() {
        for merges in [
            "{ a = { b = 1; }; a.c = 2; }",
            "{ a.b = 1; a.c = 2; }",
            "{ a.b = 1; a = { c = 2; }; }",
            "{ ${x} = 1; ${x} = 2; }",
            "let f = { a = 1; }; in { b = f; a = f; }",
        ] {
            assert_eq!(duplicate_attribute(merges), None, "{merges}");
        }
        for twice in [
            "{ a.b = 1; a.b = 2; }",
            "{ a = 1; a.b = 2; }",
            "{ \"a\" = 1; a = 2; }",
            "let x = 1; x = 2; in x",
            "{ inherit a; a = 1; }",
            "{ x = { a = { b = 1; }; a.b = 2; }; }",
        ] {
            assert!(duplicate_attribute(twice).is_some(), "{twice}");
        }
    }
}
