//! Pulumi YAML's `${…}` expressions: interpolation inside strings and the
//! property accesses inside the braces (`${bucket.arn}`,
//! `${vpc.tags["Name"]}`, `${subnets[0].id}`, `${aws:region}`).

/// A piece of an interpolated string.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// Literal text (`$${` already turned into `${`).
    Text(String),
    /// A `${…}` reference, with its byte offset in the string.
    Ref(Ref, usize),
}

/// `root(.prop | [index] | ["key"])*`.
#[derive(Debug, Clone, PartialEq)]
pub struct Ref {
    /// A resource, variable or config name (`bucket`, `aws:region`, `pulumi`).
    pub root: String,
    /// What is read from it.
    pub path: Vec<Access>,
}

/// One step into a value.
#[derive(Debug, Clone, PartialEq)]
pub enum Access {
    /// `.name` or `["name"]`.
    Key(String),
    /// `[0]`.
    Index(usize),
}

impl Ref {
    /// The path as the model's output-property path (`a.b[0].c`).
    pub fn property_path(&self) -> String {
        let mut out = String::new();
        for a in &self.path {
            match a {
                Access::Key(k) if out.is_empty() => out.push_str(k),
                Access::Key(k) => {
                    out.push('.');
                    out.push_str(k);
                }
                Access::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }
}

impl std::fmt::Display for Ref {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.root)?;
        for a in &self.path {
            match a {
                Access::Key(k) => write!(f, ".{k}")?,
                Access::Index(i) => write!(f, "[{i}]")?,
            }
        }
        Ok(())
    }
}

/// Splits a string into text and `${…}` references. `$${` is a literal `${`.
/// Errors carry the byte offset they concern.
pub fn interpolate(s: &str) -> Result<Vec<Part>, (usize, String)> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut rest = s;
    let mut offset = 0;
    while let Some(i) = rest.find('$') {
        text.push_str(&rest[..i]);
        let after = &rest[i..];
        if let Some(escaped) = after.strip_prefix("$${") {
            text.push_str("${");
            rest = escaped;
            offset += i + 3;
        } else if let Some(inner) = after.strip_prefix("${") {
            let end = inner.find('}').ok_or((offset + i, "`${` is not closed by `}`".to_string()))?;
            if !text.is_empty() {
                parts.push(Part::Text(std::mem::take(&mut text)));
            }
            let r = parse_ref(&inner[..end]).map_err(|why| (offset + i, why))?;
            parts.push(Part::Ref(r, offset + i));
            rest = &inner[end + 1..];
            offset += i + 2 + end + 1;
        } else {
            text.push('$');
            rest = &after[1..];
            offset += i + 1;
        }
    }
    text.push_str(rest);
    if !text.is_empty() || parts.is_empty() {
        parts.push(Part::Text(text));
    }
    Ok(parts)
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':' | '$')
}

/// Parses the inside of `${…}`.
pub fn parse_ref(s: &str) -> Result<Ref, String> {
    let s = s.trim();
    let root_end = s.find(['.', '[']).unwrap_or(s.len());
    let root = &s[..root_end];
    if root.is_empty() || !root.chars().all(is_name_char) {
        return Err(format!("`${{{s}}}` does not start with a name (a resource, variable or config key)"));
    }
    let mut path = Vec::new();
    let mut rest = &s[root_end..];
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let name = &r[..end];
            if name.is_empty() || !name.chars().all(is_name_char) {
                return Err(format!("`${{{s}}}` has an empty or invalid property name after `.`"));
            }
            path.push(Access::Key(name.to_string()));
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']').ok_or_else(|| format!("`${{{s}}}` has a `[` without `]`"))?;
            let inside = r[..end].trim();
            if let Some(key) = inside.strip_prefix('"').and_then(|k| k.strip_suffix('"')) {
                path.push(Access::Key(key.to_string()));
            } else if let Ok(i) = inside.parse::<usize>() {
                path.push(Access::Index(i));
            } else {
                return Err(format!("`[{inside}]` in `${{{s}}}` is neither an index nor a quoted key"));
            }
            rest = &r[end + 1..];
        } else {
            return Err(format!("unexpected `{rest}` in `${{{s}}}`"));
        }
    }
    Ok(Ref { root: root.to_string(), path })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> Access {
        Access::Key(k.to_string())
    }

    #[test]
    fn references_and_paths_parse() {
        let r = parse_ref("vpc.tags[\"Name\"]").unwrap();
        assert_eq!(r.root, "vpc");
        assert_eq!(r.path, [key("tags"), key("Name")]);
        assert_eq!(r.property_path(), "tags.Name");
        let r = parse_ref("subnets[0].id").unwrap();
        assert_eq!(r.path, [Access::Index(0), key("id")]);
        assert_eq!(parse_ref("aws:region").unwrap().root, "aws:region");
        assert_eq!(parse_ref("my-bucket.arn").unwrap().root, "my-bucket");
        assert!(parse_ref("a.").is_err());
        assert!(parse_ref("a[x]").unwrap_err().contains("neither an index"));
        assert!(parse_ref("").is_err());
    }

    #[test]
    fn strings_split_into_text_and_references() {
        let parts = interpolate("arn:${bucket.arn}/*").unwrap();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0], Part::Text("arn:".into()));
        assert!(matches!(&parts[1], Part::Ref(r, 4) if r.root == "bucket"));
        assert_eq!(interpolate("cost $5 and $${literal}").unwrap(), [Part::Text("cost $5 and ${literal}".into())]);
        assert_eq!(interpolate("").unwrap(), [Part::Text(String::new())]);
        assert!(interpolate("x ${open").unwrap_err().1.contains("not closed"));
    }
}
