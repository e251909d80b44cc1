//! Embedding tapctl: a program built from tapctl's Networking component plus a
//! resource of its own, run in-process on the in-memory cloud, with events
//! observed instead of printed by the CLI.

use std::sync::Arc;

use tapctl::components::{Naming, Networking, NetworkingArgs, Tags};
use tapctl::engine::{Event, RunOptions};
use tapctl::model::{Program, PropertyMap, ResourceOptions, Value};
use tapctl::provider::memory::MemoryCloud;
use tapctl::stack::Stack;
use tapctl::state::LocalBackend;
use tapctl::Engine;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut program = Program::new("embedded", "dev", PropertyMap::from([("region".into(), Value::from("eu-west-1"))]));
    let root = program.root();
    let networking = Networking::new(
        &mut program,
        &root,
        "network",
        NetworkingArgs {
            vpc_cidr: "10.20.0.0/16".parse().map_err(anyhow::Error::msg)?,
            availability_zones: vec!["eu-west-1a".into(), "eu-west-1b".into()],
            naming: Naming::new("embedded", "dev", "demo"),
            tags: Tags::new("embedded", "dev", &[]),
        },
    )?;
    // A resource of the embedding program's own, wired to a component output.
    program.resource(
        &root,
        "aws:ec2/securityGroup:SecurityGroup",
        "bastion",
        PropertyMap::from([
            ("name".into(), Value::from("embedded-bastion")),
            ("description".into(), Value::from("SSH from the office")),
            ("vpcId".into(), networking.vpc_id.clone()),
        ]),
        ResourceOptions::default(),
    )?;
    program.export("vpcId", networking.vpc_id);

    let dir = tempfile::tempdir()?;
    let engine = Engine::new(Arc::new(Arc::new(MemoryCloud::new())));
    let stack = Stack::new(LocalBackend::new(dir.path()), "dev", None, None);
    let options = RunOptions {
        events: Arc::new(|event: &Event| {
            if let Event::StepDone { urn, op, .. } = event {
                println!("{op:>7} {}", urn.name());
            }
        }),
        ..RunOptions::default()
    };
    let outcome = stack.up(&engine, &program, &options, |_plan| true).await?;
    println!("{:?}", outcome.summary.changes);
    let outputs = &outcome.snapshot.resources[0].outputs;
    println!("vpcId = {}", outputs["vpcId"].display());
    Ok(())
}
