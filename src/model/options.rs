//! Resource options, with Pulumi's names and meanings.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::urn::Urn;

/// How long create, update and delete may take before the engine gives up waiting.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomTimeouts {
    /// Limit for create, in seconds (0 = provider default).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub create: u64,
    /// Limit for update, in seconds (0 = provider default).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub update: u64,
    /// Limit for delete, in seconds (0 = provider default).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub delete: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl CustomTimeouts {
    /// The limit for create, if one is set.
    pub fn create_limit(&self) -> Option<Duration> {
        (self.create > 0).then(|| Duration::from_secs(self.create))
    }

    /// The limit for update, if one is set.
    pub fn update_limit(&self) -> Option<Duration> {
        (self.update > 0).then(|| Duration::from_secs(self.update))
    }

    /// The limit for delete, if one is set.
    pub fn delete_limit(&self) -> Option<Duration> {
        (self.delete > 0).then(|| Duration::from_secs(self.delete))
    }

    /// Whether no limit is set.
    pub fn is_empty(&self) -> bool {
        self == &CustomTimeouts::default()
    }
}

/// Options that change how the engine treats a resource (Pulumi's `ResourceOptions`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResourceOptions {
    /// Resources that must be created before this one, beyond those its inputs reference.
    pub depends_on: Vec<Urn>,
    /// Refuse to delete or replace this resource.
    pub protect: bool,
    /// Input properties whose changes are ignored after creation.
    pub ignore_changes: Vec<String>,
    /// Input properties whose changes force a replacement even where an update would do.
    pub replace_on_changes: Vec<String>,
    /// Delete the old resource before creating its replacement.
    pub delete_before_replace: bool,
    /// Leave the cloud resource in place when it is removed from the program.
    pub retain_on_delete: bool,
    /// Time limits for create, update and delete.
    pub custom_timeouts: CustomTimeouts,
}

impl ResourceOptions {
    /// Adds a dependency.
    pub fn depends_on(mut self, urn: &Urn) -> Self {
        self.depends_on.push(urn.clone());
        self
    }

    /// Sets `protect`.
    pub fn protect(mut self, on: bool) -> Self {
        self.protect = on;
        self
    }

    /// Ignores changes to a property.
    pub fn ignore_changes(mut self, property: &str) -> Self {
        self.ignore_changes.push(property.to_string());
        self
    }

    /// Forces replacement when a property changes.
    pub fn replace_on_changes(mut self, property: &str) -> Self {
        self.replace_on_changes.push(property.to_string());
        self
    }

    /// Sets `deleteBeforeReplace`.
    pub fn delete_before_replace(mut self, on: bool) -> Self {
        self.delete_before_replace = on;
        self
    }

    /// Sets `retainOnDelete`.
    pub fn retain_on_delete(mut self, on: bool) -> Self {
        self.retain_on_delete = on;
        self
    }

    /// Sets the custom timeouts.
    pub fn custom_timeouts(mut self, timeouts: CustomTimeouts) -> Self {
        self.custom_timeouts = timeouts;
        self
    }
}
