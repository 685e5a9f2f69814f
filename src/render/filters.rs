//! Serialising filters: the only way a value reaches Nix or HCL output.
//!
//! Each filter turns a value into a literal of the target language, quoting and
//! escaping it, so no inventory text can end a string early or start an
//! interpolation. Attribute maps are written with sorted keys.

use std::fmt::Write;

use serde_json::Value;

/// A value as a Nix literal, or why it has none: Nix strings cannot hold NUL,
/// and Nix integers are 64-bit.
pub fn nix(value: &Value) -> Result<String, String> {
    Ok(match value {
        Value::Null => "null".to_owned(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => {
            let text = nix_number(number)?;
            if text.starts_with('-') {
                format!("({text})")
            } else {
                text
            }
        }
        Value::String(text) => checked_nix_string(text)?,
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(nix).collect::<Result<_, _>>()?;
            format!("[ {} ]", items.join(" "))
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let body: Vec<String> = entries
                .into_iter()
                .map(|(key, value)| Ok(format!("{} = {};", checked_attr_name(key)?, nix(value)?)))
                .collect::<Result<_, String>>()?;
            format!("{{ {} }}", body.join(" "))
        }
    })
}

/// A number as Nix reads it back: an integer that fits 64 bits, or a float
/// whose mantissa has a `.` (Nix reads `1e-7` as `1` applied to `e-7`).
pub fn nix_number(number: &serde_json::Number) -> Result<String, String> {
    if let Some(integer) = number.as_i64() {
        // `-9223372036854775808` is a negation of an integer one too large.
        return Ok(if integer == i64::MIN {
            format!("({} - 1)", i64::MIN + 1)
        } else {
            integer.to_string()
        });
    }
    if number.is_u64() {
        return Err(format!("{number} is larger than Nix's largest integer"));
    }
    if number
        .as_f64()
        .is_some_and(|float| float != 0.0 && !float.is_normal())
    {
        return Err(format!("{number} is too small for a Nix float"));
    }
    let text = number.to_string();
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => text.split_at(at),
        None => (text.as_str(), ""),
    };
    let dot = if mantissa.contains('.') { "" } else { ".0" };
    Ok(format!("{mantissa}{dot}{exponent}"))
}

fn checked_nix_string(text: &str) -> Result<String, String> {
    if text.contains('\0') {
        Err(format!(
            "{text:?} contains a NUL character, which a Nix string cannot hold"
        ))
    } else {
        Ok(nix_string(text))
    }
}

fn checked_attr_name(name: &str) -> Result<String, String> {
    checked_nix_string(name).map(|_| nix_attr_name(name))
}

/// A double-quoted Nix string whose value is exactly `text`.
pub fn nix_string(text: &str) -> String {
    quoted(text, |c, next, out| {
        let interpolates = c == '$' && next == Some('{');
        if interpolates {
            out.push_str("\\$");
        }
        interpolates
    })
}

/// `text` in double quotes, with `"`, `\`, newline, return and tab escaped as
/// Nix and HCL both write them. `language` escapes first what only its language
/// needs (a character and the one after it), and says whether it did.
fn quoted(text: &str, language: impl Fn(char, Option<char>, &mut String) -> bool) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if language(c, chars.peek().copied(), &mut out) {
            continue;
        }
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

const NIX_KEYWORDS: [&str; 9] = [
    "assert", "else", "if", "in", "inherit", "let", "or", "rec", "then",
];

/// An attribute name: a bare identifier when Nix reads it as one, else a string.
pub fn nix_attr_name(name: &str) -> String {
    let mut chars = name.chars();
    let is_identifier = chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '\'' | '-'))
        && !NIX_KEYWORDS.contains(&name);
    if is_identifier {
        name.to_owned()
    } else {
        nix_string(name)
    }
}

/// An option path such as `services.tailscale.enable` or `a."b.c"`, as the
/// inventory's grammar reads it, or why it is not one.
pub fn nix_attr_path(path: &str) -> Result<String, String> {
    let segments = crate::inventory::option_path_segments(path)
        .ok_or_else(|| format!("`{path}` is not an option path"))?;
    Ok(segments
        .iter()
        .map(|segment| nix_attr_name(segment))
        .collect::<Vec<_>>()
        .join("."))
}

/// A relative Nix path literal (`./x.nix`, `../modules/y.nix`), or why it cannot be one.
pub fn nix_path(path: &str) -> Result<String, String> {
    if crate::inventory::is_relative_nix_path(path) {
        Ok(path.to_owned())
    } else {
        Err(format!(
            "`{path}` is not a relative Nix path: start it with `./` or `../` and use only letters, digits, `.`, `_`, `-`, `+` and `/`"
        ))
    }
}

/// A value as a YAML flow literal: JSON, whose strings are YAML double-quoted
/// scalars with the same escapes.
pub fn yaml(value: &Value) -> String {
    value.to_string()
}

