//! tapctl: a Pulumi-compatible infrastructure provisioner.
//!
//! A program registers typed components and resources ([`model::Program`]);
//! the [`engine::Engine`] reconciles them with a cloud through a
//! [`provider::Provider`], recording every step in a Pulumi-format checkpoint
//! ([`state`]). [`stack::Stack`] ties one stack's state, lock and secrets to
//! the engine; the `tapctl` binary is a thin shell over it.

#![deny(missing_docs)]

pub mod cli;
pub mod components;
pub mod config;
pub mod engine;
pub mod graph;
pub mod model;
pub mod plan;
pub mod programs;
pub mod provider;
pub mod shift;
pub mod stack;
pub mod state;
pub mod yaml;

pub use engine::{Cancel, Engine, Event, EventSink, RunOptions, RunSummary};
pub use model::{Component, Program, PropertyMap, Resource, ResourceOptions, Urn, Value};
pub use plan::{ChangeSummary, Plan, StepOp};
