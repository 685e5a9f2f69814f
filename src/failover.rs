//! `gen failover`: the services share moves to a standby. The inventory is
//! edited in place, its primary, standby list and generation only, comments and
//! layout kept, so the change reads as one line in a review.

use crate::error::Error;
use crate::inventory::Inventory;
use crate::source::{Places, token_len};

/// One replacement in the inventory's text.
struct Edit {
    offset: usize,
    len: usize,
    text: String,
}

/// The inventory's text with the share moved to `standby`: it becomes the
/// primary, the primary takes its place among the standbys, and the generation
/// increases by one.
pub fn edit(
    text: &str,
    places: &Places,
    inventory: &Inventory,
    standby: &str,
) -> Result<String, Error> {
    let share = &inventory
        .storage
        .services
        .as_ref()
        .ok_or(Error::NoServicesShare)?
        .value;
    let Some(index) = share.standbys.iter().position(|name| name.value == standby) else {
        let standbys: Vec<&str> = share
            .standbys
            .iter()
            .map(|name| name.value.as_str())
            .collect();
        return Err(Error::NotAStandby {
            host: standby.to_owned(),
            hint: if standbys.is_empty() {
                "the share has no standby: add one and let it receive the share first".to_owned()
            } else {
                format!("the standbys are {}", standbys.join(", "))
            },
        });
    };
    let value_at = |pointer: &str| places.get(pointer).and_then(|place| place.value);
    let replace = |pointer: &str, text_: String| -> Option<Edit> {
        let offset = value_at(pointer)?;
        Some(Edit {
            offset,
            len: token_len(text, offset),
            text: text_,
        })
    };
    let primary = "/storage/services/primary";
    let mut edits: Vec<Edit> = [
        replace(primary, standby.to_owned()),
        replace(
            &format!("/storage/services/standbys/{index}"),
            share.primary.value.clone(),
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    let generation = (share.generation + 1).to_string();
    match replace("/storage/services/generation", generation.clone()) {
        Some(edit) => edits.push(edit),
        None => edits.extend(new_generation(text, places, primary, &generation)),
    }
    edits.sort_by_key(|edit| std::cmp::Reverse(edit.offset));
    let mut edited = text.to_owned();
    for edit in edits {
        edited.replace_range(edit.offset..edit.offset + edit.len, &edit.text);
    }
    Ok(edited)
}

/// `generation: N` beside the primary's key: a line of its own in a block
/// mapping, an entry before it in a flow mapping.
fn new_generation(text: &str, places: &Places, primary: &str, generation: &str) -> Option<Edit> {
    let key = places.get(primary)?.key?;
    let line_start = text[..key].rfind('\n').map_or(0, |newline| newline + 1);
    let indent = &text[line_start..key];
    let text_ = if indent.chars().all(|c| c == ' ') {
        format!("generation: {generation}\n{indent}")
    } else {
        format!("generation: {generation}, ")
    };
    Some(Edit {
        offset: key,
        len: 0,
        text: text_,
    })
}

#[cfg(test)]
mod tests {
    use super::edit;

    const HEAD: &str = "cluster:\n  name: lab\n  domain: lab.lan\n  state_version: \"25.05\"\n  nixpkgs: github:NixOS/nixpkgs/nixos-25.05\n  admin: { user: admin }\nhosts:\n  a: { address: 10.0.0.1 }\n  b: { address: 10.0.0.2 }\n  c: { address: 10.0.0.3 }\n";

    fn moved(storage: &str, to: &str) -> String {
        let text = format!("{HEAD}{storage}");
        let loaded = crate::load::from_bytes("inventory.yaml".to_owned(), text.as_bytes())
            .expect("the shape is right");
        edit(&text, &loaded.places, &loaded.inventory, to)
            .expect("a standby")
            .strip_prefix(HEAD)
            .expect("the rest is untouched")
            .to_owned()
    }

    #[test]
    fn a_block_mapping_gets_a_generation_line_and_keeps_its_comments() {
        let storage = "storage:\n  services:\n    # the disk\n    primary: a  # fast\n    standbys:\n      - b\n      - c\n";
        assert_eq!(
            moved(storage, "c"),
            "storage:\n  services:\n    # the disk\n    generation: 2\n    primary: c  # fast\n    standbys:\n      - b\n      - a\n"
        );
    }

    #[test]
    fn a_flow_mapping_gets_a_generation_entry() {
        let storage = "storage: { services: { primary: \"a\", standbys: [b] } }\n";
        assert_eq!(
            moved(storage, "b"),
            "storage: { services: { generation: 2, primary: b, standbys: [a] } }\n"
        );
    }

    #[test]
    fn an_existing_generation_increases() {
        let storage =
            "storage:\n  services:\n    primary: a\n    standbys: [b]\n    generation: 7\n";
        assert_eq!(
            moved(storage, "b"),
            "storage:\n  services:\n    primary: b\n    standbys: [a]\n    generation: 8\n"
        );
    }

    #[test]
    fn only_a_standby_can_take_over() {
        let text = format!("{HEAD}storage:\n  services: {{ primary: a, standbys: [b] }}\n");
        let loaded = crate::load::from_bytes("inventory.yaml".to_owned(), text.as_bytes())
            .expect("the shape is right");
        let refused = edit(&text, &loaded.places, &loaded.inventory, "c");
        assert!(matches!(
            refused,
            Err(crate::error::Error::NotAStandby { .. })
        ));
    }
}
