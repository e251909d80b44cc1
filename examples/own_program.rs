//! A crate's own program with tapctl's whole command line: `deploy.toml`'s
//! `program = "edge"` runs `edge`, and every tapctl command works on it
//! (`cargo run --example own_program -- --cloud memory preview` in a folder
//! whose deploy.toml names it). `tapctl new rust NAME` writes a crate like this.

use tapctl::cli::{Cli, ProgramFn};
use tapctl::model::{PropertyMap, ResourceOptions, Value};
use tapctl::programs::{BuildError, Built, ProgramContext};

/// An edge bucket and its public-access block.
fn edge(ctx: &ProgramContext<'_>) -> Result<Built, BuildError> {
    let region = tapctl::programs::region(ctx.config, ctx.aws_region.as_deref())?;
    let mut program =
        tapctl::Program::new(ctx.project, ctx.stack, PropertyMap::from([("region".to_string(), Value::from(region))]));
    let root = program.root();
    let bucket = program.resource(
        &root,
        "aws:s3/bucket:Bucket",
        "edge",
        PropertyMap::from([("bucket".to_string(), Value::from(format!("{}-{}-edge", ctx.project, ctx.stack)))]),
        ResourceOptions::default(),
    )?;
    program.resource(
        &root,
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "edge-block",
        PropertyMap::from([
            ("bucket".to_string(), bucket.output("bucket")),
            ("blockPublicAcls".to_string(), Value::Bool(true)),
            ("blockPublicPolicy".to_string(), Value::Bool(true)),
        ]),
        ResourceOptions::default(),
    )?;
    program.export("bucket", bucket.output("bucket"));
    Ok(Built { program, traffic: None })
}

fn main() -> std::process::ExitCode {
    Cli::with_programs([("edge", edge as ProgramFn)]).main()
}
