//! The vocabulary every other layer speaks: URNs, property values and resource options.
//!
//! Invariant: nothing here does I/O or knows about the cloud, the state file or the engine.

pub mod options;
pub mod program;
pub mod urn;
pub mod value;

pub use options::{CustomTimeouts, ResourceOptions};
pub use program::{
    is_provider_type, AutoName, Component, DesiredResource, Program, ProgramError, Provider, Resource,
    AWS_PROVIDER_TYPE, DEFAULT_AWS_PROVIDER_NAME, PULUMI_AWS_VERSION,
};
pub use urn::{Urn, UrnError, ROOT_STACK_TYPE};
pub use value::{OutputRef, PropertyMap, Value, UNKNOWN_SENTINEL};
