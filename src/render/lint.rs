//! Every template, embedded or overridden, is checked before anything renders:
//! each `{{ … }}` ends in a serialising filter, so no value reaches the output
//! unescaped, and every variable path names a field of the view model (read from
//! its JSON Schema), so a misspelt field is an error even where Tera would read
//! it as false (`{% if host.is_wroker %}`) or pass it on as undefined.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde_json::Value;

use crate::context::RenderContext;

/// Words of Tera's expression language that are not variables.
const KEYWORDS: [&str; 12] = [
    "in", "not", "and", "or", "if", "else", "for", "is", "true", "false", "none", "loop",
];

static VIEW_MODEL: LazyLock<Value> =
    LazyLock::new(|| schemars::schema_for!(RenderContext<'static>).to_value());

/// The first problem of template `source`, as `line N: …`.
pub fn check(source: &str) -> Result<(), String> {
    let mut scopes: Vec<BTreeMap<String, Shape>> = vec![BTreeMap::new()];
    for tag in tags(source) {
        let line = source[..tag.offset].matches('\n').count() + 1;
        check_tag(&tag, &mut scopes).map_err(|problem| format!("line {line}: {problem}"))?;
    }
    Ok(())
}

/// What a name stands for: a place in the view model's schema, or anything.
#[derive(Clone)]
enum Shape {
    Schema(Value),
    Any,
}

struct Tag<'a> {
    offset: usize,
    /// `{{` or `{%`.
    kind: &'a str,
    body: &'a str,
}

/// The `{{ … }}` and `{% … %}` tags of a template, with their `-` trims removed.
fn tags(source: &str) -> Vec<Tag<'_>> {
    let mut found = Vec::new();
    let mut rest = 0;
    while let Some(start) = source[rest..].find('{').map(|index| rest + index) {
        let kind = source.get(start..start + 2).unwrap_or_default();
        let close = match kind {
            "{{" => "}}",
            "{%" => "%}",
            "{#" => "#}",
            _ => {
                rest = start + 1;
                continue;
            }
        };
        let Some(end) = source[start + 2..]
            .find(close)
            .map(|index| start + 2 + index)
        else {
            break;
        };
        if kind != "{#" {
            let body = source[start + 2..end]
                .trim_start_matches('-')
                .trim_end_matches('-');
            found.push(Tag {
                offset: start,
                kind,
                body: body.trim(),
            });
        }
        rest = end + 2;
    }
    found
}