/// A value as Markdown inline code: a string as a code span (fenced with more
/// backticks than it holds), a number as digits, a list as code spans joined by
/// `, `. Line breaks and other control characters are refused.
pub fn markdown(value: &Value) -> Result<String, String> {
    match value {
        Value::Number(number) => Ok(number.to_string()),
        Value::String(text) if text.chars().any(char::is_control) => Err(format!(
            "`{text:?}` cannot be Markdown inline code: it has a control character"
        )),
        Value::String(text) => {
            let longest_run = text
                .split(|c| c != '`')
                .map(str::len)
                .max()
                .unwrap_or_default();
            let fence = "`".repeat(longest_run + 1);
            let pad = if text.starts_with('`') || text.ends_with('`') {
                " "
            } else {
                ""
            };
            Ok(format!("{fence}{pad}{text}{pad}{fence}"))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(markdown).collect::<Result<_, _>>()?;
            Ok(items.join(", "))
        }
        other => Err(format!("`{other}` has no Markdown form")),
    }
}

/// A line of a fenced Markdown code block: the text as it is, refused when it
/// holds a line break (it would end the line) or another control character.
pub fn markdown_line(text: &str) -> Result<String, String> {
    if text.chars().any(char::is_control) {
        Err(format!("`{text:?}` is not one line of a code block"))
    } else {
        Ok(text.to_owned())
    }
}

/// A value as nftables reads it: a number as digits, an address or network as
/// written, other text as a quoted string, a list as its elements joined by
/// `, ` (the inside of a set). Text nftables cannot quote is refused.
pub fn nft(value: &Value) -> Result<String, String> {
    match value {
        Value::Number(number) if number.is_u64() => Ok(number.to_string()),
        Value::String(text) if is_address_or_network(text) => Ok(text.clone()),
        Value::String(text) if !text.chars().any(|c| c == '"' || c.is_control()) => {
            Ok(format!("\"{text}\""))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(nft).collect::<Result<_, _>>()?;
            Ok(items.join(", "))
        }
        other => Err(format!("`{other}` has no nftables literal")),
    }
}

/// An nftables identifier (a chain or set name): lowercase letters, digits and
/// `-`, starting with a letter.
pub fn nft_ident(name: &str) -> Result<String, String> {
    let mut chars = name.chars();
    let valid = chars.next().is_some_and(|first| first.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if valid {
        Ok(name.to_owned())
    } else {
        Err(format!("`{name}` is not an nftables identifier"))
    }
}

fn is_address_or_network(text: &str) -> bool {
    text.parse::<std::net::IpAddr>().is_ok() || text.parse::<ipnet::IpNet>().is_ok()
}

/// A value as an HCL literal.
pub fn hcl(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => number.to_string(),
        Value::String(text) => hcl_string(text),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(hcl).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let body: Vec<String> = entries
                .into_iter()
                .map(|(key, value)| format!("{} = {}", hcl_key(key), hcl(value)))
                .collect();
            format!("{{ {} }}", body.join(", "))
        }
    }
}

/// A quoted HCL string whose value is exactly `text`: template introducers are
/// doubled, other control characters written as `\uXXXX`.
pub fn hcl_string(text: &str) -> String {
    quoted(text, |c, next, out| match c {
        '$' | '%' if next == Some('{') => {
            out.push(c);
            out.push(c);
            true
        }
        '\n' | '\r' | '\t' => false,
        c if c.is_control() => {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
            true
        }
        _ => false,
    })
}

/// A name that must be written bare, such as an attribute in a block, or why it cannot be.
pub fn hcl_ident(name: &str) -> Result<String, String> {
    if hcl_key(name) == name {
        Ok(name.to_owned())
    } else {
        Err(format!(
            "`{name}` is not an HCL identifier: use letters, digits, `_` and `-`, starting with a letter or `_`"
        ))
    }
}

/// An object key: a bare identifier when HCL reads it as one, else a string.
pub fn hcl_key(key: &str) -> String {
    let mut chars = key.chars();
    let is_identifier = chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
    if is_identifier {
        key.to_owned()
    } else {
        hcl_string(key)
    }
}

/// A value as a Graphviz DOT quoted string (also a valid identifier): `"` and
/// `\` escaped, a line break as `\n`. Numbers are quoted too.
pub fn dot(value: &Value) -> Result<String, String> {
    let text = match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        other => return Err(format!("`{other}` has no DOT string")),
    };
    // Older Graphviz reads a final `\\"` as an escaped quote, not the string's end.
    if text.chars().any(|c| c.is_control() && c != '\n') || text.ends_with('\\') {
        return Err(format!("`{text:?}` cannot be a DOT string"));
    }
    let escaped = text
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n");
    Ok(format!("\"{escaped}\""))
}

