//! Pulumi URNs: `urn:pulumi:<stack>::<project>::<qualified type>::<name>`.
//!
//! The qualified type chains the types of a resource's ancestors with `$`, so two
//! resources with the same name under different components never collide. The root
//! `pulumi:pulumi:Stack` resource is the one ancestor that is never chained.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The type token of the root resource every stack has.
pub const ROOT_STACK_TYPE: &str = "pulumi:pulumi:Stack";

/// A parsed, well-formed Pulumi URN.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Urn(String);

/// A string that is not a Pulumi URN.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not a Pulumi URN (expected urn:pulumi:<stack>::<project>::<type>::<name>)")]
pub struct UrnError(String);

impl Urn {
    /// The URN of the root `pulumi:pulumi:Stack` resource, named `<project>-<stack>`.
    pub fn root(stack: &str, project: &str) -> Urn {
        Urn(format!("urn:pulumi:{stack}::{project}::{ROOT_STACK_TYPE}::{project}-{stack}"))
    }

    /// The URN of a resource of `type_token` named `name` whose parent is `parent`
    /// (or no parent at all, for the root and for default providers).
    pub fn new(stack: &str, project: &str, parent: Option<&Urn>, type_token: &str, name: &str) -> Urn {
        let qualified = match parent {
            Some(parent) if parent.type_token() != ROOT_STACK_TYPE => {
                format!("{}${type_token}", parent.qualified_type())
            }
            _ => type_token.to_string(),
        };
        Urn(format!("urn:pulumi:{stack}::{project}::{qualified}::{name}"))
    }

    /// Parses and validates a URN string.
    pub fn parse(s: &str) -> Result<Urn, UrnError> {
        let rest = s.strip_prefix("urn:pulumi:").ok_or_else(|| UrnError(s.to_string()))?;
        let parts: Vec<&str> = rest.splitn(4, "::").collect();
        if parts.len() != 4 || parts[..3].iter().any(|p| p.is_empty()) {
            return Err(UrnError(s.to_string()));
        }
        Ok(Urn(s.to_string()))
    }

    fn parts(&self) -> [&str; 4] {
        let rest = &self.0["urn:pulumi:".len()..];
        let mut it = rest.splitn(4, "::");
        let mut next = || it.next().unwrap_or_default();
        [next(), next(), next(), next()]
    }

    /// The stack the URN belongs to.
    pub fn stack(&self) -> &str {
        self.parts()[0]
    }

    /// The project the URN belongs to.
    pub fn project(&self) -> &str {
        self.parts()[1]
    }

    /// The `$`-chained qualified type.
    pub fn qualified_type(&self) -> &str {
        self.parts()[2]
    }

    /// The resource's own type token (the last link of the qualified type).
    pub fn type_token(&self) -> &str {
        let q = self.qualified_type();
        q.rsplit('$').next().unwrap_or(q)
    }

    /// The resource's logical name.
    pub fn name(&self) -> &str {
        self.parts()[3]
    }

    /// The URN as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Urn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Urn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Urn({})", self.0)
    }
}

impl TryFrom<String> for Urn {
    type Error = UrnError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Urn::parse(&s)
    }
}

impl From<Urn> for String {
    fn from(u: Urn) -> String {
        u.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_named_project_dash_stack() {
        let root = Urn::root("dev", "tap");
        assert_eq!(root.as_str(), "urn:pulumi:dev::tap::pulumi:pulumi:Stack::tap-dev");
        assert_eq!(root.name(), "tap-dev");
        assert_eq!(root.type_token(), ROOT_STACK_TYPE);
    }

    #[test]
    fn children_of_the_root_are_not_chained_but_grandchildren_are() {
        let root = Urn::root("dev", "tap");
        let comp = Urn::new("dev", "tap", Some(&root), "tap:components:Networking", "net");
        assert_eq!(comp.as_str(), "urn:pulumi:dev::tap::tap:components:Networking::net");
        let vpc = Urn::new("dev", "tap", Some(&comp), "aws:ec2/vpc:Vpc", "vpc");
        assert_eq!(vpc.as_str(), "urn:pulumi:dev::tap::tap:components:Networking$aws:ec2/vpc:Vpc::vpc");
        assert_eq!(vpc.type_token(), "aws:ec2/vpc:Vpc");
        assert_eq!(vpc.qualified_type(), "tap:components:Networking$aws:ec2/vpc:Vpc");
    }

    #[test]
    fn names_may_contain_double_colons() {
        let u = Urn::parse("urn:pulumi:s::p::t::a::b").unwrap();
        assert_eq!(u.name(), "a::b");
        assert_eq!(u.project(), "p");
        assert_eq!(u.stack(), "s");
    }

    #[test]
    fn malformed_urns_are_refused() {
        for bad in ["", "urn:pulumi:", "urn:pulumi:a::b::c", "arn:aws:x", "urn:pulumi:::p::t::n"] {
            assert!(Urn::parse(bad).is_err(), "{bad}");
        }
    }
}
