//! The inventory's shape against its JSON Schema: every unknown key, missing key,
//! wrong type and unknown value in one run, each at its place in the file.

use std::sync::LazyLock;

use jsonschema::error::{ValidationError, ValidationErrorKind};
use serde_json::Value;

use crate::error::Error;

use crate::diagnostic::{Code, Diagnostic};
use crate::source::{Place, Places, pointer, pointer_segment, token_len};
use crate::suggest;

/// The inventory's schema and its validator, compiled once per run.
pub struct Schema {
    schema: Value,
    validator: jsonschema::Validator,
}

static INVENTORY_SCHEMA: LazyLock<Result<Schema, String>> =
    LazyLock::new(|| Schema::compile(crate::inventory::schema()));

impl Schema {
    /// The inventory's schema, or why it does not compile (a defect of gen's own types).
    pub fn inventory() -> Result<&'static Self, Error> {
        INVENTORY_SCHEMA
            .as_ref()
            .map_err(|reason| Error::Schema(reason.clone()))
    }

    fn compile(schema: Value) -> Result<Self, String> {
        let validator = jsonschema::validator_for(&schema).map_err(|error| error.to_string())?;
        Ok(Self { schema, validator })
    }

    /// Whether [`check`] would find nothing in `instance`: the schema's shape,
    /// and no NUL character in a key or value.
    pub(super) fn accepts(&self, instance: &Value) -> bool {
        self.validator.is_valid(instance) && !holds_nul(instance)
    }

    /// The keys the schema allows in the object at `pointer`.
    pub(super) fn properties_at(&self, pointer: &str) -> Vec<String> {
        let mut schema = self.resolve(&self.schema);
        for segment in pointer.split('/').skip(1) {
            let segment = segment.replace("~1", "/").replace("~0", "~");
            schema = match self.child(schema, &segment) {
                Some(child) => child,
                None => return Vec::new(),
            };
        }
        schema["properties"]
            .as_object()
            .map(|properties| properties.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// The schema of `segment` inside `schema`, through references and optional values.
    fn child<'s>(&'s self, schema: &'s Value, segment: &str) -> Option<&'s Value> {
        let schema = self.resolve(schema);
        if let Some(child) = schema["properties"].get(segment) {
            return Some(self.resolve(child));
        }
        if let Some(child) = schema
            .get("additionalProperties")
            .filter(|child| child.is_object())
        {
            return Some(self.resolve(child));
        }
        if let Some(child) = schema.get("items").filter(|child| child.is_object()) {
            return Some(self.resolve(child));
        }
        schema["anyOf"]
            .as_array()
            .into_iter()
            .flatten()
            .find_map(|branch| self.child(branch, segment))
    }

    /// `schema` with `$ref` followed and an optional value's `null` branch set aside.
    fn resolve<'s>(&'s self, schema: &'s Value) -> &'s Value {
        let mut schema = schema;
        for _ in 0..8 {
            if let Some(reference) = schema["$ref"].as_str() {
                let Some(target) = reference
                    .strip_prefix('#')
                    .and_then(|pointer| self.schema.pointer(pointer))
                else {
                    return schema;
                };
                schema = target;
                continue;
            }
            let non_null: Vec<&Value> = schema["anyOf"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|branch| branch["type"] != "null")
                .collect();
            match non_null.as_slice() {
                [only]
                    if schema["anyOf"]
                        .as_array()
                        .is_some_and(|branches| branches.len() == 2) =>
                {
                    schema = only;
                }
                _ => return schema,
            }
        }
        schema
    }

    /// The part a shape error at `at` damages: the outermost named entry
    /// holding it, else the mapping or list holding it.
    fn damaged(&self, at: &[String]) -> Damaged {
        match (1..=at.len()).find(|len| self.is_named_entry(&at[..*len])) {
            Some(len) => Damaged {
                pointer: pointer(&at[..len]),
                name: Some(at[len - 1].clone()),
            },
            None => Damaged {
                pointer: pointer(&at[..at.len() - 1]),
                name: None,
            },
        }
    }

    /// Whether `at` is an entry of a mapping whose keys the user names (a host,
    /// a service), not a key the schema defines.
    fn is_named_entry(&self, at: &[String]) -> bool {
        let Some((name, parent)) = at.split_last() else {
            return false;
        };
        let mut schema = self.resolve(&self.schema);
        for segment in parent {
            schema = match self.child(schema, segment) {
                Some(child) => child,
                None => return false,
            };
        }
        schema["properties"].get(name).is_none() && schema["additionalProperties"].is_object()
    }
}

/// What can still be read of an instance whose shape is wrong.
pub struct Readable {
    /// The instance without unknown keys and without each smallest part that
    /// holds a shape error, so it fits the schema.
    pub instance: Value,
    /// The parts holding a shape error, by JSON pointer: the host, service or
    /// other named entry around it, else the mapping around it. What the rules
    /// would say about them, or about references to a named one, follows from
    /// the shape error.
    pub damaged: Vec<Damaged>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Damaged {
    pub pointer: String,
    /// The entry's name, when the user names it (`hosts.<name>`).
    pub name: Option<String>,
}

/// Rounds of leaving parts out before giving up: each round leaves out every
/// erroneous part at once, so a round per level of nesting is enough.
const MAX_ROUNDS: usize = 16;

/// `instance` with unknown keys removed and every part holding another shape
/// error left out (a list item, an optional key, the entry holding a missing
/// key), so the rules can check the rest; `None` when nothing fits.
pub fn readable_part(schema: &Schema, mut instance: Value) -> Option<Readable> {
    let mut damaged = Vec::new();
    for _ in 0..MAX_ROUNDS {
        let mut parts: Vec<Vec<String>> = Vec::new();
        for error in schema.validator.iter_errors(&instance) {
            let at = segments(error.instance_path().as_str());
            match error.kind() {
                ValidationErrorKind::AdditionalProperties { unexpected } => {
                    for key in unexpected {
                        let mut part = at.clone();
                        part.push(key.clone());
                        // A misspelt key leaves its entry without the key it meant.
                        damaged.push(schema.damaged(&part));
                        parts.push(part);
                    }
                }
                _ if at.is_empty() => return None,
                _ => {
                    damaged.push(schema.damaged(&at));
                    parts.push(at);
                }
            }
        }
        if parts.is_empty() {
            damaged.sort();
            damaged.dedup();
            return Some(Readable { instance, damaged });
        }
        // Deepest and last first, so removing a list item moves none still to remove.
        parts.sort_by(|a, b| by_position(b, a));
        parts.dedup();
        for part in &parts {
            remove(&mut instance, part);
        }
    }
    None
}

fn segments(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|segment| segment.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// Pointers ordered as the document is, list indices by number.
fn by_position(a: &[String], b: &[String]) -> std::cmp::Ordering {
    let key = |segment: &String| (segment.parse::<usize>().ok(), segment.clone());
    a.iter().map(key).cmp(b.iter().map(key))
}

fn remove(instance: &mut Value, at: &[String]) {
    let Some((last, parent)) = at.split_last() else {
        return;
    };
    let parent = parent
        .iter()
        .try_fold(instance, |node, segment| match node {
            Value::Object(map) => map.get_mut(segment),
            Value::Array(items) => items.get_mut(segment.parse::<usize>().ok()?),
            _ => None,
        });
    match parent {
        Some(Value::Object(map)) => {
            map.remove(last);
        }
        Some(Value::Array(items)) => {
            if let Some(index) = last
                .parse::<usize>()
                .ok()
                .filter(|index| *index < items.len())
            {
                items.remove(index);
            }
        }
        _ => {}
    }
}

/// Shape problems of `instance`, located through `places`.
pub fn check(schema: &Schema, instance: &Value, places: &Places, text: &str) -> Vec<Diagnostic> {
    let validator = &schema.validator;
    let shape = Shape {
        schema,
        instance,
        places,
        text,
    };
    let mut problems = Vec::new();
    for error in validator.iter_errors(instance) {
        shape.explain(&error, &mut problems);
    }
    shape.nul_characters(instance, "", &mut problems);
    problems.sort_by_key(|problem| problem.at.map_or(usize::MAX, |span| span.offset()));
    problems.dedup_by(|a, b| a.code == b.code && a.at == b.at);
    problems
}

struct Shape<'a> {
    schema: &'a Schema,
    instance: &'a Value,
    places: &'a Places,
    text: &'a str,
}

impl Shape<'_> {
    fn explain(&self, error: &ValidationError, problems: &mut Vec<Diagnostic>) {
        let pointer = error.instance_path().as_str();
        match error.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                let known = self.schema.properties_at(pointer);
                let known: Vec<&str> = known.iter().map(String::as_str).collect();
                for key in unexpected {
                    let place = self.place(&format!("{pointer}/{}", pointer_segment(key)));
                    let problem =
                        Diagnostic::new(Code::YamlUnknownKey, format!("Unknown key `{key}`"))
                            .help(suggest::hint(key, &known));
                    problems.push(self.at(problem, &place, place.key, "not a key here"));
                }
            }
            ValidationErrorKind::Required { property } => {
                let property = property.as_str().unwrap_or_default();
                let place = self.place(pointer);
                let problem = Diagnostic::new(
                    Code::YamlMissingKey,
                    format!("Missing required key `{property}`"),
                );
                let label = format!("`{property}` is required in here");
                problems.push(self.at(problem, &place, place.key.or(place.value), &label));
            }
            ValidationErrorKind::Type { kind } => {
                let place = self.place(pointer);
                let found = describe(self.instance.pointer(pointer));
                let problem = Diagnostic::new(
                    Code::YamlWrongType,
                    format!("Expected {}, found {found}", type_name(kind)),
                );
                problems.push(self.at(problem, &place, place.value, "wrong type"));
            }
            ValidationErrorKind::Enum { options } => {
                let options: Vec<&str> = options
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                problems.push(self.unknown_value(pointer, &options));
            }
            ValidationErrorKind::Constant { expected_value } => {
                let options: Vec<&str> = expected_value.as_str().into_iter().collect();
                problems.push(self.unknown_value(pointer, &options));
            }
            ValidationErrorKind::AnyOf { context }
            | ValidationErrorKind::OneOfNotValid { context } => {
                self.explain_alternatives(pointer, context, problems);
            }
            _ => {
                let place = self.place(pointer);
                let problem =
                    Diagnostic::new(Code::YamlInvalidValue, format!("Invalid value: {error}"));
                problems.push(self.at(problem, &place, place.value, "invalid value"));
            }
        }
    }

    /// A value that fits none of several shapes: a choice among constants is an
    /// unknown value; otherwise the one shape of the right type says what is wrong.
    fn explain_alternatives(
        &self,
        pointer: &str,
        branches: &[Vec<ValidationError<'static>>],
        problems: &mut Vec<Diagnostic>,
    ) {
        let constants: Option<Vec<&str>> = branches
            .iter()
            .map(|errors| match errors.as_slice() {
                [error] => match error.kind() {
                    ValidationErrorKind::Constant { expected_value } => expected_value.as_str(),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        if let Some(options) = constants {
            problems.push(self.unknown_value(pointer, &options));
            return;
        }
        let wrong_shape = |errors: &Vec<ValidationError>| {
            errors.iter().all(|error| {
                error.instance_path().as_str() == pointer
                    && matches!(error.kind(), ValidationErrorKind::Type { .. })
            })
        };
        let fitting: Vec<&Vec<ValidationError>> = branches
            .iter()
            .filter(|errors| !wrong_shape(errors))
            .collect();
        if let [errors] = fitting.as_slice() {
            for error in *errors {
                self.explain(error, problems);
            }
            return;
        }
        let place = self.place(pointer);
        let problem = Diagnostic::new(
            Code::YamlInvalidValue,
            "This value fits none of the shapes allowed here",
        )
        .help(format!(
            "see the schema's description of `{}` (gen schema)",
            place.path
        ));
        problems.push(self.at(problem, &place, place.value, "invalid value"));
    }

    /// Keys and strings holding NUL, which no generated file can carry.
    fn nul_characters(&self, node: &Value, pointer: &str, problems: &mut Vec<Diagnostic>) {
        match node {
            Value::String(text) if text.contains('\0') => {
                let place = self.place(pointer);
                let problem = Diagnostic::new(Code::YamlNul, "This value holds a NUL character");
                problems.push(self.at(problem, &place, place.value, "NUL character"));
            }
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    self.nul_characters(item, &format!("{pointer}/{index}"), problems);
                }
            }
            Value::Object(map) => {
                for (key, item) in map {
                    let child = format!("{pointer}/{}", pointer_segment(key));
                    if key.contains('\0') {
                        let place = self.place(&child);
                        let problem =
                            Diagnostic::new(Code::YamlNul, "This key holds a NUL character");
                        problems.push(self.at(problem, &place, place.key, "NUL character"));
                    }
                    self.nul_characters(item, &child, problems);
                }
            }
            _ => {}
        }
    }

    fn unknown_value(&self, pointer: &str, options: &[&str]) -> Diagnostic {
        let place = self.place(pointer);
        let found = self
            .instance
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_default();
        let problem = super::unknown_value(found, options);
        let label = problem.label.clone();
        self.at(problem, &place, place.value, &label)
    }

    fn place(&self, pointer: &str) -> Place {
        self.places.get(pointer).cloned().unwrap_or(Place {
            path: pointer.trim_start_matches('/').replace('/', "."),
            key: None,
            value: None,
        })
    }

    fn at(
        &self,
        problem: Diagnostic,
        place: &Place,
        offset: Option<usize>,
        label: &str,
    ) -> Diagnostic {
        let problem = problem.path(place.path.clone());
        match offset {
            Some(offset) => problem.at_span(offset, token_len(self.text, offset), label),
            None => problem,
        }
    }
}

fn type_name(kind: &jsonschema::error::TypeKind) -> String {
    let name = |kind: &jsonschema::JsonType| match kind.to_string().as_str() {
        "object" => "a mapping".to_owned(),
        "array" => "a list".to_owned(),
        "string" => "a string".to_owned(),
        "integer" => "a whole number".to_owned(),
        "number" => "a number".to_owned(),
        "boolean" => "true or false".to_owned(),
        "null" => "nothing".to_owned(),
        other => other.to_owned(),
    };
    match kind {
        jsonschema::error::TypeKind::Single(kind) => name(kind),
        jsonschema::error::TypeKind::Multiple(kinds) => kinds
            .iter()
            .map(|kind| name(&kind))
            .collect::<Vec<_>>()
            .join(" or "),
    }
}

fn describe(value: Option<&Value>) -> String {
    match value {
        Some(Value::Object(_)) => "a mapping".to_owned(),
        Some(Value::Array(_)) => "a list".to_owned(),
        Some(Value::String(text)) => format!("the string `{text}`"),
        Some(Value::Number(number)) => format!("the number {number}"),
        Some(Value::Bool(flag)) => format!("`{flag}`"),
        Some(Value::Null) | None => "nothing".to_owned(),
    }
}

/// Whether a key or value anywhere in `node` holds a NUL character.
fn holds_nul(node: &Value) -> bool {
    match node {
        Value::String(text) => text.contains('\0'),
        Value::Array(items) => items.iter().any(holds_nul),
        Value::Object(map) => map
            .iter()
            .any(|(key, item)| key.contains('\0') || holds_nul(item)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::Schema;

    #[test]
    fn a_schema_that_does_not_compile_is_an_error() {
        let broken = serde_json::json!({ "type": 12 });
        assert!(Schema::compile(broken).is_err());
        assert!(Schema::inventory().is_ok());
    }
}
