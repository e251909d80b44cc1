//! One naming convention, `<project>-<env>-<component>-<suffix>`, lower-cased
//! and shortened to fit each AWS service's limit, and the common tags.

use sha2::Digest;

use crate::model::Value;

/// Builds physical names for one stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Naming {
    project: String,
    environment: String,
    suffix: String,
}

impl Naming {
    /// A naming scheme for `project` in `environment` with `suffix`.
    pub fn new(project: &str, environment: &str, suffix: &str) -> Naming {
        Naming { project: clean(project), environment: clean(environment), suffix: clean(suffix) }
    }

    /// The environment.
    pub fn environment(&self) -> &str {
        &self.environment
    }

    /// `<project>-<env>-<component>-<suffix>` within `limit` characters. When
    /// too long, the component part is shortened and a hash of the full name
    /// keeps it unique; the environment and suffix are never cut.
    pub fn name(&self, component: &str, limit: usize) -> String {
        let component = clean(component);
        let full = self.join(&component);
        if full.len() <= limit {
            return full;
        }
        let hash: String = sha2::Sha256::digest(full.as_bytes()).iter().take(3).map(|b| format!("{b:02x}")).collect();
        // Everything but the component part: the other parts with their
        // hyphens, the hash and the hyphen before it.
        let fixed = self.join("x").len() - 1 + hash.len() + 1;
        let room = limit.saturating_sub(fixed);
        let short: String = component.chars().take(room).collect();
        let short = short.trim_end_matches('-');
        let name = if short.is_empty() { self.join(&hash) } else { self.join(&format!("{short}-{hash}")) };
        name.chars().take(limit).collect::<String>().trim_end_matches('-').to_string()
    }

    /// The length of a name whose component part is empty (for validation).
    pub fn fixed_len(&self) -> usize {
        self.join("x").len() - 1
    }

    fn join(&self, component: &str) -> String {
        [self.project.as_str(), self.environment.as_str(), component, self.suffix.as_str()]
            .iter()
            .filter(|p| !p.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join("-")
    }
}

fn clean(s: &str) -> String {
    let lowered: String =
        s.to_ascii_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    lowered.split('-').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("-")
}

/// The tags every taggable resource carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tags {
    common: Vec<(String, String)>,
    resource_type: bool,
}

impl Tags {
    /// `Project`, `Environment`, `ManagedBy` plus any extra pairs.
    pub fn new(project: &str, environment: &str, extra: &[(String, String)]) -> Tags {
        let mut common = vec![
            ("Project".to_string(), project.to_string()),
            ("Environment".to_string(), environment.to_string()),
            ("ManagedBy".to_string(), "tapctl".to_string()),
        ];
        common.extend(extra.iter().cloned());
        Tags { common, resource_type: false }
    }

    /// These tags plus, on every resource, `ResourceType` (see
    /// [`resource_type`]). Opt-in, so that the stacks of programs made before
    /// it keep their tags.
    pub fn with_resource_type(self) -> Tags {
        Tags { resource_type: true, ..self }
    }

    /// Whether resources also get a `ResourceType` tag.
    pub fn resource_type(&self) -> bool {
        self.resource_type
    }

    /// The common tags plus `Name`.
    pub fn named(&self, name: &str) -> Value {
        let mut pairs: Vec<(String, Value)> = self.common.iter().map(|(k, v)| (k.clone(), Value::from(v))).collect();
        pairs.push(("Name".into(), Value::from(name)));
        Value::object(pairs)
    }
}

/// The `ResourceType` tag of a resource of pulumi-aws type `token`: the
/// type's name (`aws:ec2/natGateway:NatGateway` → `NatGateway`), prefixed by
/// its service where the bare name says too little (`AutoScalingGroup`,
/// `S3Bucket`, `SsmParameter`, …).
pub fn resource_type(token: &str) -> String {
    let name = token.rsplit(':').next().unwrap_or(token);
    let service = token.strip_prefix("aws:").and_then(|t| t.split('/').next()).unwrap_or("");
    match (service, name) {
        ("autoscaling", "Group") => "AutoScalingGroup".into(),
        ("autoscaling", "Policy") => "ScalingPolicy".into(),
        ("s3", "Bucket") => "S3Bucket".into(),
        ("ssm", "Parameter") => "SsmParameter".into(),
        ("sns", "Topic") => "SnsTopic".into(),
        ("kms", "Key") => "KmsKey".into(),
        ("iam", "Role") => "IamRole".into(),
        ("iam", "Policy") => "IamPolicy".into(),
        ("secretsmanager", "Secret") => "SecretsManagerSecret".into(),
        _ => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_convention_and_fit_limits() {
        let n = Naming::new("TAP", "dev", "pr-1234");
        assert_eq!(n.name("alb", 32), "tap-dev-alb-pr-1234");
        let long = n.name("blue-target-group-for-the-api", 32);
        assert!(long.len() <= 32, "{long}");
        assert!(long.starts_with("tap-dev-") && long.ends_with("-pr-1234"), "{long}");
        assert_ne!(long, n.name("blue-target-group-for-the-web", 32));
    }

    #[test]
    fn tags_carry_the_common_set_and_name() {
        let t = Tags::new("tap", "dev", &[]).named("x");
        let o = t.as_object().unwrap();
        assert_eq!(o["ManagedBy"], Value::from("tapctl"));
        assert_eq!(o["Name"], Value::from("x"));
        assert_eq!(o.len(), 4);
    }

    #[test]
    fn resource_types_name_the_kind() {
        assert_eq!(resource_type("aws:ec2/natGateway:NatGateway"), "NatGateway");
        assert_eq!(resource_type("aws:autoscaling/group:Group"), "AutoScalingGroup");
        assert_eq!(resource_type("aws:s3/bucket:Bucket"), "S3Bucket");
        assert!(!Tags::new("tap", "dev", &[]).resource_type());
        assert!(Tags::new("tap", "dev", &[]).with_resource_type().resource_type());
    }
}
