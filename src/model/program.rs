//! The registration API a stack program uses: components and resources go in,
//! handles come out, and an input built from a handle's output (`vpc.id()`) is
//! at once an output reference and a dependency edge.

use std::collections::{BTreeMap, HashMap};

use super::options::ResourceOptions;
use super::urn::{Urn, ROOT_STACK_TYPE};
use super::value::{OutputRef, PropertyMap, Value};

/// The type token of the AWS provider resource.
pub const AWS_PROVIDER_TYPE: &str = "pulumi:providers:aws";
/// The name Pulumi gives the default provider of pulumi-aws 7.48.0.
pub const DEFAULT_AWS_PROVIDER_NAME: &str = "default_7_48_0";
/// The pulumi-aws version whose tokens and property names tapctl records.
pub const PULUMI_AWS_VERSION: &str = "7.48.0";

/// A resource or component as the program declared it.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredResource {
    /// Its URN.
    pub urn: Urn,
    /// `true` for cloud resources and providers, `false` for components.
    pub custom: bool,
    /// Inputs under pulumi-aws property names; may hold output references.
    pub inputs: PropertyMap,
    /// Resource options.
    pub options: ResourceOptions,
    /// The parent component (the root stack for top-level resources).
    pub parent: Option<Urn>,
    /// The provider resource that manages it (custom resources only).
    pub provider: Option<Urn>,
}

impl DesiredResource {
    /// The resource's type token.
    pub fn type_token(&self) -> &str {
        self.urn.type_token()
    }

    /// Whether this is a provider resource (`pulumi:providers:*`).
    pub fn is_provider(&self) -> bool {
        is_provider_type(self.type_token())
    }

    /// What it depends on: explicit `dependsOn`, every resource its inputs
    /// reference, and its provider. The parent is recorded separately.
    pub fn dependencies(&self) -> Vec<Urn> {
        let mut deps: Vec<Urn> = Vec::new();
        let mut push = |u: &Urn| {
            if !deps.contains(u) {
                deps.push(u.clone());
            }
        };
        self.options.depends_on.iter().for_each(&mut push);
        for v in self.inputs.values() {
            v.output_refs().into_iter().for_each(|r| push(&r.urn));
        }
        if let Some(p) = &self.provider {
            push(p);
        }
        deps
    }

    /// For each input, the resources it references (Pulumi's `propertyDependencies`).
    pub fn property_dependencies(&self) -> BTreeMap<String, Vec<Urn>> {
        self.inputs
            .iter()
            .filter_map(|(k, v)| {
                let mut urns: Vec<Urn> = Vec::new();
                for r in v.output_refs() {
                    if !urns.contains(&r.urn) {
                        urns.push(r.urn.clone());
                    }
                }
                (!urns.is_empty()).then(|| (k.clone(), urns))
            })
            .collect()
    }
}

/// Whether a type token names a provider resource.
pub fn is_provider_type(token: &str) -> bool {
    token.starts_with("pulumi:providers:")
}

/// A mistake in the program's registrations.
#[derive(Debug, thiserror::Error)]
pub enum ProgramError {
    /// Two registrations produced one URN.
    #[error("duplicate resource URN {0}: give one of the two resources another name")]
    DuplicateUrn(Urn),
    /// A type token that is not `package:module:Type`.
    #[error("`{0}` is not a type token (expected package:module:Type, e.g. aws:ec2/vpc:Vpc)")]
    BadTypeToken(String),
    /// An empty or over-long resource name.
    #[error("resource name `{0}` is invalid: names must be 1–255 characters")]
    BadName(String),
}

/// A component (or the root stack) that resources can be parented under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    urn: Urn,
}

impl Component {
    /// The component's URN.
    pub fn urn(&self) -> &Urn {
        &self.urn
    }
}

/// A registered cloud resource; its outputs can feed other resources' inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    urn: Urn,
}

impl Resource {
    /// The resource's URN.
    pub fn urn(&self) -> &Urn {
        &self.urn
    }

