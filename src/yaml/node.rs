//! A YAML document as a tree whose every node knows its line and column, so
//! that a mistake anywhere in a program is reported where it is.

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A position in a source file (both 1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub col: usize,
}

impl std::fmt::Display for Pos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// A node's value. Plain scalars are typed as YAML 1.2's core schema types
/// them; quoted ones are always strings.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `null`, `~` or nothing.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order.
    Map(Vec<(Node, Node)>),
}

/// One node of the document.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Its value.
    pub kind: Kind,
    /// Where it starts.
    pub pos: Pos,
}

impl Node {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The entries, if this is a mapping.
    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            Kind::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The value under `key`, if this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?.iter().find(|(k, _)| k.as_str() == Some(key)).map(|(_, v)| v)
    }

    /// What kind of node this is, for messages.
    pub fn describe(&self) -> &'static str {
        match self.kind {
            Kind::Null => "null",
            Kind::Bool(_) => "a boolean",
            Kind::Int(_) | Kind::Float(_) => "a number",
            Kind::Str(_) => "a string",
            Kind::Seq(_) => "a list",
            Kind::Map(_) => "a mapping",
        }
    }
}

/// Parses one YAML document (JSON is YAML too). An empty file is `null`.
pub fn parse(text: &str) -> Result<Node, (Pos, String)> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut builder, false).map_err(|e| (pos(*e.marker()), e.info().to_string()))?;
    if let Some(e) = builder.error {
        return Err(e);
    }
    Ok(builder.root.unwrap_or(Node { kind: Kind::Null, pos: Pos { line: 1, col: 1 } }))
}

fn pos(m: Marker) -> Pos {
    // yaml-rust2's markers count lines from 1 and columns from 0.
    Pos { line: m.line(), col: m.col() + 1 }
}

/// Builds the tree from the parser's events.
#[derive(Default)]
struct Builder {
    /// Open sequences and mappings, innermost last, each with its pending
    /// key (mappings) and its anchor id (0: none).
    stack: Vec<(Node, Option<Node>, usize)>,
    anchors: std::collections::HashMap<usize, Node>,
    root: Option<Node>,
    error: Option<(Pos, String)>,
}

impl Builder {
    fn push(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some((Node { kind: Kind::Seq(items), .. }, _, _)) => items.push(node),
            Some((Node { kind: Kind::Map(entries), .. }, key, _)) => match key.take() {
                None => *key = Some(node),
                Some(k) => entries.push((k, node)),
            },
            Some(_) => unreachable!("only sequences and mappings are open"),
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        let at = pos(mark);
        match event {
            Event::Scalar(text, style, anchor, _tag) => {
                let kind = if style == TScalarStyle::Plain { plain(text) } else { Kind::Str(text) };
                self.push(Node { kind, pos: at }, anchor);
            }
            Event::SequenceStart(anchor, _) => {
                self.stack.push((Node { kind: Kind::Seq(Vec::new()), pos: at }, None, anchor));
            }
            Event::MappingStart(anchor, _) => {
                self.stack.push((Node { kind: Kind::Map(Vec::new()), pos: at }, None, anchor));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((node, _, anchor)) = self.stack.pop() {
                    self.push(node, anchor);
                }
            }
            Event::Alias(id) => match self.anchors.get(&id).cloned() {
                Some(node) => self.push(Node { pos: at, ..node }, 0),
                None => self.error = self.error.take().or(Some((at, "alias to an unknown anchor".into()))),
            },
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentStart | Event::DocumentEnd => {}
        }
    }
}

/// Types a plain scalar as YAML 1.2's core schema does.
fn plain(text: String) -> Kind {
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => return Kind::Null,
        "true" | "True" | "TRUE" => return Kind::Bool(true),
        "false" | "False" | "FALSE" => return Kind::Bool(false),
        _ => {}
    }
    let numeric = text.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+' || c == '.');
    if numeric {
        if let Ok(i) = text.parse::<i64>() {
            return Kind::Int(i);
        }
        if text.chars().any(|c| c.is_ascii_digit()) {
            if let Ok(f) = text.parse::<f64>() {
                return Kind::Float(f);
            }
        }
    }
    Kind::Str(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_know_where_they_are_and_plain_scalars_are_typed() {
        let doc = parse("name: demo\nresources:\n  bucket:\n    type: aws:s3:Bucket\n    n: 3\n    q: \"3\"\n    l: [true, ~, 1.5]\n").unwrap();
        let bucket = doc.get("resources").unwrap().get("bucket").unwrap();
        assert_eq!(bucket.get("type").unwrap().pos, Pos { line: 4, col: 11 });
        assert_eq!(bucket.get("n").unwrap().kind, Kind::Int(3));
        assert_eq!(bucket.get("q").unwrap().kind, Kind::Str("3".into()));
        let Kind::Seq(l) = &bucket.get("l").unwrap().kind else { panic!() };
        assert_eq!(
            l.iter().map(|n| n.kind.clone()).collect::<Vec<_>>(),
            [Kind::Bool(true), Kind::Null, Kind::Float(1.5)]
        );
    }

    #[test]
    fn anchors_and_json_parse_and_errors_have_positions() {
        let doc = parse("a: &x {k: v}\nb: *x\n").unwrap();
        assert_eq!(doc.get("b").unwrap().get("k").unwrap().as_str(), Some("v"));
        let doc = parse(r#"{"name": "j", "list": [1, "2"]}"#).unwrap();
        assert_eq!(doc.get("name").unwrap().as_str(), Some("j"));
        let (at, why) = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(at.line >= 2 && !why.is_empty(), "{at} {why}");
    }
}
