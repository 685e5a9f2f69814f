//! Loading: the inventory file into typed values, keeping its text for diagnostics.
//!
//! The file is read under budgets (size, nesting, aliases, nodes) so a hostile
//! file cannot exhaust memory, and every YAML or shape error becomes a located
//! diagnostic with a stable code.

pub mod revision;
mod shape;
mod tags;
pub mod tree;

use std::collections::HashSet;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use serde_saphyr::options::DuplicateKeyPolicy;

use crate::diagnostic::{Code, Diagnostic};
use crate::error::Error;
use crate::inventory::Inventory;
use crate::source::{Places, Source, floor_boundary, token_len};
use crate::{keypath, suggest};

/// Largest inventory read by default: sixteen times a 5,000-host cluster's
/// (about 1 MB). `--max-inventory-bytes` changes it.
pub const MAX_BYTES: usize = 16 * 1024 * 1024;

/// A parsed inventory with its text and the place of every key and value in it.
pub struct Loaded {
    pub source: Source,
    pub inventory: Inventory,
    /// Places by JSON pointer (`/hosts/c1/address`).
    pub places: Places,
    /// Shape problems that did not stop the reading: the parts holding them
    /// are left out, so the rules can still report the rest in the same run.
    pub problems: Vec<Diagnostic>,
    /// The parts left out, whose rule problems would follow from the shape's.
    pub unchecked: Unchecked,
    /// Whether `places` holds every key and value. A quick load of an inventory
    /// of the right shape leaves them out; [`locate`] finds them when a
    /// diagnostic needs them.
    pub located: bool,
    /// The inventory as generic values, as the shape check read it; `None`
    /// when only a part of it could be read.
    pub values: Option<serde_json::Value>,
}

/// The parts of an inventory that hold a shape error: the rules do not judge
/// them, nor references to the hosts or services among them.
#[derive(Debug, Default)]
pub struct Unchecked {
    /// Sets, as every problem is asked about: a shape error in each of
    /// thousands of hosts raises thousands of problems.
    paths: HashSet<String>,
    names: HashSet<String>,
}

impl Unchecked {
    fn new(damaged: Vec<shape::Damaged>, places: &Places) -> Self {
        let mut unchecked = Self::default();
        for part in damaged {
            if let Some(place) = places.get(&part.pointer) {
                unchecked.paths.insert(place.path.clone());
            }
            unchecked.names.extend(part.name);
        }
        unchecked
    }

    /// Whether a rule's `problem` is about an unchecked part, or points at the
    /// name of one, so it follows from a shape error instead of being its own.
    pub fn covers(&self, problem: &Diagnostic, text: &str) -> bool {
        // The problem's path, and each part of it that ends before a `.` or `[`.
        let mut within = problem
            .path
            .match_indices(['.', '['])
            .map(|(end, _)| &problem.path[..end])
            .chain([problem.path.as_str()]);
        let names_one = || {
            problem.at.is_some_and(|span| {
                let quoted = text
                    .get(span.offset()..span.offset() + span.len())
                    .unwrap_or_default();
                self.names
                    .contains(quoted.trim_matches(|c| c == '"' || c == '\''))
            })
        };
        within.any(|part| self.paths.contains(part)) || names_one()
    }
}

/// Reads and parses the inventory at `path`, with the place of every key and value.
pub fn load(path: &Path, max_bytes: usize) -> Result<Loaded, Error> {
    from_bytes_within(
        path.display().to_string(),
        &read(path, max_bytes)?,
        max_bytes,
    )
}

/// Reads and parses the inventory at `path`; when it has the right shape, its
/// places are left out (see [`Loaded::located`]): most inventories raise no
/// diagnostic, and finding every place costs as much as the parse itself.
pub fn load_quickly(path: &Path, max_bytes: usize) -> Result<Loaded, Error> {
    quickly(source_of(path, max_bytes)?)
}

/// The text of the inventory at `path`, refused as [`load`] refuses it.
pub fn source_of(path: &Path, max_bytes: usize) -> Result<Source, Error> {
    checked_source(
        path.display().to_string(),
        &read(path, max_bytes)?,
        max_bytes,
    )
}

/// [`load_quickly`] for a text already read.
pub fn quickly(source: Source) -> Result<Loaded, Error> {
    match quick_parse(&source.text) {
        Some((inventory, values)) => Ok(Loaded {
            source,
            inventory,
            places: Places::default(),
            problems: Vec::new(),
            unchecked: Unchecked::default(),
            located: false,
            values: Some(values),
        }),
        None => from_source(source),
    }
}