    /// A reference to one of its output properties.
    pub fn output(&self, property: &str) -> Value {
        Value::Output(OutputRef { urn: self.urn.clone(), property: property.to_string() })
    }

    /// A reference to its cloud id.
    pub fn id(&self) -> Value {
        self.output("id")
    }

    /// A reference to its ARN.
    pub fn arn(&self) -> Value {
        self.output("arn")
    }

    /// This resource as the parent of others (Pulumi allows any resource
    /// as a parent; its type then chains into theirs).
    pub fn as_parent(&self) -> Component {
        Component { urn: self.urn.clone() }
    }
}

/// A physical name the program generated the way Pulumi auto-names (logical
/// name, `-`, 7 hex characters): a stack that already recorded one for the
/// resource keeps the recorded one (see [`Program::set_input`]).
#[derive(Debug, Clone, PartialEq)]
pub struct AutoName {
    /// The resource.
    pub urn: Urn,
    /// The input that holds the name (`name`, `bucket`, …).
    pub property: String,
    /// What the generated suffix follows (`<logical name>-`).
    pub prefix: String,
}

/// A provider resource that custom resources can be bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    urn: Urn,
}

impl Provider {
    /// The provider's URN.
    pub fn urn(&self) -> &Urn {
        &self.urn
    }
}

/// The resources a stack program declares, in registration order.
#[derive(Debug, Clone)]
pub struct Program {
    project: String,
    stack: String,
    resources: Vec<DesiredResource>,
    by_urn: HashMap<Urn, usize>,
    default_provider_inputs: PropertyMap,
    default_provider: Option<Urn>,
    outputs: PropertyMap,
    autonames: Vec<AutoName>,
}

impl Program {
    /// Starts a program for `project`/`stack` with its root `pulumi:pulumi:Stack`.
    /// `aws_provider_inputs` configure the default AWS provider (e.g. `region`).
    pub fn new(project: &str, stack: &str, aws_provider_inputs: PropertyMap) -> Program {
        let root = DesiredResource {
            urn: Urn::root(stack, project),
            custom: false,
            inputs: PropertyMap::new(),
            options: ResourceOptions::default(),
            parent: None,
            provider: None,
        };
        let mut by_urn = HashMap::new();
        by_urn.insert(root.urn.clone(), 0);
        Program {
            project: project.to_string(),
            stack: stack.to_string(),
            resources: vec![root],
            by_urn,
            default_provider_inputs: aws_provider_inputs,
            default_provider: None,
            outputs: PropertyMap::new(),
            autonames: Vec::new(),
        }
    }

    /// The project name.
    pub fn project(&self) -> &str {
        &self.project
    }

    /// The stack name.
    pub fn stack(&self) -> &str {
        &self.stack
    }

    /// The root stack component.
    pub fn root(&self) -> Component {
        Component { urn: self.resources[0].urn.clone() }
    }

    /// Every registered resource, the root first, in registration order.
    pub fn resources(&self) -> &[DesiredResource] {
        &self.resources
    }

    /// The resource registered under `urn`.
    pub fn get(&self, urn: &Urn) -> Option<&DesiredResource> {
        self.by_urn.get(urn).map(|&i| &self.resources[i])
    }

    /// The stack outputs exported so far.
    pub fn outputs(&self) -> &PropertyMap {
        &self.outputs
    }

    /// Registers a component resource (`custom: false`) under `parent`.
    pub fn component(&mut self, parent: &Component, type_token: &str, name: &str) -> Result<Component, ProgramError> {
        let urn = self.urn_for(Some(&parent.urn), type_token, name)?;
        self.push(DesiredResource {
            urn: urn.clone(),
            custom: false,
            inputs: PropertyMap::new(),
            options: ResourceOptions::default(),
            parent: Some(parent.urn.clone()),
            provider: None,
        })?;
        Ok(Component { urn })
    }

