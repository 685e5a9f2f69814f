//! The inventory as a generic tree with the position of every key and value, for
//! checking its shape before it is read into typed values.

use std::fmt;

use serde::Deserialize;
use serde::de::{MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use crate::source::{Place, Places};

/// A YAML node: a scalar, or a collection of spanned nodes.
#[derive(Debug)]
pub enum Node {
    Scalar(serde_json::Value),
    Seq(Vec<Spanned<Node>>),
    Map(Vec<(Spanned<String>, Spanned<Node>)>),
}

impl Node {
    /// The same document as JSON, for the schema validator.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Scalar(value) => value.clone(),
            Self::Seq(items) => items.iter().map(|item| item.value.to_json()).collect(),
            Self::Map(entries) => entries
                .iter()
                .map(|(key, value)| (key.value.clone(), value.value.to_json()))
                .collect::<serde_json::Map<_, _>>()
                .into(),
        }
    }
}

/// Every node's place.
pub fn places(
    root: &Spanned<Node>,
    offset: &dyn Fn(serde_saphyr::Location) -> Option<usize>,
) -> Places {
    let mut places = Places::new();
    let place = Place {
        path: String::new(),
        key: None,
        value: offset(root.referenced),
    };
    walk(&root.value, String::new(), place, offset, &mut places);
    places
}

fn walk(
    node: &Node,
    pointer: String,
    place: Place,
    offset: &dyn Fn(serde_saphyr::Location) -> Option<usize>,
    places: &mut Places,
) {
    match node {
        Node::Scalar(_) => {}
        Node::Seq(items) => {
            for (index, item) in items.iter().enumerate() {
                let child = Place {
                    path: format!("{}[{index}]", place.path),
                    key: None,
                    value: offset(item.referenced),
                };
                walk(
                    &item.value,
                    format!("{pointer}/{index}"),
                    child,
                    offset,
                    places,
                );
            }
        }
        Node::Map(entries) => {
            for (key, value) in entries {
                let escaped = crate::source::pointer_segment(&key.value);
                let path = if place.path.is_empty() {
                    key.value.clone()
                } else {
                    format!("{}.{}", place.path, key.value)
                };
                let child = Place {
                    path,
                    key: offset(key.referenced),
                    value: offset(value.referenced),
                };
                walk(
                    &value.value,
                    format!("{pointer}/{escaped}"),
                    child,
                    offset,
                    places,
                );
            }
        }
    }
    places.insert(pointer, place);
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any YAML value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Node, E> {
        Ok(Node::Scalar(value.into()))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Node, E> {
        Ok(Node::Scalar(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Node, E> {
        Ok(Node::Scalar(value.into()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Node, E> {
        Ok(Node::Scalar(
            serde_json::Number::from_f64(value).map_or(serde_json::Value::Null, Into::into),
        ))
    }

    fn visit_str<E>(self, value: &str) -> Result<Node, E> {
        Ok(Node::Scalar(value.into()))
    }

    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Scalar(serde_json::Value::Null))
    }

    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Scalar(serde_json::Value::Null))
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Node>>()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry::<Spanned<String>, Spanned<Node>>()? {
            entries.push(entry);
        }
        Ok(Node::Map(entries))
    }
}
