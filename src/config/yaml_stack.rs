//! `Pulumi.<stack>.yaml` as Pulumi writes it: `encryptionsalt` at the top, a
//! `config:` mapping of namespaced keys whose secrets are `{secure: v1:…}`,
//! and whatever else Pulumi keeps there (`secretsprovider`, `encryptedkey`,
//! `environment`) carried through untouched.

use yaml_rust2::yaml::Hash;
use yaml_rust2::{Yaml, YamlLoader};

use super::Stored;
use crate::model::Value;

/// The parsed file, in its key order.
#[derive(Debug, Clone)]
pub(super) struct Document {
    top: Hash,
}

fn key(k: &str) -> Yaml {
    Yaml::String(k.to_string())
}

impl Document {
    /// A stack file with no config yet.
    pub(super) fn empty() -> Document {
        let mut top = Hash::new();
        top.insert(key("config"), Yaml::Hash(Hash::new()));
        Document { top }
    }

    /// Parses the text of a stack file.
    pub(super) fn parse(text: &str) -> Result<Document, String> {
        let docs = YamlLoader::load_from_str(text).map_err(|e| format!("not valid YAML: {e}"))?;
        let top = match docs.into_iter().next() {
            None | Some(Yaml::Null) => return Ok(Document::empty()),
            Some(Yaml::Hash(h)) => h,
            Some(_) => return Err("a stack file is a mapping with `config:` (and `encryptionsalt:`)".into()),
        };
        match top.get(&key("config")) {
            None | Some(Yaml::Hash(_)) | Some(Yaml::Null) => {}
            Some(_) => return Err("`config` must be a mapping of namespaced keys".into()),
        }
        if top.get(&key("encryptionsalt")).is_some_and(|s| s.as_str().is_none()) {
            return Err("`encryptionsalt` must be a string".into());
        }
        Ok(Document { top })
    }

    pub(super) fn encryption_salt(&self) -> Option<&str> {
        self.top.get(&key("encryptionsalt")).and_then(Yaml::as_str)
    }

    pub(super) fn set_encryption_salt(&mut self, salt: &str) {
        // Pulumi writes it first.
        let mut top = Hash::new();
        top.insert(key("encryptionsalt"), key(salt));
        for (k, v) in std::mem::take(&mut self.top) {
            if k != key("encryptionsalt") {
                top.insert(k, v);
            }
        }
        self.top = top;
    }

    fn config(&self) -> Option<&Hash> {
        match self.top.get(&key("config")) {
            Some(Yaml::Hash(h)) => Some(h),
            _ => None,
        }
    }

    fn config_mut(&mut self) -> &mut Hash {
        let slot = self.top.entry(key("config")).or_insert_with(|| Yaml::Hash(Hash::new()));
        if !matches!(slot, Yaml::Hash(_)) {
            *slot = Yaml::Hash(Hash::new());
        }
        match slot {
            Yaml::Hash(h) => h,
            _ => unreachable!("just made a mapping"),
        }
    }

    /// Every entry: `{secure: …}` is a secret, anything else plain.
    pub(super) fn entries(&self) -> Vec<(String, Stored)> {
        let Some(config) = self.config() else { return Vec::new() };
        config
            .iter()
            .map(|(k, v)| {
                let name = match k {
                    Yaml::String(s) => s.clone(),
                    other => to_value(other).display(),
                };
                let secure = match v {
                    Yaml::Hash(h) if h.len() == 1 => h.get(&key("secure")).and_then(Yaml::as_str),
                    _ => None,
                };
                let stored = match secure {
                    Some(ct) => Stored::Secure(ct.to_string()),
                    None => Stored::Plain(to_value(v)),
                };
                (name, stored)
            })
            .collect()
    }

    pub(super) fn set(&mut self, name: &str, value: Value) {
        self.config_mut().insert(key(name), to_yaml(&value));
    }

    /// Removes a key; `false` when it was not set.
    pub(super) fn remove(&mut self, name: &str) -> bool {
        self.config_mut().remove(&key(name)).is_some()
    }

    pub(super) fn set_secure(&mut self, name: &str, ciphertext: &str) {
        let mut secure = Hash::new();
        secure.insert(key("secure"), key(ciphertext));
        self.config_mut().insert(key(name), Yaml::Hash(secure));
    }

    /// The file's text, laid out as Pulumi writes it: block style, two-space
    /// indents, keys and values unquoted unless YAML needs the quotes.
    pub(super) fn to_text(&self) -> String {
        let mut out = String::new();
        emit_map(&mut out, &self.top, 0);
        out
    }
}