    /// Registers an explicit provider instance (e.g. a second AWS region).
    pub fn provider(&mut self, name: &str, inputs: PropertyMap) -> Result<Provider, ProgramError> {
        let root = self.root();
        let urn = self.urn_for(Some(&root.urn), AWS_PROVIDER_TYPE, name)?;
        let mut inputs = inputs;
        inputs.insert("version".into(), PULUMI_AWS_VERSION.into());
        self.push(DesiredResource {
            urn: urn.clone(),
            custom: true,
            inputs,
            options: ResourceOptions::default(),
            parent: Some(root.urn),
            provider: None,
        })?;
        Ok(Provider { urn })
    }

    /// Registers a cloud resource under `parent`, managed by the default AWS provider.
    pub fn resource(
        &mut self,
        parent: &Component,
        type_token: &str,
        name: &str,
        inputs: PropertyMap,
        options: ResourceOptions,
    ) -> Result<Resource, ProgramError> {
        let provider = self.default_provider()?;
        self.resource_with_provider(parent, type_token, name, inputs, options, &Provider { urn: provider })
    }

    /// Registers a cloud resource under `parent`, managed by `provider`.
    pub fn resource_with_provider(
        &mut self,
        parent: &Component,
        type_token: &str,
        name: &str,
        inputs: PropertyMap,
        options: ResourceOptions,
        provider: &Provider,
    ) -> Result<Resource, ProgramError> {
        let urn = self.urn_for(Some(&parent.urn), type_token, name)?;
        let inputs = inputs.into_iter().filter(|(_, v)| !v.is_null()).collect();
        self.push(DesiredResource {
            urn: urn.clone(),
            custom: true,
            inputs,
            options,
            parent: Some(parent.urn.clone()),
            provider: Some(provider.urn.clone()),
        })?;
        Ok(Resource { urn })
    }

    /// Records that `property` of `resource` holds an auto-generated name
    /// beginning with `prefix`.
    pub fn mark_autonamed(&mut self, resource: &Resource, property: &str, prefix: &str) {
        self.autonames.push(AutoName {
            urn: resource.urn.clone(),
            property: property.to_string(),
            prefix: prefix.to_string(),
        });
    }

    /// The auto-generated names, in registration order.
    pub fn autonames(&self) -> &[AutoName] {
        &self.autonames
    }

    /// Replaces one input of a registered resource (a recorded auto-name
    /// taking the place of a generated one). `false` if there is no such
    /// resource.
    pub fn set_input(&mut self, urn: &Urn, property: &str, value: Value) -> bool {
        match self.by_urn.get(urn) {
            Some(&i) => {
                self.resources[i].inputs.insert(property.to_string(), value);
                true
            }
            None => false,
        }
    }

    /// Exports a stack output (recorded on the root stack resource).
    pub fn export(&mut self, name: &str, value: impl Into<Value>) {
        self.outputs.insert(name.to_string(), value.into());
    }

    /// The default AWS provider resource, once a resource has asked for it.
    pub fn default_provider_urn(&self) -> Option<&Urn> {
        self.default_provider.as_ref()
    }

    /// Gives the default provider the name and `version` a state recorded it
    /// under (`default_5_35_0` after a Pulumi CLI with pulumi-aws 5.35.0):
    /// Pulumi names default providers after the plugin version, and a newer
    /// plugin with the same configuration is the same provider, so its
    /// resources keep pointing at the recorded one and nothing is replaced.
    pub fn keep_default_provider_name(&mut self, name: &str, version: &str) -> Result<(), ProgramError> {
        let Some(old) = self.default_provider.clone() else { return Ok(()) };
        let new = self.urn_for(None, AWS_PROVIDER_TYPE, name)?;
        if new == old {
            return Ok(());
        }
        if self.by_urn.contains_key(&new) {
            return Err(ProgramError::DuplicateUrn(new));
        }
        let index = self.by_urn.remove(&old).expect("the default provider is registered");
        self.by_urn.insert(new.clone(), index);
        let provider = &mut self.resources[index];
        provider.urn = new.clone();
        provider.inputs.insert("version".into(), version.into());
        for r in &mut self.resources {
            if r.provider.as_ref() == Some(&old) {
                r.provider = Some(new.clone());
            }
            for d in r.options.depends_on.iter_mut().filter(|d| **d == old) {
                *d = new.clone();
            }
        }
        self.default_provider = Some(new);
        Ok(())
    }

