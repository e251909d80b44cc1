//! Property values: JSON plus the three things Pulumi needs on top of it —
//! secrets (must never be written in plaintext), unknowns (a preview cannot know
//! an id that does not exist yet) and references to other resources' outputs
//! (which are also the edges of the resource graph).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Number;

use super::urn::Urn;

/// Inputs or outputs of one resource, keyed by pulumi-aws property name.
pub type PropertyMap = BTreeMap<String, Value>;

/// The marker Pulumi writes in state for a value unknown at preview time.
pub const UNKNOWN_SENTINEL: &str = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/// A reference to one output property of another resource.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputRef {
    /// The resource whose output is referenced.
    pub urn: Urn,
    /// The output property, e.g. `id`, `arn`, `dnsName`, or a path into one,
    /// e.g. `masterUserSecrets[0].secretArn`.
    pub property: String,
}

impl OutputRef {
    /// Reads the referenced value from a resource's id and outputs. A value
    /// inside a secret is secret.
    pub fn read(&self, id: Option<&str>, outputs: &PropertyMap) -> Option<Value> {
        let mut segments = self.property.split('.');
        let first = segments.next()?;
        let (key, mut indexes) = split_indexes(first);
        let mut secret = false;
        let mut current = match outputs.get(key) {
            Some(v) => v.clone(),
            None if key == "id" && self.property == "id" => return id.map(|i| Value::String(i.to_string())),
            None => return None,
        };
        loop {
            for index in indexes {
                current = step(current, &mut secret, |v| v.as_array().and_then(|a| a.get(index)).cloned())?;
            }
            let Some(segment) = segments.next() else { break };
            let (key, next) = split_indexes(segment);
            current = step(current, &mut secret, |v| v.as_object().and_then(|o| o.get(key)).cloned())?;
            indexes = next;
        }
        Some(if secret { Value::secret(current) } else { current })
    }
}

fn step(v: Value, secret: &mut bool, f: impl Fn(&Value) -> Option<Value>) -> Option<Value> {
    *secret |= matches!(v, Value::Secret(_));
    f(&v)
}

/// `name[0][1]` → (`name`, [0, 1]).
fn split_indexes(segment: &str) -> (&str, Vec<usize>) {
    let key_end = segment.find('[').unwrap_or(segment.len());
    let indexes =
        segment[key_end..].split(['[', ']']).filter(|s| !s.is_empty()).filter_map(|s| s.parse().ok()).collect();
    (&segment[..key_end], indexes)
}

/// A property value. Its `Debug` form redacts secrets, so it is safe in logs.
#[derive(Clone, PartialEq, Default)]
pub enum Value {
    /// JSON null: the property is not set.
    #[default]
    Null,
    /// A boolean.
    Bool(bool),
    /// A number (JSON numbers are doubles, as in Pulumi).
    Number(f64),
    /// A string.
    String(String),
    /// A list.
    Array(Vec<Value>),
    /// A map with string keys.
    Object(BTreeMap<String, Value>),
    /// A value that must never be shown or stored in plaintext.
    Secret(Box<Value>),
    /// A value that will only be known once a resource has been created.
    Unknown,
    /// Another resource's output; resolved by the engine before any cloud call.
    Output(OutputRef),
    /// The concatenation of the string forms of its parts (Pulumi's `Output.concat`).
    Concat(Vec<Value>),
    /// The JSON text of the inner value once resolved (policy documents that embed ARNs).
    JsonString(Box<Value>),
}

impl Value {
    /// Wraps a value as a secret. Secrets inside it are unwrapped: everything
    /// in a secret is secret, and one wrapper keeps encodings canonical.
    pub fn secret(v: impl Into<Value>) -> Value {
        Value::Secret(Box::new(v.into().without_secret_markers()))
    }