/// The typed inventory, when the text parses into it and has the shape the
/// full check accepts. The shape is judged on generic values, as the full parse
/// does (a bare `25.05` is a number there, not the string the typed parse would
/// take), without the places of its nodes, which cost as much again.
fn quick_parse(text: &str) -> Option<(Inventory, serde_json::Value)> {
    // The schema compiles while the text parses, both ways.
    let generic = || serde_saphyr::from_str_with_options(text, parse_options()).ok();
    let typed = || serde_saphyr::from_str_with_options::<Inventory>(text, parse_options()).ok();
    let ((schema, instance), typed) =
        rayon::join(|| rayon::join(shape::Schema::inventory, generic), typed);
    let instance: serde_json::Value = instance?;
    schema
        .ok()?
        .accepts(&instance)
        .then_some((typed?, instance))
}

/// Reads no more than one byte past the budget, so a device or a huge file is
/// refused without being read whole.
fn read(path: &Path, max_bytes: usize) -> Result<Vec<u8>, Error> {
    let failed = |source: std::io::Error| {
        if source.kind() == std::io::ErrorKind::NotFound {
            Error::NoInventory {
                path: path.to_owned(),
            }
        } else {
            Error::Read {
                path: path.to_owned(),
                source,
            }
        }
    };
    let file = std::fs::File::open(path).map_err(failed)?;
    let mut bytes = Vec::new();
    file.take(
        u64::try_from(max_bytes)
            .unwrap_or(u64::MAX)
            .saturating_add(1),
    )
    .read_to_end(&mut bytes)
    .map_err(failed)?;
    Ok(bytes)
}

/// Parses inventory bytes read from the file called `name`.
pub fn from_bytes(name: String, bytes: &[u8]) -> Result<Loaded, Error> {
    from_bytes_within(name, bytes, MAX_BYTES)
}

/// [`from_bytes`] with a size budget of `max_bytes`.
pub fn from_bytes_within(name: String, bytes: &[u8], max_bytes: usize) -> Result<Loaded, Error> {
    from_source(checked_source(name, bytes, max_bytes)?)
}

/// The text of an inventory, refused when it is too large, not UTF-8, empty,
/// or holds a tag gen does not read.
fn checked_source(name: String, bytes: &[u8], max_bytes: usize) -> Result<Source, Error> {
    let (text, problem) = decode(bytes, max_bytes);
    let source = Source::new(name, Arc::from(text));
    let invalid = |problem: Diagnostic| Error::Invalid {
        source_text: source.clone(),
        problems: vec![problem],
    };
    if let Some(problem) = problem {
        return Err(invalid(problem));
    }
    if is_empty(&source.text) {
        return Err(invalid(
            Diagnostic::new(Code::YamlEmpty, "The inventory is empty").at_span(
                0,
                source.text.lines().next().map_or(1, str::len),
                "no `cluster:` or `hosts:` in the file",
            ),
        ));
    }
    let tags = tags::unknown_tags(&source.text);
    if !tags.is_empty() {
        return Err(Error::Invalid {
            source_text: source,
            problems: tags,
        });
    }
    Ok(source)
}

/// Parses the text with every place, and checks its shape: how a quick load is
/// completed when a diagnostic needs the places.
pub fn from_source(source: Source) -> Result<Loaded, Error> {
    let schema = shape::Schema::inventory()?;
    match parse(schema, &source.text) {
        Ok(Parsed {
            inventory,
            places,
            problems,
            unchecked,
            values,
        }) => Ok(Loaded {
            source,
            inventory,
            places,
            problems,
            unchecked,
            located: true,
            values,
        }),
        Err(problems) => Err(Error::Invalid {
            source_text: source,
            problems,
        }),
    }
}

