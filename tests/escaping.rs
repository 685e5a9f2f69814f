//! Literals made by the serialising filters decode, with the languages' own
//! parsers, to exactly the value that went in.

use flakegen::render::filters::{hcl_string, nix_attr_name, nix_string};
use proptest::prelude::*;
use rnix::ast::{self, HasEntry, InterpolPart};

use crate::support::{no_nul, tricky_string};

/// The value of a Nix string literal, as rnix decodes it.
fn decode_nix_string(literal: &str) -> Result<String, String> {
    let parsed = rnix::Root::parse(literal);
    if let Some(error) = parsed.errors().first() {
        return Err(format!("{literal} does not parse: {error}"));
    }
    let Some(ast::Expr::Str(string)) = parsed.tree().expr() else {
        return Err(format!("{literal} is not a string"));
    };
    string
        .normalized_parts()
        .into_iter()
        .map(|part| match part {
            InterpolPart::Literal(text) => Ok(text),
            InterpolPart::Interpolation(_) => Err(format!("{literal} interpolates")),
        })
        .collect()
}

/// The name of the single attribute of `{ <name> = null; }`, as rnix decodes it.
fn decode_nix_attr(name: &str) -> Result<String, String> {
    let source = format!("{{ {name} = null; }}");
    let parsed = rnix::Root::parse(&source);
    if let Some(error) = parsed.errors().first() {
        return Err(format!("{source} does not parse: {error}"));
    }
    let Some(ast::Expr::AttrSet(set)) = parsed.tree().expr() else {
        return Err(format!("{source} is not an attribute set"));
    };
    let attr = set
        .attrpath_values()
        .next()
        .and_then(|binding| binding.attrpath())
        .and_then(|path| path.attrs().next())
        .ok_or_else(|| format!("{source} has no attribute"))?;
    match attr {
        ast::Attr::Ident(ident) => Ok(ident.to_string()),
        ast::Attr::Str(string) => decode_nix_string(&string.to_string()),
        ast::Attr::Dynamic(_) => Err(format!("{source} has a dynamic attribute")),
    }
}

/// The value of an HCL string literal, as hcl-rs decodes it.
fn decode_hcl_string(literal: &str) -> Result<String, String> {
    #[derive(serde::Deserialize)]
    struct Holder {
        x: String,
    }
    hcl::from_str::<Holder>(&format!("x = {literal}\n"))
        .map(|holder| holder.x)
        .map_err(|error| format!("{literal} does not decode: {error}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn nix_strings_decode_to_their_value(text in no_nul()) {
        prop_assert_eq!(decode_nix_string(&nix_string(&text)), Ok(text));
    }

    #[test]
    fn nix_attribute_names_decode_to_their_value(name in no_nul()) {
        prop_assert_eq!(decode_nix_attr(&nix_attr_name(&name)), Ok(name));
    }

    #[test]
    fn hcl_strings_decode_to_their_value(text in tricky_string()) {
        prop_assert_eq!(decode_hcl_string(&hcl_string(&text)), Ok(text));
    }
}