    fn default_provider(&mut self) -> Result<Urn, ProgramError> {
        if let Some(urn) = &self.default_provider {
            return Ok(urn.clone());
        }
        // Default providers have no parent, as in Pulumi.
        let urn = self.urn_for(None, AWS_PROVIDER_TYPE, DEFAULT_AWS_PROVIDER_NAME)?;
        let mut inputs = self.default_provider_inputs.clone();
        inputs.insert("version".into(), PULUMI_AWS_VERSION.into());
        self.push(DesiredResource {
            urn: urn.clone(),
            custom: true,
            inputs,
            options: ResourceOptions::default(),
            parent: None,
            provider: None,
        })?;
        self.default_provider = Some(urn.clone());
        Ok(urn)
    }

    fn urn_for(&self, parent: Option<&Urn>, type_token: &str, name: &str) -> Result<Urn, ProgramError> {
        let parts: Vec<&str> = type_token.split(':').collect();
        if parts.len() != 3 || parts.iter().any(|p| p.is_empty()) || type_token == ROOT_STACK_TYPE {
            return Err(ProgramError::BadTypeToken(type_token.to_string()));
        }
        if name.is_empty() || name.len() > 255 {
            return Err(ProgramError::BadName(name.to_string()));
        }
        Ok(Urn::new(&self.stack, &self.project, parent, type_token, name))
    }

    fn push(&mut self, resource: DesiredResource) -> Result<(), ProgramError> {
        if self.by_urn.contains_key(&resource.urn) {
            return Err(ProgramError::DuplicateUrn(resource.urn));
        }
        self.by_urn.insert(resource.urn.clone(), self.resources.len());
        self.resources.push(resource);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn program() -> Program {
        Program::new("tap", "dev", PropertyMap::from([("region".into(), "us-east-1".into())]))
    }

    #[test]
    fn an_output_used_as_input_is_a_reference_and_a_dependency() {
        let mut p = program();
        let root = p.root();
        let net = p.component(&root, "tap:components:Networking", "net").unwrap();
        let vpc = p
            .resource(
                &net,
                "aws:ec2/vpc:Vpc",
                "vpc",
                PropertyMap::from([("cidrBlock".into(), "10.0.0.0/16".into())]),
                ResourceOptions::default(),
            )
            .unwrap();
        let subnet = p
            .resource(
                &net,
                "aws:ec2/subnet:Subnet",
                "a",
                PropertyMap::from([("vpcId".into(), vpc.id())]),
                ResourceOptions::default(),
            )
            .unwrap();
        let s = p.get(subnet.urn()).unwrap();
        assert!(s.dependencies().contains(vpc.urn()));
        assert_eq!(s.property_dependencies()["vpcId"], vec![vpc.urn().clone()]);
        assert_eq!(s.parent.as_ref(), Some(net.urn()));
        let provider = s.provider.clone().unwrap();
        assert_eq!(provider.as_str(), "urn:pulumi:dev::tap::pulumi:providers:aws::default_7_48_0");
        assert!(s.dependencies().contains(&provider));
        assert_eq!(s.urn.as_str(), "urn:pulumi:dev::tap::tap:components:Networking$aws:ec2/subnet:Subnet::a");
    }

    #[test]
    fn duplicate_urns_and_bad_tokens_are_refused() {
        let mut p = program();
        let root = p.root();
        p.component(&root, "tap:components:Networking", "net").unwrap();
        assert!(matches!(p.component(&root, "tap:components:Networking", "net"), Err(ProgramError::DuplicateUrn(_))));
        assert!(matches!(p.component(&root, "nonsense", "x"), Err(ProgramError::BadTypeToken(_))));
        assert!(matches!(p.component(&root, "a:b:C", ""), Err(ProgramError::BadName(_))));
    }
}