/// A value as a quoted Mermaid label: `"` written as its entity, `#` too (it
/// starts one), one line.
pub fn mermaid(value: &Value) -> Result<String, String> {
    let text = match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        other => return Err(format!("`{other}` has no Mermaid label")),
    };
    if text.chars().any(char::is_control) {
        return Err(format!("`{text:?}` cannot be a Mermaid label"));
    }
    // Mermaid reads entities as `#name;` and the label as HTML; a backtick
    // starts Markdown in a label, and three would close CLUSTER.md's fence.
    let mut label = String::with_capacity(text.len() + 2);
    label.push('"');
    for c in text.chars() {
        match c {
            '#' => label.push_str("#35;"),
            '"' => label.push_str("#quot;"),
            '<' => label.push_str("#lt;"),
            '>' => label.push_str("#gt;"),
            '&' => label.push_str("#amp;"),
            '`' => label.push_str("#96;"),
            other => label.push(other),
        }
    }
    label.push('"');
    Ok(label)
}

/// A Mermaid node or subgraph identifier: letters, digits and `_`.
pub fn mermaid_id(name: &str) -> Result<String, String> {
    const KEYWORDS: [&str; 7] = [
        "end",
        "subgraph",
        "graph",
        "flowchart",
        "style",
        "class",
        "click",
    ];
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !KEYWORDS.contains(&name.to_ascii_lowercase().as_str());
    if valid {
        Ok(name.to_owned())
    } else {
        Err(format!("`{name}` is not a Mermaid identifier"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nix_strings_cannot_break_out() {
        assert_eq!(nix_string(r#"a"b\c${d}$e"#), r#""a\"b\\c\${d}$e""#);
        assert_eq!(nix_string("l1\nl2\t"), r#""l1\nl2\t""#);
    }

    #[test]
    fn nix_attribute_names_are_quoted_when_needed() {
        assert_eq!(nix_attr_name("enable"), "enable");
        assert_eq!(nix_attr_name("foo.conf"), "\"foo.conf\"");
        assert_eq!(nix_attr_name("in"), "\"in\"");
        assert_eq!(
            nix_attr_path("services.tailscale.enable").as_deref(),
            Ok("services.tailscale.enable")
        );
        assert_eq!(
            nix_attr_path(r#"services.nginx.virtualHosts."example.org".root"#).as_deref(),
            Ok(r#"services.nginx.virtualHosts."example.org".root"#)
        );
        assert!(nix_attr_path("services..enable").is_err());
        assert!(nix_attr_path(r#"a."${b}""#).is_err());
    }

    #[test]
    fn nix_numbers_read_back_as_written() {
        let number = |text: &str| nix(&serde_json::from_str(text).unwrap_or_default());
        assert_eq!(number("1e-7").as_deref(), Ok("1.0e-7"));
        assert_eq!(number("-2.5").as_deref(), Ok("(-2.5)"));
        assert_eq!(
            number("-9223372036854775808").as_deref(),
            Ok("(-9223372036854775807 - 1)")
        );
        assert!(number("18446744073709551615").is_err());
        assert!(number("5e-324").is_err());
    }

    #[test]
    fn nix_values_nest_with_sorted_keys() {
        let value = json!({"b": [1, -2, true, null], "a": {"x y": "z"}});
        assert_eq!(
            nix(&value).as_deref(),
            Ok(r#"{ a = { "x y" = "z"; }; b = [ 1 (-2) true null ]; }"#)
        );
        assert!(nix(&json!(["a\u{0}b"])).is_err());
    }

    #[test]
    fn nix_paths_are_relative_literals_only() {
        assert_eq!(nix_path("./extra.nix").as_deref(), Ok("./extra.nix"));
        assert!(nix_path("/etc/passwd").is_err());
        assert!(nix_path("./a b.nix").is_err());
        assert!(nix_path("./x\"; y").is_err());
    }

    #[test]
    fn hcl_strings_escape_template_introducers() {
        assert_eq!(hcl_string("${x} %{y} $z"), r#""$${x} %%{y} $z""#);
        assert_eq!(hcl_string("a\"\\\u{1}"), r#""a\"\\\u0001""#);
    }

    #[test]
    fn hcl_values_nest() {
        let value = json!({"b": ["x", 2], "a-b": true, "1": null});
        assert_eq!(hcl(&value), r#"{ "1" = null, a-b = true, b = ["x", 2] }"#);
    }

    #[test]
    fn diagram_labels_cannot_break_out() {
        use serde_json::json;
        assert_eq!(
            super::dot(&json!("a \"b\" \\ c\nd")).as_deref(),
            Ok("\"a \\\"b\\\" \\\\ c\\nd\"")
        );
        assert!(super::dot(&json!("ends in \\")).is_err());
        assert_eq!(
            super::mermaid(&json!("<b>\"x\"</b> & #1 ```")).as_deref(),
            Ok("\"#lt;b#gt;#quot;x#quot;#lt;/b#gt; #amp; #35;1 #96;#96;#96;\"")
        );
        assert!(super::mermaid(&json!("two\nlines")).is_err());
        assert!(super::mermaid_id("h0").is_ok());
        for bad in ["end", "0h", "a-b", ""] {
            assert!(super::mermaid_id(bad).is_err(), "{bad}");
        }
    }
}
