//! Arbitrary text in the inventory's free-text fields either gets a located
//! diagnostic, or renders into output where it is data: the Nix and HCL
//! parsers read back exactly the text that went in.

use proptest::prelude::*;
use rnix::ast::{self, HasEntry, InterpolPart};
use serde_json::{Value, json};

use crate::support::{three_servers, tricky_string};

/// A small valid inventory with one service and one plain host.
fn base() -> Value {
    let mut document = three_servers();
    document["hosts"]["desk"] = json!({ "address": "10.0.0.4", "roles": [] });
    document["services"] = json!({ "web": { "image": "nginx:1.27", "ports": { "http": 8080 } } });
    document
}

/// The rendered files, or `None` when the inventory is refused, in which case
/// every diagnostic must have its place in the file.
fn render(document: &Value) -> Option<Vec<flakegen::render::RenderedFile>> {
    let text = serde_json::to_string_pretty(document).expect("JSON is YAML");
    match flakegen::prepare_bytes("inventory.yaml", text.as_bytes()) {
        Ok(prepared) => {
            let templates = flakegen::render::Templates::load(None).expect("templates");
            let files = flakegen::render_cluster(
                std::path::Path::new("inventory.yaml"),
                &prepared.cluster,
                &templates,
            )
            .unwrap_or_else(|error| {
                panic!("validated but did not render: {}", error.with_causes())
            });
            Some(files)
        }
        Err(flakegen::error::Error::Invalid { problems, .. }) => {
            for problem in &problems {
                assert!(problem.at.is_some(), "`{}` has no place", problem.code);
            }
            None
        }
        Err(other) => panic!("failed as no inventory should: {other}"),
    }
}

fn contents<'a>(files: &'a [flakegen::render::RenderedFile], path: &str) -> &'a str {
    &files
        .iter()
        .find(|file| file.path == path)
        .unwrap_or_else(|| panic!("{path} is rendered"))
        .contents
}

/// The first value under `key`, anywhere in an HCL document read as JSON.
fn hcl_value(document: &Value, key: &str) -> Option<Value> {
    match document {
        Value::Object(map) => map
            .get(key)
            .cloned()
            .or_else(|| map.values().find_map(|inner| hcl_value(inner, key))),
        Value::Array(items) => items.iter().find_map(|inner| hcl_value(inner, key)),
        _ => None,
    }
}

/// The string bound to `path` (`services.x.description`) in a Nix file.
fn nix_binding(text: &str, path: &str) -> Option<String> {
    let root = rnix::Root::parse(text).tree();
    let ast::Expr::Lambda(lambda) = root.expr()? else {
        return None;
    };
    let ast::Expr::AttrSet(set) = lambda.body()? else {
        return None;
    };
    let binding = set.attrpath_values().find(|binding| {
        binding
            .attrpath()
            .is_some_and(|attrs| attrs.to_string() == path)
    })?;
    let ast::Expr::Str(string) = binding.value()? else {
        return None;
    };
    string
        .normalized_parts()
        .into_iter()
        .map(|part| match part {
            InterpolPart::Literal(text) => Some(text),
            InterpolPart::Interpolation(_) => None,
        })
        .collect()
}

fn job(files: &[flakegen::render::RenderedFile]) -> Value {
    hcl::from_str(contents(files, "services/web.hcl")).expect("the job decodes")
}

/// Fields of free text, by JSON pointer, that reach templates as they are.
const FREE_TEXT: [&str; 12] = [
    "/cluster/name",
    "/cluster/domain",
    "/cluster/admin/user",
    "/cluster/time_zone",
    "/cluster/state_version",
    "/cluster/nixpkgs",
    "/hosts/desk/address",
    "/services/web/image",
    "/services/web/data_path",
    "/services/web/env/GREETING",
    "/services/web/args/0",
    "/hosts/desk/nix/services.x.description",
];

/// `document` with `text` at `pointer`, creating the objects and arrays on the way.
fn with_text(pointer: &str, text: &str) -> Value {
    let mut document = base();
    let mut node = &mut document;
    let segments: Vec<&str> = pointer.split('/').skip(1).collect();
    for (index, segment) in segments.iter().enumerate() {
        let last = index + 1 == segments.len();
        if let Ok(position) = segment.parse::<usize>() {
            if !node.is_array() {
                *node = json!([]);
            }
            let items = node.as_array_mut().expect("an array");
            items.resize(position + 1, Value::Null);
            node = &mut items[position];
        } else {
            if !node.is_object() {
                *node = json!({});
            }
            node = node
                .as_object_mut()
                .expect("an object")
                .entry((*segment).to_owned())
                .or_insert(Value::Null);
        }
        if last {
            *node = Value::String(text.to_owned());
        }
    }
    document
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn text_in_any_field_is_refused_in_place_or_rendered(
        text in tricky_string(),
        field in 0..FREE_TEXT.len(),
    ) {
        render(&with_text(FREE_TEXT[field], &text));
    }

    #[test]
    fn environment_values_are_data(text in tricky_string()) {
        if let Some(files) = render(&with_text("/services/web/env/GREETING", &text)) {
            prop_assert_eq!(hcl_value(&job(&files), "GREETING"), Some(Value::String(text)));
        }
    }

    #[test]
    fn arguments_are_data(text in tricky_string()) {
        if let Some(files) = render(&with_text("/services/web/args/0", &text)) {
            prop_assert_eq!(hcl_value(&job(&files), "args"), Some(json!([text])));
        }
    }

    #[test]
    fn nix_strings_are_data(text in tricky_string()) {
        let document = with_text("/hosts/desk/nix/services.x.description", &text);
        if let Some(files) = render(&document) {
            let host = contents(&files, "hosts/desk/default.nix");
            prop_assert_eq!(nix_binding(host, "services.x.description"), Some(text));
        }
    }
}

/// The properties above are not satisfied by refusals alone: text full of
/// quotes, escapes and template introducers renders, and reads back.
#[test]
fn tricky_text_renders_and_reads_back() {
    let text = "a \"quoted\" ${NOMAD_PORT} %{if} $${x} back\\slash\nnew line";
    let files = render(&with_text("/services/web/env/GREETING", text)).expect("renders");
    assert_eq!(hcl_value(&job(&files), "GREETING"), Some(Value::from(text)));
    let files = render(&with_text("/services/web/args/0", text)).expect("renders");
    assert_eq!(hcl_value(&job(&files), "args"), Some(json!([text])));
    let files =
        render(&with_text("/hosts/desk/nix/services.x.description", text)).expect("renders");
    let host = contents(&files, "hosts/desk/default.nix");
    assert_eq!(
        nix_binding(host, "services.x.description").as_deref(),
        Some(text)
    );
}