fn check_tag(tag: &Tag, scopes: &mut Vec<BTreeMap<String, Shape>>) -> Result<(), String> {
    if tag.kind == "{{" {
        check_paths(tag.body, scopes)?;
        return serialised(tag.body);
    }
    let mut words = tag.body.splitn(2, char::is_whitespace);
    let keyword = words.next().unwrap_or_default();
    let rest = words.next().unwrap_or_default();
    match keyword {
        "if" | "elif" => check_paths(rest, scopes),
        "for" => {
            let (names, iterated) = rest
                .split_once(" in ")
                .ok_or_else(|| format!("`{{% {} %}}` has no `in`", tag.body))?;
            check_paths(iterated, scopes)?;
            let iterated = iterated.trim();
            let is_path = iterated
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.'));
            // What an expression (`range(end=3)`, a filter) yields is not known here.
            let shape = if is_path {
                shape_of(iterated, scopes)?
            } else {
                Shape::Any
            };
            scopes.push(loop_bindings(names, &shape));
            Ok(())
        }
        "endfor" => {
            scopes.pop();
            Ok(())
        }
        "set" => {
            let (name, value) = rest.split_once('=').unwrap_or((rest, ""));
            check_paths(value, scopes)?;
            if let Some(scope) = scopes.last_mut() {
                scope.insert(name.trim().to_owned(), Shape::Any);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Names a `for` binds: one item, or a key and value of a mapping.
fn loop_bindings(names: &str, iterated: &Shape) -> BTreeMap<String, Shape> {
    let names: Vec<&str> = names.split(',').map(str::trim).collect();
    let mut scope = BTreeMap::new();
    match names.as_slice() {
        [key, value] => {
            scope.insert((*key).to_owned(), Shape::Any);
            scope.insert(
                (*value).to_owned(),
                element(iterated, "additionalProperties"),
            );
        }
        [item] => {
            scope.insert((*item).to_owned(), element(iterated, "items"));
        }
        _ => {}
    }
    scope
}

/// The schema of an item (`items`) or a mapping's value (`additionalProperties`).
fn element(shape: &Shape, keyword: &str) -> Shape {
    match shape {
        Shape::Schema(schema) => match resolve(schema).get(keyword) {
            Some(inner) if inner.is_object() => Shape::Schema(inner.clone()),
            _ => Shape::Any,
        },
        Shape::Any => Shape::Any,
    }
}

/// The output of `{{ body }}` must come out of a serialising filter.
fn serialised(body: &str) -> Result<(), String> {
    let last_filter = top_level_pipes(body)
        .last()
        .map(|&pipe| identifier_at(body[pipe + 1..].trim_start()));
    match last_filter {
        Some(filter) if super::serialising_filters().any(|known| known == filter) => Ok(()),
        _ => Err(format!(
            "`{{{{ {body} }}}}` reaches the output without a serialising filter; end it with \
             one of: {}",
            super::serialising_filters().collect::<Vec<_>>().join(", ")
        )),
    }
}

/// Offsets of the `|` outside strings, brackets and parentheses (`||` excluded).
fn top_level_pipes(body: &str) -> Vec<usize> {
    let mut pipes = Vec::new();
    let mut depth = 0usize;
    let mut quote = None;
    let bytes = body.as_bytes();
    for (index, c) in body.char_indices() {
        match (quote, c) {
            (Some(open), _) if c == open => quote = None,
            (None, '"' | '\'') => quote = Some(c),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')' | ']' | '}') => depth = depth.saturating_sub(1),
            (None, '|') if depth == 0 && bytes.get(index + 1) != Some(&b'|') => pipes.push(index),
            _ => {}
        }
    }
    pipes
}

fn identifier_at(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// Every variable path of an expression names something the context has.
/// Names a comprehension binds (`[x.a for x in list]`) are known within it.
fn check_paths(expression: &str, scopes: &[BTreeMap<String, Shape>]) -> Result<(), String> {
    let words = words(expression);
    let mut scopes = scopes.to_vec();
    let mut bound = BTreeMap::new();
    for window in words.windows(4) {
        if let [for_word, name, in_word, iterated] = window
            && for_word == "for"
            && in_word == "in"
        {
            let shape = shape_of(iterated, &scopes)?;
            bound.insert(name.clone(), element(&shape, "items"));
        }
    }
    scopes.push(bound);
    for word in &words {
        if !KEYWORDS.contains(&word.as_str()) {
            shape_of(word, &scopes)?;
        }
    }
    Ok(())
}

/// The variable paths (`cluster.nfs.export`) and keywords of an expression, in
/// order; strings, numbers, filter names and test names left out.
fn words(expression: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut chars = expression.char_indices().peekable();
    let mut after_pipe = false;
    while let Some((start, c)) = chars.next() {
        match c {
            '"' | '\'' => {
                for (_, inner) in chars.by_ref() {
                    if inner == c {
                        break;
                    }
                }
            }
            '|' => after_pipe = true,
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut end = start + 1;
                while let Some(&(index, next)) = chars.peek() {
                    if !(next.is_ascii_alphanumeric() || next == '_' || next == '.') {
                        break;
                    }
                    end = index + 1;
                    chars.next();
                }
                let is_test = found.last().is_some_and(|last| last == "is");
                // A function (`range(…)`) or a keyword argument (`value=…`) is no variable.
                let next = expression[end..].trim_start();
                let named_argument = next.starts_with('=') && !next.starts_with("==");
                let call = next.starts_with('(');
                if !(after_pipe || is_test || named_argument || call) {
                    found.push(expression[start..end].to_owned());
                }
                after_pipe = false;
            }
            c if c.is_ascii_digit() => {
                while chars
                    .peek()
                    .is_some_and(|(_, next)| next.is_ascii_alphanumeric() || *next == '.')
                {
                    chars.next();
                }
            }
            _ => {}
        }
    }
    found
}

/// What `path` (`host.mounts`) stands for, or why it stands for nothing.
fn shape_of(path: &str, scopes: &[BTreeMap<String, Shape>]) -> Result<Shape, String> {
    let mut segments = path.split('.');
    let root = segments.next().unwrap_or_default();
    let mut shape = match scopes.iter().rev().find_map(|scope| scope.get(root)) {
        Some(shape) => shape.clone(),
        None if root == "loop" => Shape::Any,
        None => {
            let top = resolve(&VIEW_MODEL)["properties"].get(root).cloned();
            Shape::Schema(top.ok_or_else(|| unknown(path, root))?)
        }
    };
    for segment in segments {
        shape = match shape {
            Shape::Any => Shape::Any,
            Shape::Schema(schema) => {
                field(&schema, segment).ok_or_else(|| unknown(path, segment))?
            }
        };
    }
    Ok(shape)
}

fn unknown(path: &str, segment: &str) -> String {
    format!(
        "`{path}`: the context has no `{segment}` there (`gen context` prints what templates see)"
    )
}

/// The schema of field `name` of the object `schema` describes.
fn field(schema: &Value, name: &str) -> Option<Shape> {
    let schema = resolve(schema);
    if let Some(field) = schema["properties"].get(name) {
        return Some(Shape::Schema(field.clone()));
    }
    match schema.get("additionalProperties") {
        Some(inner) if inner.is_object() => Some(Shape::Schema(inner.clone())),
        _ if is_open(schema) => Some(Shape::Any),
        _ => None,
    }
}

/// A schema that allows anything (`true`, `{}`): arbitrary JSON such as `nix` values.
fn is_open(schema: &Value) -> bool {
    schema == &Value::Bool(true)
        || schema
            .as_object()
            .is_some_and(|map| map.keys().all(|key| key == "description"))
}

/// `schema` with `$ref` followed and an optional value's `null` branch set aside.
fn resolve(schema: &Value) -> &Value {
    let mut schema = schema;
    for _ in 0..8 {
        if let Some(target) = schema["$ref"]
            .as_str()
            .and_then(|reference| reference.strip_prefix('#'))
            .and_then(|pointer| VIEW_MODEL.pointer(pointer))
        {
            schema = target;
            continue;
        }
        let branches = schema["anyOf"].as_array().or(schema["oneOf"].as_array());
        let non_null: Vec<&Value> = branches
            .into_iter()
            .flatten()
            .filter(|branch| branch["type"] != "null")
            .collect();
        match non_null.as_slice() {
            [only] => schema = only,
            _ => return schema,
        }
    }
    schema
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn accepts_what_the_embedded_templates_write() {
        let template = "{%- for host in cluster.hosts %}\n{{ host.name | nix }}\n\
            {%- for key, value in host.deploy %}{{ key | nix_attr }} = {{ value | nix }};{%- endfor %}\n\
            {%- if host.is_worker and not host.profile %}{{ (\"./\" ~ host.dir) | nix_path }}{%- endif %}\n\
            {%- endfor %}\n\
            {{ [peer.url_address for peer in cluster.hosts if \"x\" in peer.roles] | nix }}";
        assert_eq!(check(template), Ok(()));
    }

    #[test]
    fn refuses_a_misspelt_field_even_in_a_condition() {
        let problem = check(
            "{% for host in cluster.hosts %}\n{% if host.is_wroker %}{% endif %}{% endfor %}",
        );
        assert!(
            problem.is_err_and(
                |problem| problem.starts_with("line 2:") && problem.contains("is_wroker")
            )
        );
        assert!(check("{{ host.nmae | nix }}").is_err());
        assert!(check("{{ nope | nix }}").is_err());
    }

    #[test]
    fn refuses_a_value_without_a_serialising_filter() {
        assert!(check("{{ cluster.name }}").is_err());
        assert!(check("{{ cluster.name | upper }}").is_err());
        assert!(check("{{ cluster.name | upper | nix }}").is_ok());
        assert!(check("{{ cluster.time_zone | default(value=\"UTC\") | nix }}").is_ok());
        assert!(check("{% for i in range(end=3) %}{{ i | nix }}{% endfor %}").is_ok());
        assert!(check("{{ (\"a|b\" ~ cluster.name) | hcl }}").is_ok());
    }
}
