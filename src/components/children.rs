//! The helper every component registers its children through, so names and
//! tags are applied the same way everywhere.

use crate::model::{Component, Program, ProgramError, PropertyMap, Provider, Resource, ResourceOptions, Value};

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
        let inputs: PropertyMap = inputs.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
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
        let inputs: PropertyMap = inputs.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
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
        let name = self.name(logical, 64);
        let tags = self.tags(&name);
        self.add(
            "aws:iam/role:Role",
            logical,
            vec![
                ("name", name.into()),
                ("assumeRolePolicy", assume_role_policy(service)),
                ("description", description.into()),
                ("tags", tags),
            ],
        )
    }
}

/// The trust policy letting one AWS service assume a role.
fn assume_role_policy(service: &str) -> Value {
    policy_document(vec![Value::object([
        ("Effect", Value::from("Allow")),
        ("Principal", Value::object([("Service", service)])),
        ("Action", Value::from("sts:AssumeRole")),
    ])])
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