/// Parses inventory text twice at once: as a generic tree, whose shape is
/// checked against the inventory's schema so every shape problem is found in
/// one run, and into the typed inventory, which is used when the shape is right.
fn parse(schema: &shape::Schema, text: &str) -> Result<Parsed, Vec<Diagnostic>> {
    let options = parse_options;
    let shaped = || -> Result<(Places, serde_json::Value, Vec<Diagnostic>), Vec<Diagnostic>> {
        let root: serde_saphyr::Spanned<tree::Node> =
            serde_saphyr::from_str_with_options(text, options())
                .map_err(|error| vec![diagnose(text, &error)])?;
        let places = tree::places(&root, &|location| offset_of(text, location));
        let instance = root.value.to_json();
        let problems = shape::check(schema, &instance, &places, text);
        Ok((places, instance, problems))
    };
    let typed = || serde_saphyr::from_str_with_options::<Inventory>(text, options());
    let (shaped, inventory) = rayon::join(shaped, typed);
    let (places, instance, problems) = shaped?;
    if problems.is_empty() {
        return inventory
            .map(|inventory| Parsed {
                inventory,
                places,
                problems,
                unchecked: Unchecked::default(),
                values: Some(instance),
            })
            .map_err(|error| vec![diagnose(text, &error)]);
    }
    let Some(readable) = shape::readable_part(schema, instance) else {
        return Err(problems);
    };
    match serde_json::to_string(&readable.instance)
        .ok()
        .and_then(|json| serde_saphyr::from_str_with_options::<Inventory>(&json, options()).ok())
    {
        Some(inventory) => Ok(Parsed {
            inventory,
            unchecked: Unchecked::new(readable.damaged, &places),
            places,
            problems,
            values: None,
        }),
        None => Err(problems),
    }
}

/// The budgets and rules every parse of an inventory runs under.
fn parse_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: 32,
            max_aliases: 1_000,
            max_anchors: 1_000,
            max_nodes: 200_000,
            max_documents: 1,
        },
        duplicate_keys: DuplicateKeyPolicy::Error,
    }
}

struct Parsed {
    inventory: Inventory,
    places: Places,
    problems: Vec<Diagnostic>,
    unchecked: Unchecked,
    values: Option<serde_json::Value>,
}

/// The text, or why it is not an inventory: too large, or not UTF-8.
fn decode(bytes: &[u8], max_bytes: usize) -> (String, Option<Diagnostic>) {
    if bytes.len() > max_bytes {
        // Only the first line is kept, to point at the file's start.
        let first_line = bytes
            .split(|byte| *byte == b'\n')
            .next()
            .unwrap_or_default();
        let first_line = String::from_utf8_lossy(&first_line[..first_line.len().min(200)]);
        let problem = Diagnostic::new(
            Code::YamlTooLarge,
            format!("The inventory is larger than the {max_bytes} bytes gen reads"),
        )
        .at_span(0, first_line.len(), "the file");
        return (first_line.into_owned(), Some(problem));
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_owned(), None),
        Err(error) => {
            let offset = error.valid_up_to();
            let problem = Diagnostic::new(Code::YamlNotUtf8, "The inventory is not valid UTF-8")
                .at_span(offset, 1, "this byte does not start a UTF-8 character");
            (String::from_utf8_lossy(bytes).into_owned(), Some(problem))
        }
    }
}

fn is_empty(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .all(|line| line.is_empty() || line.starts_with('#') || line == "---" || line == "...")
}

/// A YAML or shape error as a diagnostic, at its place in the file.
fn diagnose(text: &str, error: &serde_saphyr::Error) -> Diagnostic {
    let diagnostic = described(error);
    match error
        .location()
        .and_then(|location| offset_of(text, location))
    {
        Some(offset) => {
            let len = token_len(text, offset);
            let label = diagnostic.label.clone();
            diagnostic
                .at_span(offset, len, label)
                .path(keypath::at(text, offset))
        }
        None => diagnostic,
    }
}

/// What a YAML or shape error means, for people.
fn described(error: &serde_saphyr::Error) -> Diagnostic {
    use serde_saphyr::Error as E;
    let (code, message, label) = match innermost(error) {
        E::SerdeUnknownField {
            field, expected, ..
        } => {
            return Diagnostic::new(Code::YamlUnknownKey, format!("Unknown key `{field}`"))
                .label_only("not a key here")
                .help(suggest::hint(field, expected));
        }
        E::SerdeUnknownVariant {
            variant, expected, ..
        } => return unknown_value(variant, expected),
        E::SerdeMissingField { field, .. } => (
            Code::YamlMissingKey,
            format!("Missing required key `{field}`"),
            format!("`{field}` is required in here"),
        ),
        E::SerdeInvalidType {
            unexpected,
            expected,
            ..
        } => (
            Code::YamlWrongType,
            format!("Expected {expected}, found {unexpected}"),
            "wrong type".to_owned(),
        ),
        E::SerdeInvalidValue {
            unexpected,
            expected,
            ..
        } => (
            Code::YamlInvalidValue,
            format!("Expected {expected}, found {unexpected}"),
            "invalid value".to_owned(),
        ),
        other => yaml_meaning(other),
    };
    Diagnostic::new(code, message).label_only(label)
}

