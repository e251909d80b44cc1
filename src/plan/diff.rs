//! Property-level differences and `ignoreChanges`.

use crate::model::{PropertyMap, Value};

/// One changed leaf property, addressed by a path such as `tags.Name` or
/// `ingress[0].fromPort`.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyDiff {
    /// Where the change is.
    pub path: String,
    /// The recorded value (`None`: added).
    pub old: Option<Value>,
    /// The desired value (`None`: removed).
    pub new: Option<Value>,
}

impl PropertyDiff {
    /// The top-level property the path starts with.
    pub fn top_level(&self) -> &str {
        self.path.split(['.', '[']).next().unwrap_or(&self.path)
    }
}

/// The leaf-level differences between two input maps (secrets compared by
/// value; an unknown new value always counts as a change).
pub fn property_diffs(old: &PropertyMap, new: &PropertyMap) -> Vec<PropertyDiff> {
    let mut out = Vec::new();
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        diff_value(k, old.get(k), new.get(k), &mut out);
    }
    out
}

fn diff_value(path: &str, old: Option<&Value>, new: Option<&Value>, out: &mut Vec<PropertyDiff>) {
    match (old, new) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                diff_value(&format!("{path}.{k}"), a.get(k), b.get(k), out);
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) => {
            for i in 0..a.len().max(b.len()) {
                diff_value(&format!("{path}[{i}]"), a.get(i), b.get(i), out);
            }
        }
        (Some(a), Some(b)) if !b.contains_unknown() && a.same_as(b) => {}
        (None, None) => {}
        (a, b) => out.push(PropertyDiff { path: path.to_string(), old: a.cloned(), new: b.cloned() }),
    }
}

/// Applies `ignoreChanges`: for each pattern (a top-level name or a dotted
/// path into objects), the recorded value replaces the desired one — or the
/// desired one is dropped if nothing was recorded there.
pub fn apply_ignore_changes(old: &PropertyMap, new: &mut PropertyMap, patterns: &[String]) {
    for pattern in patterns {
        if pattern == "*" {
            *new = old.clone();
            return;
        }
        let path: Vec<&str> = pattern.split('.').collect();
        let recorded = lookup(old, &path).cloned();
        set(new, &path, recorded);
    }
}

fn lookup<'a>(map: &'a PropertyMap, path: &[&str]) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    let mut v = map.get(*first)?;
    for seg in rest {
        v = v.as_object()?.get(*seg)?;
    }
    Some(v)
}

fn set(map: &mut PropertyMap, path: &[&str], value: Option<Value>) {
    let Some((first, rest)) = path.split_first() else { return };
    if rest.is_empty() {
        match value {
            Some(v) => {
                map.insert(first.to_string(), v);
            }
            None => {
                map.remove(*first);
            }
        }
        return;
    }
    let entry = map.entry(first.to_string()).or_insert_with(|| Value::Object(Default::default()));
    if let Value::Object(inner) = entry {
        set(inner, rest, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, Value)]) -> PropertyMap {
        pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
    }

    #[test]
    fn diffs_are_reported_per_leaf() {
        let old = map(&[("cidrBlock", "10.0.0.0/16".into()), ("tags", Value::object([("Name", "a"), ("Env", "dev")]))]);
        let new = map(&[("cidrBlock", "10.0.0.0/16".into()), ("tags", Value::object([("Name", "b"), ("Env", "dev")]))]);
        let d = property_diffs(&old, &new);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].path, "tags.Name");
        assert_eq!(d[0].top_level(), "tags");
    }

    #[test]
    fn unknown_values_always_differ() {
        let old = map(&[("vpcId", "vpc-1".into())]);
        let new = map(&[("vpcId", Value::Unknown)]);
        assert_eq!(property_diffs(&old, &new).len(), 1);
    }

    #[test]
    fn ignore_changes_keeps_recorded_values_at_any_depth() {
        let old = map(&[("desiredCount", 2.into()), ("tags", Value::object([("Owner", "ops")]))]);
        let mut new = map(&[("desiredCount", 5.into()), ("tags", Value::object([("Owner", "dev"), ("X", "y")]))]);
        apply_ignore_changes(&old, &mut new, &["desiredCount".into(), "tags.Owner".into()]);
        assert_eq!(new["desiredCount"], Value::from(2));
        assert_eq!(new["tags"], Value::object([("Owner", "ops"), ("X", "y")]));
    }
}
