//! The helper every component registers its children through, so names and
//! tags are applied the same way everywhere.

use crate::model::{Component, Program, ProgramError, PropertyMap, Provider, Resource, ResourceOptions, Value};

use super::naming::resource_type;
use super::{Naming, Tags};

/// Registers a component's children with its naming and tags.
pub(crate) struct Children<'a> {
    pub(crate) program: &'a mut Program,
    pub(crate) parent: Component,
    pub(crate) naming: &'a Naming,
    pub(crate) tags: &'a Tags,
}

impl Children<'_> {
    /// Registers a child with default options.
    pub(crate) fn add(
        &mut self,
        token: &str,
        logical: &str,
        inputs: Vec<(&str, Value)>,
    ) -> Result<Resource, ProgramError> {
        self.add_with(token, logical, inputs, ResourceOptions::default())
    }

    /// Registers a child with options.
    pub(crate) fn add_with(
        &mut self,
        token: &str,
        logical: &str,
        inputs: Vec<(&str, Value)>,
        options: ResourceOptions,
    ) -> Result<Resource, ProgramError> {
        let mut inputs: PropertyMap = inputs.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        if self.tags.resource_type() {
            add_resource_type(token, &mut inputs);
        }
        self.program.resource(&self.parent, token, logical, inputs, options)
    }

    /// Registers a child managed by an explicit provider (e.g. another region).
    pub(crate) fn add_on(
        &mut self,
        provider: &Provider,
        token: &str,
        logical: &str,
        inputs: Vec<(&str, Value)>,
        options: ResourceOptions,
    ) -> Result<Resource, ProgramError> {
        let mut inputs: PropertyMap = inputs.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        if self.tags.resource_type() {
            add_resource_type(token, &mut inputs);
        }
        self.program.resource_with_provider(&self.parent, token, logical, inputs, options, provider)
    }

    /// Registers a child on `provider`, or on the default provider.
    pub(crate) fn add_for(
        &mut self,
        provider: Option<&Provider>,
        token: &str,
        logical: &str,
        inputs: Vec<(&str, Value)>,
        options: ResourceOptions,
    ) -> Result<Resource, ProgramError> {
        match provider {
            Some(p) => self.add_on(p, token, logical, inputs, options),
            None => self.add_with(token, logical, inputs, options),
        }
    }

    /// The physical name for `logical` within `limit` characters.
    pub(crate) fn name(&self, logical: &str, limit: usize) -> String {
        self.naming.name(logical, limit)
    }

    /// The common tags plus `Name`.
    pub(crate) fn tags(&self, name: &str) -> Value {
        self.tags.named(name)
    }

    /// An IAM role that `service` may assume, named within IAM's 64 characters.
    pub(crate) fn role(&mut self, logical: &str, service: &str, description: &str) -> Result<Resource, ProgramError> {
        self.role_trusting(logical, assume_role_policy(service, None), description)
    }

    /// An inline policy of `role` granting `statements`, named after
    /// `name` within IAM's 128 characters.
    pub(crate) fn role_policy(
        &mut self,
        logical: &str,
        name: &str,
        role: &Resource,
        statements: Vec<Value>,
    ) -> Result<Resource, ProgramError> {
        let name = self.name(name, 128);
        self.add(
            "aws:iam/rolePolicy:RolePolicy",
            logical,
            vec![("name", name.into()), ("role", role.output("name")), ("policy", policy_document(statements))],
        )
    }

    /// An S3 bucket named after `name` within S3's 63 characters, tagged;
    /// returns it and its name.
    pub(crate) fn bucket(&mut self, logical: &str, name: &str) -> Result<(Resource, String), ProgramError> {
        let name = self.name(name, 63);
        let tags = self.tags(&name);
        let bucket =
            self.add("aws:s3/bucket:Bucket", logical, vec![("bucket", name.clone().into()), ("tags", tags)])?;
        Ok((bucket, name))
    }

    /// The instance profile through which EC2 instances take `role`.
    pub(crate) fn instance_profile(&mut self, role: &Resource) -> Result<Resource, ProgramError> {
        let name = self.name("instance-profile", 128);
        let tags = self.tags(&name);
        self.add(
            "aws:iam/instanceProfile:InstanceProfile",
            "instance-profile",
            vec![("name", name.into()), ("role", role.output("name")), ("tags", tags)],
        )
    }

    /// An IAM role with the trust policy `trust`, named within IAM's 64
    /// characters.
    pub(crate) fn role_trusting(
        &mut self,
        logical: &str,
        trust: Value,
        description: &str,
    ) -> Result<Resource, ProgramError> {
        let name = self.name(logical, 64);
        let tags = self.tags(&name);
        self.add(
            "aws:iam/role:Role",
            logical,
            vec![
                ("name", name.into()),
                ("assumeRolePolicy", trust),
                ("description", description.into()),
                ("tags", tags),
            ],
        )
    }
}

/// Adds the `ResourceType` tag to a resource's `tags` (a map, or Auto
/// Scaling's list of `{key, value, propagateAtLaunch}`, where it stays on the
/// group) and to a launch template's instance and volume tags.
fn add_resource_type(token: &str, inputs: &mut PropertyMap) {
    let kind = Value::from(resource_type(token));
    match inputs.get_mut("tags") {
        Some(Value::Object(tags)) => {
            tags.insert("ResourceType".into(), kind);
        }
        Some(Value::Array(tags)) => tags.push(Value::object([
            ("key", Value::from("ResourceType")),
            ("value", kind),
            ("propagateAtLaunch", Value::from(false)),
        ])),
        _ => {}
    }
    if let Some(Value::Array(specs)) = inputs.get_mut("tagSpecifications") {
        for spec in specs {
            let Value::Object(spec) = spec else { continue };
            let launched = match spec.get("resourceType").and_then(Value::as_str) {
                Some("instance") => "Instance",
                Some("volume") => "Volume",
                _ => continue,
            };
            if let Some(Value::Object(tags)) = spec.get_mut("tags") {
                tags.insert("ResourceType".into(), Value::from(launched));
            }
        }
    }
}

/// The trust policy letting one AWS service assume a role, on the calls made
/// for `account` only when given (the confused-deputy guard
/// `aws:SourceAccount`).
pub(crate) fn assume_role_policy(service: &str, account: Option<&str>) -> Value {
    let mut statement = vec![
        ("Effect", Value::from("Allow")),
        ("Principal", Value::object([("Service", service)])),
        ("Action", Value::from("sts:AssumeRole")),
    ];
    if let Some(account) = account {
        statement
            .push(("Condition", Value::object([("StringEquals", Value::object([("aws:SourceAccount", account)]))])));
    }
    policy_document(vec![Value::object(statement)])
}

/// Whether `id` is an AWS account id (12 digits).
pub(crate) fn is_account_id(id: &str) -> bool {
    id.len() == 12 && id.chars().all(|c| c.is_ascii_digit())
}

/// An IAM policy document (as the JSON string IAM wants) from statements that
/// may reference other resources' ARNs.
pub(crate) fn policy_document(statements: Vec<Value>) -> Value {
    Value::JsonString(Box::new(Value::object([
        ("Version", Value::from("2012-10-17")),
        ("Statement", Value::Array(statements)),
    ])))
}

/// One `Allow` statement for `actions` on exactly `resources`.
pub(crate) fn allow(actions: &[&str], resources: Vec<Value>) -> Value {
    Value::object([
        ("Effect", Value::from("Allow")),
        ("Action", Value::array(actions.iter().copied())),
        ("Resource", Value::Array(resources)),
    ])
}
