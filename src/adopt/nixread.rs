//! What a hand-written Nix file sets, as far as an inventory can say it: every
//! binding with its full attribute path, wherever it is (inside `lib.mkIf`,
//! `lib.mkMerge` or a module's `config`), and its value when it is plain data.

use rnix::ast::{self, Expr, HasEntry};
use rowan::ast::AstNode;

use crate::check::attr_name;

/// One binding: its full path (`users.users.admin.openssh.authorizedKeys.keys`)
/// and its value.
pub struct Binding {
    pub path: String,
    pub value: Expr,
    /// Whether it is set only under a condition, or merged from a list
    /// (`lib.mkIf c { … }`, `lib.mkMerge [ … ]`): not a plain setting.
    pub conditional: bool,
}

impl Binding {
    /// The path without a module's leading `config.`.
    pub fn option(&self) -> &str {
        self.path.strip_prefix("config.").unwrap_or(&self.path)
    }

    /// The value as data, when it is a literal: strings without
    /// interpolation, numbers, booleans, `null`, and lists and sets of them.
    pub fn literal(&self) -> Option<serde_json::Value> {
        literal(&self.value)
    }

    /// The value's source text.
    pub fn text(&self) -> String {
        self.value.syntax().text().to_string()
    }
}

/// Every binding whose value is not itself a set of bindings, in file order.
pub fn bindings(text: &str) -> Vec<Binding> {
    let root = rnix::Root::parse(text).syntax();
    root.descendants()
        .filter_map(ast::AttrpathValue::cast)
        .filter_map(|binding| {
            let value = binding.value()?;
            if matches!(&value, Expr::AttrSet(set) if set.rec_token().is_none()) {
                return None;
            }
            let conditional = binding.syntax().ancestors().skip(1).any(|node| {
                !(ast::AttrSet::can_cast(node.kind())
                    || ast::AttrpathValue::can_cast(node.kind())
                    || ast::Lambda::can_cast(node.kind())
                    || ast::LetIn::can_cast(node.kind())
                    || ast::Paren::can_cast(node.kind())
                    || ast::Root::can_cast(node.kind()))
            });
            Some(Binding {
                path: full_path(&binding)?,
                value,
                conditional,
            })
        })
        .collect()
}

/// The binding's attribute path, prefixed by those of the bindings around it;
/// `None` for a `let` binding, which sets no option.
fn full_path(binding: &ast::AttrpathValue) -> Option<String> {
    if binding
        .syntax()
        .parent()
        .is_some_and(|parent| ast::LetIn::can_cast(parent.kind()))
    {
        return None;
    }
    let mut parts = vec![local_path(binding)?];
    for ancestor in binding.syntax().ancestors().skip(1) {
        if let Some(outer) = ast::AttrpathValue::cast(ancestor) {
            parts.push(local_path(&outer)?);
        }
    }
    parts.reverse();
    Some(parts.join("."))
}

fn local_path(binding: &ast::AttrpathValue) -> Option<String> {
    let names: Option<Vec<String>> = binding
        .attrpath()?
        .attrs()
        .map(|attr| attr_name(&attr))
        .collect();
    Some(names?.join("."))
}

fn literal(expr: &Expr) -> Option<serde_json::Value> {
    use serde_json::Value;
    match expr {
        Expr::Str(string) => {
            let parts: Option<String> = string
                .normalized_parts()
                .into_iter()
                .map(|part| match part {
                    ast::InterpolPart::Literal(text) => Some(text),
                    ast::InterpolPart::Interpolation(_) => None,
                })
                .collect();
            parts.map(Value::String)
        }
        Expr::Literal(literal) => {
            let text = literal.syntax().text().to_string();
            text.parse::<i64>()
                .map(Value::from)
                .ok()
                .or_else(|| text.parse::<f64>().ok().map(Value::from))
        }
        Expr::Ident(ident) => match ident.syntax().text().to_string().as_str() {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            "null" => Some(Value::Null),
            _ => None,
        },
        Expr::List(list) => list
            .items()
            .map(|item| literal(&item))
            .collect::<Option<Vec<_>>>()
            .map(Value::Array),
        Expr::AttrSet(set) if set.rec_token().is_none() => {
            let mut map = serde_json::Map::new();
            for entry in set.entries() {
                let ast::Entry::AttrpathValue(binding) = entry else {
                    return None;
                };
                map.insert(local_path(&binding)?, literal(&binding.value()?)?);
            }
            Some(Value::Object(map))
        }
        Expr::Paren(paren) => literal(&paren.expr()?),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bindings_anywhere_with_literal_values() {
        let text = r#"{ lib, ... }: {
  imports = [ ../../common/x.nix ./hw.nix ];
  config = lib.mkMerge [ { system.stateVersion = "25.05"; } ];
  users.users.admin = { openssh.authorizedKeys.keys = [ "ssh-ed25519 A" ]; };
  services.x = { enable = true; port = 8080; name = "n${y}"; };
}"#;
        let found = bindings(text);
        let by_path = |path: &str| found.iter().find(|binding| binding.option() == path);
        assert_eq!(
            by_path("system.stateVersion").and_then(Binding::literal),
            Some("25.05".into())
        );
        assert_eq!(
            by_path("users.users.admin.openssh.authorizedKeys.keys").and_then(Binding::literal),
            Some(serde_json::json!(["ssh-ed25519 A"]))
        );
        assert_eq!(
            by_path("services.x.port").and_then(Binding::literal),
            Some(8080.into())
        );
        assert_eq!(by_path("services.x.name").and_then(Binding::literal), None);
        let imports = by_path("imports").expect("imports");
        assert_eq!(
            crate::rollout::nixfile::path_literals(&imports.text()),
            ["../../common/x.nix", "./hw.nix"]
        );
    }
}