    fn without_secret_markers(self) -> Value {
        match self {
            Value::Secret(inner) => inner.without_secret_markers(),
            Value::Array(a) => Value::Array(a.into_iter().map(Value::without_secret_markers).collect()),
            Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, v.without_secret_markers())).collect()),
            other => other,
        }
    }

    /// Every string inside secrets in this value (what must never be written in plaintext).
    pub fn secret_strings(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.collect_secret_strings(false, &mut out);
        out
    }

    fn collect_secret_strings(&self, inside: bool, out: &mut Vec<String>) {
        match self {
            Value::String(s) if inside => out.push(s.clone()),
            Value::Secret(inner) => inner.collect_secret_strings(true, out),
            Value::Array(a) | Value::Concat(a) => a.iter().for_each(|v| v.collect_secret_strings(inside, out)),
            Value::Object(o) => o.values().for_each(|v| v.collect_secret_strings(inside, out)),
            Value::JsonString(inner) => inner.collect_secret_strings(inside, out),
            Value::Number(n) if inside => out.push(n.to_string()),
            _ => {}
        }
    }

    /// Whether any string in this value contains `needle`.
    pub fn mentions(&self, needle: &str) -> bool {
        match self {
            Value::String(s) => s.contains(needle),
            Value::Secret(inner) | Value::JsonString(inner) => inner.mentions(needle),
            Value::Array(a) | Value::Concat(a) => a.iter().any(|v| v.mentions(needle)),
            Value::Object(o) => o.iter().any(|(k, v)| k.contains(needle) || v.mentions(needle)),
            _ => false,
        }
    }

    /// Builds an object from `(key, value)` pairs.
    pub fn object<K: Into<String>, V: Into<Value>>(pairs: impl IntoIterator<Item = (K, V)>) -> Value {
        Value::Object(pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect())
    }

    /// Builds an array.
    pub fn array<V: Into<Value>>(items: impl IntoIterator<Item = V>) -> Value {
        Value::Array(items.into_iter().map(Into::into).collect())
    }

    /// The string, if this is a plain or secret string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            Value::Secret(inner) => inner.as_str(),
            _ => None,
        }
    }

    /// The number, if this is a plain or secret number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            Value::Secret(inner) => inner.as_f64(),
            _ => None,
        }
    }

    /// The boolean, if this is a plain or secret boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::Secret(inner) => inner.as_bool(),
            _ => None,
        }
    }

    /// The elements, if this is a list.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            Value::Secret(inner) => inner.as_array(),
            _ => None,
        }
    }

    /// The entries, if this is an object.
    pub fn as_object(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Object(o) => Some(o),
            Value::Secret(inner) => inner.as_object(),
            _ => None,
        }
    }

    /// Whether this value is null.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Whether this value is, or contains, a secret.
    pub fn contains_secret(&self) -> bool {
        match self {
            Value::Secret(_) => true,
            Value::Array(a) | Value::Concat(a) => a.iter().any(Value::contains_secret),
            Value::Object(o) => o.values().any(Value::contains_secret),
            Value::JsonString(inner) => inner.contains_secret(),
            _ => false,
        }
    }

    /// Whether this value is, or contains, an unknown.
    pub fn contains_unknown(&self) -> bool {
        match self {
            Value::Unknown => true,
            Value::Secret(inner) | Value::JsonString(inner) => inner.contains_unknown(),
            Value::Array(a) | Value::Concat(a) => a.iter().any(Value::contains_unknown),
            Value::Object(o) => o.values().any(Value::contains_unknown),
            _ => false,
        }
    }

    /// Every output reference inside this value, in order.
    pub fn output_refs(&self) -> Vec<&OutputRef> {
        let mut refs = Vec::new();
        self.collect_refs(&mut refs);
        refs
    }

    fn collect_refs<'a>(&'a self, out: &mut Vec<&'a OutputRef>) {
        match self {
            Value::Output(r) => out.push(r),
            Value::Secret(inner) | Value::JsonString(inner) => inner.collect_refs(out),
            Value::Array(a) | Value::Concat(a) => a.iter().for_each(|v| v.collect_refs(out)),
            Value::Object(o) => o.values().for_each(|v| v.collect_refs(out)),
            _ => {}
        }
    }

    /// Replaces every output reference with what `lookup` says it is (a known
    /// value, possibly secret, or [`Value::Unknown`]) and collapses `Concat` and
    /// `JsonString` into strings. Secrets stay secret through concatenation.
    pub fn resolve(&self, lookup: &mut dyn FnMut(&OutputRef) -> Value) -> Value {
        match self {
            Value::Output(r) => lookup(r),
            Value::Secret(inner) => Value::secret(inner.resolve(lookup)),
            Value::Array(a) => Value::Array(a.iter().map(|v| v.resolve(lookup)).collect()),
            Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), v.resolve(lookup))).collect()),
            Value::Concat(parts) => {
                let parts: Vec<Value> = parts.iter().map(|v| v.resolve(lookup)).collect();
                if parts.iter().any(Value::contains_unknown) {
                    return Value::Unknown;
                }
                let text: String = parts.iter().map(Value::plain_text).collect();
                wrap_if_secret(parts.iter().any(Value::contains_secret), Value::String(text))
            }
            Value::JsonString(inner) => {
                let inner = inner.resolve(lookup);
                if inner.contains_unknown() {
                    return Value::Unknown;
                }
                let text = inner.to_plain_json().to_string();
                wrap_if_secret(inner.contains_secret(), Value::String(text))
            }
            other => other.clone(),
        }
    }

    /// The text a value contributes to a concatenation (secrets unwrapped).
    fn plain_text(&self) -> String {
        match self {
            Value::String(s) => s.clone(),
            Value::Secret(inner) => inner.plain_text(),
            other => other.to_plain_json().to_string(),
        }
    }

    /// The value as JSON with secrets unwrapped and unknowns as Pulumi's sentinel.
    /// Only providers use this, to talk to the cloud; never persist or print it.
    pub fn to_plain_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Number(n) => number_to_json(*n),
            Value::String(s) => J::String(s.clone()),
            Value::Array(a) => J::Array(a.iter().map(Value::to_plain_json).collect()),
            Value::Object(o) => J::Object(o.iter().map(|(k, v)| (k.clone(), v.to_plain_json())).collect()),
            Value::Secret(inner) => inner.to_plain_json(),
            Value::Unknown | Value::Output(_) | Value::Concat(_) | Value::JsonString(_) => {
                J::String(UNKNOWN_SENTINEL.to_string())
            }
        }
    }

    /// Converts plain JSON (no secrets) into a value.
    pub fn from_plain_json(j: &serde_json::Value) -> Value {
        use serde_json::Value as J;
        match j {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => Value::Number(n.as_f64().unwrap_or_default()),
            J::String(s) if s == UNKNOWN_SENTINEL => Value::Unknown,
            J::String(s) => Value::String(s.clone()),
            J::Array(a) => Value::Array(a.iter().map(Value::from_plain_json).collect()),
            J::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), Value::from_plain_json(v))).collect()),
        }
    }

    /// Compares two values as the cloud would see them: a secret equals its plaintext.
    pub fn same_as(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Secret(a), b) => a.same_as(b),
            (a, Value::Secret(b)) => a.same_as(b),
            (Value::Array(a), Value::Array(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_as(y)),
            (Value::Object(a), Value::Object(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|((ka, va), (kb, vb))| ka == kb && va.same_as(vb))
            }
            (a, b) => a == b,
        }
    }

    /// A one-line rendering for previews and diffs: secrets show as `[secret]`,
    /// unknowns as `output<string>`. Safe to print.
    pub fn display(&self) -> String {
        let mut out = String::new();
        self.render(&mut out);
        out
    }

    fn render(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => {
                let _ = write!(out, "{b}");
            }
            Value::Number(n) => {
                let _ = write!(out, "{}", number_to_json(*n));
            }
            Value::String(s) => {
                let _ = write!(out, "{:?}", s);
            }
            Value::Secret(_) => out.push_str("[secret]"),
            Value::Unknown | Value::Output(_) | Value::Concat(_) | Value::JsonString(_) => {
                out.push_str("output<string>")
            }
            Value::Array(a) => {
                out.push('[');
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    v.render(out);
                }
                out.push(']');
            }
            Value::Object(o) => {
                out.push('{');
                for (i, (k, v)) in o.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    let _ = write!(out, "{k}: ");
                    v.render(out);
                }
                out.push('}');
            }
        }
    }
}

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Null => f.write_str("Null"),
            Value::Bool(b) => write!(f, "Bool({b})"),
            Value::Number(n) => write!(f, "Number({n})"),
            Value::String(s) => write!(f, "String({s:?})"),
            Value::Array(a) => f.debug_tuple("Array").field(a).finish(),
            Value::Object(o) => f.debug_tuple("Object").field(o).finish(),
            Value::Secret(_) => f.write_str("Secret([redacted])"),
            Value::Unknown => f.write_str("Unknown"),
            Value::Output(r) => write!(f, "Output({}.{})", r.urn, r.property),
            Value::Concat(parts) => f.debug_tuple("Concat").field(parts).finish(),
            Value::JsonString(inner) => f.debug_tuple("JsonString").field(inner).finish(),
        }
    }
}