fn emit_map(out: &mut String, map: &Hash, indent: usize) {
    for (k, v) in map {
        out.push_str(&" ".repeat(indent));
        out.push_str(&scalar(k));
        out.push(':');
        emit_value(out, v, indent);
    }
}

/// A value after `key:` (or `-`): inline when scalar or empty, else below.
fn emit_value(out: &mut String, v: &Yaml, indent: usize) {
    match v {
        Yaml::Hash(h) if !h.is_empty() => {
            out.push('\n');
            emit_map(out, h, indent + 2);
        }
        Yaml::Array(a) if !a.is_empty() => {
            out.push('\n');
            for item in a {
                out.push_str(&" ".repeat(indent + 2));
                out.push('-');
                match item {
                    Yaml::Hash(h) if !h.is_empty() => {
                        out.push('\n');
                        emit_map(out, h, indent + 4);
                    }
                    other => emit_value(out, other, indent + 2),
                }
            }
        }
        Yaml::Hash(_) => out.push_str(" {}\n"),
        Yaml::Array(_) => out.push_str(" []\n"),
        other => {
            out.push(' ');
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

/// A scalar, plain when it reads back as the same string, else double-quoted.
fn scalar(y: &Yaml) -> String {
    match y {
        Yaml::String(s) => {
            let reads_back = matches!(YamlLoader::load_from_str(s).ok().as_deref(), Some([Yaml::String(t)]) if t == s);
            let risky = s.is_empty()
                || s.starts_with(|c: char| " -?:,[]{}#&*!|>'\"%@`".contains(c))
                || s.ends_with([' ', ':'])
                || s.contains(": ")
                || s.contains(" #")
                || s.contains('\n');
            if reads_back && !risky {
                s.clone()
            } else {
                serde_json::to_string(s).expect("a string serializes")
            }
        }
        Yaml::Integer(i) => i.to_string(),
        Yaml::Real(r) => r.clone(),
        Yaml::Boolean(b) => b.to_string(),
        Yaml::Null | Yaml::Alias(_) | Yaml::BadValue => "null".to_string(),
        Yaml::Hash(_) | Yaml::Array(_) => String::new(),
    }
}

fn to_value(y: &Yaml) -> Value {
    match y {
        Yaml::Real(r) => r.parse::<f64>().map(Value::Number).unwrap_or_else(|_| Value::from(r.as_str())),
        Yaml::Integer(i) => Value::Number(*i as f64),
        Yaml::String(s) => Value::from(s.as_str()),
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Array(a) => Value::Array(a.iter().map(to_value).collect()),
        Yaml::Hash(h) => Value::Object(
            h.iter()
                .map(|(k, v)| (k.as_str().map(str::to_string).unwrap_or_else(|| to_value(k).display()), to_value(v)))
                .collect(),
        ),
        Yaml::Alias(_) | Yaml::Null | Yaml::BadValue => Value::Null,
    }
}

fn to_yaml(v: &Value) -> Yaml {
    match v {
        Value::Null => Yaml::Null,
        Value::Bool(b) => Yaml::Boolean(*b),
        Value::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => Yaml::Integer(*n as i64),
        Value::Number(n) => Yaml::Real(n.to_string()),
        Value::String(s) => Yaml::String(s.clone()),
        Value::Array(a) => Yaml::Array(a.iter().map(to_yaml).collect()),
        Value::Object(o) => Yaml::Hash(o.iter().map(|(k, v)| (key(k), to_yaml(v))).collect()),
        other => Yaml::String(other.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pulumi_stack_file_round_trips_with_what_tapctl_does_not_use() {
        let text = "secretsprovider: awskms://alias/x\nconfig:\n  aws:region: us-west-2\n  app:count: \"3\"\n  app:tags:\n    Team: payments\n  app:token:\n    secure: v1:AAAA:BBBB\n";
        let mut doc = Document::parse(text).unwrap();
        let entries = doc.entries();
        assert_eq!(entries[0], ("aws:region".to_string(), Stored::Plain(Value::from("us-west-2"))));
        assert_eq!(entries[1].1, Stored::Plain(Value::from("3")), "quoted numbers stay text, as Pulumi keeps them");
        assert_eq!(entries[3].1, Stored::Secure("v1:AAAA:BBBB".into()));
        doc.set_encryption_salt("v1:c2FsdA==:v1:x:y");
        doc.set("app:name", Value::from("web"));
        let out = doc.to_text();
        assert!(out.starts_with("encryptionsalt: "), "{out}");
        assert!(out.contains("secretsprovider: "), "kept: {out}");
        let again = Document::parse(&out).unwrap();
        assert_eq!(again.entries().len(), 5);
        assert_eq!(again.entries()[1].1, Stored::Plain(Value::from("3")), "{out}");
    }
}
