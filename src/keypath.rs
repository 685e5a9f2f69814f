//! The key path (`hosts.c2.roles[1]`) of a position in block-style YAML, for
//! errors the YAML deserializer reports with a position only.

/// The path of the node at byte `offset`, from the indentation of the lines above it.
pub fn at(text: &str, offset: usize) -> String {
    let offset = crate::source::floor_boundary(text, offset);
    let line_start = text[..offset].rfind('\n').map_or(0, |newline| newline + 1);
    let line_end = text[offset..]
        .find('\n')
        .map_or(text.len(), |newline| offset + newline);
    let mut segments: Vec<String> = Vec::new();
    let current = &text[line_start..line_end];
    let mut indent = indentation(current);
    let mut within_line = flow_segments(&current[..offset - line_start]);
    within_line.reverse();
    segments.extend(within_line);
    if let Some(key) = key_of(current) {
        segments.push(key.to_owned());
    }
    for line in text[..line_start].lines().rev() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let line_indent = indentation(line);
        if line_indent < indent {
            if let Some(key) = key_of(line) {
                segments.push(key.to_owned());
            }
            indent = line_indent;
        }
        if indent == 0 {
            break;
        }
    }
    segments.reverse();
    let mut path = String::new();
    for segment in segments {
        if !path.is_empty() && !segment.starts_with('[') {
            path.push('.');
        }
        path.push_str(&segment);
    }
    path
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start_matches([' ', '-']).len()
}

/// The key of a `key: value` line, if it is one.
fn key_of(line: &str) -> Option<&str> {
    let body = line.trim_start_matches([' ', '-']);
    let colon = body.find(':')?;
    let key = body[..colon].trim().trim_matches(['"', '\'']);
    let plain = !key.is_empty() && !key.contains(['{', '[', ' ', ',']);
    plain.then_some(key)
}

/// Keys and indexes of the flow collections (`{ a: [x, y] }`) open at the end of
/// `before`, outermost first, after the line's own key.
fn flow_segments(before: &str) -> Vec<String> {
    enum Open {
        Map(Option<String>),
        Seq(usize),
    }
    let start = before.find(['{', '[']).unwrap_or(before.len());
    let mut stack: Vec<Open> = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    for c in before[start..].chars() {
        if let Some(open) = quote {
            if c == open {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '{' => stack.push(Open::Map(None)),
            '[' => stack.push(Open::Seq(0)),
            '}' | ']' => {
                stack.pop();
            }
            ',' => match stack.last_mut() {
                Some(Open::Seq(index)) => *index += 1,
                Some(Open::Map(key)) => *key = None,
                None => {}
            },
            ':' => {
                if let Some(Open::Map(key)) = stack.last_mut() {
                    *key = Some(word.trim().to_owned());
                }
            }
            _ => {}
        }
        if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
            word.push(c);
        } else if c != ':' {
            word.clear();
        }
    }
    stack
        .into_iter()
        .filter_map(|open| match open {
            Open::Map(key) => key,
            Open::Seq(index) => Some(format!("[{index}]")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::at;

    #[test]
    fn follows_indentation_and_flow_sequences() {
        let text =
            "cluster:\n  name: x\nhosts:\n  c2:\n    roles: [cluster-member, nomad-wroker]\n";
        let offset = text.find("nomad-wroker").unwrap_or_default();
        assert_eq!(at(text, offset), "hosts.c2.roles[1]");
        assert_eq!(
            at(text, text.find("name").unwrap_or_default()),
            "cluster.name"
        );
        let flow = "hosts:\n  c1: { roles: [cluster-member, nomad-wroker] }\n";
        assert_eq!(
            at(flow, flow.find("nomad-wroker").unwrap_or_default()),
            "hosts.c1.roles[1]"
        );
    }
}