fn wrap_if_secret(secret: bool, v: Value) -> Value {
    if secret {
        Value::secret(v)
    } else {
        v
    }
}

/// Integral doubles are written as JSON integers, as Pulumi does.
pub(crate) fn number_to_json(n: f64) -> serde_json::Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        serde_json::Value::Number(Number::from(n as i64))
    } else {
        Number::from_f64(n).map_or(serde_json::Value::Null, serde_json::Value::Number)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<&String> for Value {
    fn from(s: &String) -> Value {
        Value::String(s.clone())
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

macro_rules! from_number {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(n: $t) -> Value {
                Value::Number(n as f64)
            }
        }
    )*};
}
from_number!(i32, i64, u16, u32, u64, usize, f64);

impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(v: Vec<T>) -> Value {
        Value::array(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

impl From<BTreeMap<String, Value>> for Value {
    fn from(m: BTreeMap<String, Value>) -> Value {
        Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vpc() -> Urn {
        Urn::parse("urn:pulumi:dev::tap::aws:ec2/vpc:Vpc::vpc").unwrap()
    }

    #[test]
    fn resolve_replaces_refs_and_collapses_concat_and_json() {
        let r = OutputRef { urn: vpc(), property: "arn".into() };
        let v = Value::object([
            ("plain", Value::Output(r.clone())),
            ("concat", Value::Concat(vec![Value::Output(r.clone()), ":*".into()])),
            ("json", Value::JsonString(Box::new(Value::object([("Resource", Value::Output(r))])))),
        ]);
        assert_eq!(v.output_refs().len(), 3);
        let resolved = v.resolve(&mut |_| Value::from("arn:aws:ec2:x"));
        let o = resolved.as_object().unwrap();
        assert_eq!(o["plain"].as_str(), Some("arn:aws:ec2:x"));
        assert_eq!(o["concat"].as_str(), Some("arn:aws:ec2:x:*"));
        assert_eq!(o["json"].as_str(), Some(r#"{"Resource":"arn:aws:ec2:x"}"#));
    }

    #[test]
    fn unknown_parts_make_the_whole_unknown_and_secrets_spread() {
        let r = OutputRef { urn: vpc(), property: "id".into() };
        let c = Value::Concat(vec!["a".into(), Value::Output(r.clone())]);
        assert_eq!(c.resolve(&mut |_| Value::Unknown), Value::Unknown);
        let s = c.resolve(&mut |_| Value::secret("x"));
        assert!(matches!(s, Value::Secret(_)));
        assert_eq!(s.as_str(), Some("ax"));
    }

    #[test]
    fn output_refs_read_nested_paths_and_keep_secrets_secret() {
        let outputs: PropertyMap = [
            ("masterUserSecrets".to_string(), Value::array([Value::object([("secretArn", "arn:s")])])),
            ("conn".to_string(), Value::secret(Value::object([("password", "pw")]))),
        ]
        .into_iter()
        .collect();
        let r = |p: &str| OutputRef { urn: vpc(), property: p.into() };
        assert_eq!(r("masterUserSecrets[0].secretArn").read(None, &outputs), Some(Value::from("arn:s")));
        assert_eq!(r("conn.password").read(None, &outputs), Some(Value::secret("pw")));
        assert_eq!(r("id").read(Some("vpc-1"), &outputs), Some(Value::from("vpc-1")));
        assert_eq!(r("masterUserSecrets[3].secretArn").read(None, &outputs), None);
    }

    #[test]
    fn display_never_shows_secrets() {
        let v = Value::object([("password", Value::secret("hunter2"))]);
        assert_eq!(v.display(), "{password: [secret]}");
        assert!(!format!("{v:?}").contains("hunter2"));
    }

    #[test]
    fn integral_numbers_round_trip_as_integers() {
        assert_eq!(Value::from(5432).to_plain_json().to_string(), "5432");
        assert_eq!(Value::from(0.5).to_plain_json().to_string(), "0.5");
    }

    #[test]
    fn secret_compares_equal_to_its_plaintext() {
        assert!(Value::secret("a").same_as(&Value::from("a")));
        assert!(!Value::secret("a").same_as(&Value::from("b")));
    }
}
