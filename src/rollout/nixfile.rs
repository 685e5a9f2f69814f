//! What a rendered Nix file says, as far as comparing two renders needs: the
//! files it names by path, and its bindings as flat option paths.

use std::collections::BTreeMap;

use rnix::ast::{Entry, Expr, HasEntry};
use rowan::ast::AstNode;

use crate::check::attr_name;

/// The relative paths (`./x`, `../../common/y.nix`) written in `text`, as they
/// are written; interpolated paths are known only when evaluated, and skipped.
/// Tokens suffice (a path is one token unless interpolated), and cost a
/// fraction of a parse.
pub fn path_literals(text: &str) -> Vec<String> {
    use rnix::SyntaxKind::{TOKEN_INTERPOL_END, TOKEN_INTERPOL_START, TOKEN_PATH_REL};
    let tokens: Vec<rnix::Token> = rnix::tokenize(text).collect();
    tokens
        .iter()
        .enumerate()
        .filter(|(at, (kind, _))| {
            let after_interpolation = at
                .checked_sub(1)
                .is_some_and(|before| tokens[before].0 == TOKEN_INTERPOL_END);
            let interpolated = tokens
                .get(at + 1)
                .is_some_and(|(next, _)| *next == TOKEN_INTERPOL_START);
            *kind == TOKEN_PATH_REL && !after_interpolation && !interpolated
        })
        .map(|(_, (_, path))| (*path).to_owned())
        .collect()
}

/// The output path `written` names, from the file at `from` (both relative to
/// the output directory, with `/`); `None` when it leaves the output.
pub fn resolve(from: &str, written: &str) -> Option<String> {
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for part in written.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            name => parts.push(name),
        }
    }
    Some(parts.join("/"))
}

/// Every binding of `text`, keyed by its attribute path from the top of the
/// file: `{ a = { b = 1; }; c.d = 2; }` is `a.b` and `c.d`. Function bodies are
/// entered (a module is a function of its arguments), `let` bindings are kept as
/// `let NAME` at their level, and any other value is one binding, its source text.
pub fn bindings(text: &str) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    if let Some(expr) = rnix::Root::parse(text).tree().expr() {
        flatten(expr, "", &mut found);
    }
    found
}

fn flatten(expr: Expr, prefix: &str, found: &mut BTreeMap<String, String>) {
    match expr {
        Expr::Lambda(lambda) => {
            if let Some(body) = lambda.body() {
                flatten(body, prefix, found);
            }
        }
        Expr::Paren(paren) => {
            if let Some(inner) = paren.expr() {
                flatten(inner, prefix, found);
            }
        }
        Expr::LetIn(bindings) => {
            flatten_entries(&bindings, &join(prefix, "let "), found);
            if let Some(body) = bindings.body() {
                flatten(body, prefix, found);
            }
        }
        Expr::AttrSet(set) if set.rec_token().is_none() => flatten_entries(&set, prefix, found),
        other => {
            let text = other.syntax().text().to_string();
            found
                .entry(prefix.to_owned())
                .and_modify(|earlier| {
                    earlier.push('\n');
                    earlier.push_str(&text);
                })
                .or_insert(text);
        }
    }
}

fn flatten_entries(bindings: &impl HasEntry, prefix: &str, found: &mut BTreeMap<String, String>) {
    for entry in bindings.entries() {
        match entry {
            Entry::Inherit(inherit) => {
                for attr in inherit.attrs() {
                    let name = attr_name(&attr).unwrap_or_else(|| attr.syntax().to_string());
                    found.insert(join(prefix, &name), "inherit".to_owned());
                }
            }
            Entry::AttrpathValue(binding) => {
                let Some(path) = binding.attrpath() else {
                    continue;
                };
                let names: Vec<String> = path
                    .attrs()
                    .map(|attr| attr_name(&attr).unwrap_or_else(|| attr.syntax().to_string()))
                    .collect();
                if let Some(value) = binding.value() {
                    flatten(value, &join(prefix, &names.join(".")), found);
                }
            }
        }
    }
}

fn join(prefix: &str, name: &str) -> String {
    match (prefix.is_empty(), prefix.ends_with(' ')) {
        (true, _) => name.to_owned(),
        (false, true) => format!("{prefix}{name}"),
        (false, false) => format!("{prefix}.{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bindings_are_flat_option_paths() {
        let module = "{ lib, ... }: let cfg = 1; in {\n  a = { b = 1; c.d = [ 2 ]; };\n  networking.hostName = \"x\";\n  imports = [ ./y ];\n  config = lib.mkIf true { boot.loader.grub.enable = false; };\n}";
        let found = bindings(module);
        let keys: Vec<&str> = found.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "a.b",
                "a.c.d",
                "config",
                "imports",
                "let cfg",
                "networking.hostName"
            ]
        );
        assert_eq!(found["a.c.d"], "[ 2 ]");
        assert!(found["config"].contains("boot.loader.grub.enable"));
    }

    #[test]
    fn paths_resolve_inside_the_output() {
        let text = "{ imports = [ ../../common/global ./firewall.nft \"${x}\" ]; y = ./${z}/w; v = ./a/${b}; }";
        assert_eq!(
            path_literals(text),
            ["../../common/global", "./firewall.nft"]
        );
        assert_eq!(
            resolve("hosts/c1/default.nix", "../../common/global").as_deref(),
            Some("common/global")
        );
        assert_eq!(
            resolve("flake.nix", "./hosts/c1").as_deref(),
            Some("hosts/c1")
        );
        assert_eq!(resolve("flake.nix", "../elsewhere"), None);
    }
}