/// The code, message and label of an error in the YAML itself.
fn yaml_meaning(error: &serde_saphyr::Error) -> (Code, String, String) {
    use serde_saphyr::Error as E;
    match error {
        E::Unexpected { expected, .. } => (
            Code::YamlWrongType,
            format!("Expected {expected} here"),
            "wrong type".to_owned(),
        ),
        E::NullIntoString { .. } => (
            Code::YamlWrongType,
            "Expected a name or text, found nothing (`~` or an empty value)".to_owned(),
            "nothing here".to_owned(),
        ),
        E::InvalidScalar { ty, .. } => (
            Code::YamlInvalidValue,
            format!(
                "Expected {}, found a value out of its range",
                scalar_name(ty)
            ),
            "invalid value".to_owned(),
        ),
        E::Message { msg, .. } if msg.contains("did not match any variant") => (
            Code::YamlInvalidValue,
            "Expected a port number from 1 to 65535, or `{ static: <port>, to: <port> }`"
                .to_owned(),
            "invalid value".to_owned(),
        ),
        E::DuplicateMappingKey { key, .. } => (
            Code::YamlDuplicateKey,
            format!(
                "Key `{}` appears twice in the same mapping",
                key.as_deref().unwrap_or("?")
            ),
            "defined again here".to_owned(),
        ),
        E::Budget { breach, .. } => (
            Code::YamlBudget,
            format!(
                "The inventory exceeds a safety limit: {}",
                breach_text(breach)
            ),
            "limit reached here".to_owned(),
        ),
        other => (
            Code::YamlSyntax,
            first_line(&other.to_string()),
            "here".to_owned(),
        ),
    }
}

/// A Rust scalar type, as the inventory's reader says it to people.
fn scalar_name(ty: &str) -> String {
    let range = |max: u64| format!("a whole number from 0 to {max}");
    match ty {
        "u8" => range(u64::from(u8::MAX)),
        "u16" => range(u64::from(u16::MAX)),
        "u32" => range(u64::from(u32::MAX)),
        "u64" | "usize" => range(u64::MAX),
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number".to_owned(),
        "f32" | "f64" => "a number".to_owned(),
        "bool" => "true or false".to_owned(),
        other => format!("a {other}"),
    }
}

/// The error under the wrappers that only add a snippet or an alias's place.
fn innermost(mut error: &serde_saphyr::Error) -> &serde_saphyr::Error {
    while let serde_saphyr::Error::AliasError { error: inner, .. }
    | serde_saphyr::Error::WithSnippet { error: inner, .. } = error
    {
        error = inner;
    }
    error
}

/// Byte offset of a location: its span's, or from its line and column.
fn offset_of(text: &str, location: serde_saphyr::Location) -> Option<usize> {
    if let Some(offset) = location.span().byte_offset() {
        return usize::try_from(offset)
            .ok()
            .map(|offset| floor_boundary(text, offset));
    }
    let line = usize::try_from(location.line()).ok()?.checked_sub(1)?;
    let column = usize::try_from(location.column()).ok()?.saturating_sub(1);
    let line_start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
    let line_text = text.get(line_start..)?.lines().next().unwrap_or_default();
    let within = line_text
        .char_indices()
        .nth(column)
        .map_or(line_text.len(), |(index, _)| index);
    Some(line_start + within)
}

fn unknown_value(variant: &str, expected: &[&str]) -> Diagnostic {
    let is_role = expected.contains(&"cluster-member");
    if is_role && matches!(variant, "workstation" | "desktop") {
        return Diagnostic::new(
            Code::RolesProfileAsRole,
            format!("`{variant}` is a profile, not a role"),
        )
        .label_only("a profile")
        .help(format!(
            "write `profile: {variant}` on the host; a profile never implies a role"
        ));
    }
    let code = if is_role {
        Code::RolesUnknownRole
    } else {
        Code::YamlUnknownValue
    };
    let what = if is_role { "role" } else { "value" };
    Diagnostic::new(code, format!("Unknown {what} `{variant}`"))
        .label_only(format!("not a known {what}"))
        .help(suggest::hint(variant, expected))
}

fn breach_text(breach: &serde_saphyr::budget::BudgetBreach) -> String {
    use serde_saphyr::budget::BudgetBreach as B;
    match breach {
        B::Depth { .. } => "nesting deeper than 32 levels".to_owned(),
        B::Aliases { .. } | B::Anchors { .. } => "more than 1000 aliases or anchors".to_owned(),
        B::Documents { .. } => "more than one YAML document".to_owned(),
        B::Nodes { .. } | B::Events { .. } => "more than 200000 values".to_owned(),
        other => format!("{other:?}"),
    }
}

fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or(message).to_owned()
}
