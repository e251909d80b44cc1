//! `tapctl new`: a project to start from, which previews on the in-memory
//! cloud straight away — a Pulumi YAML folder, or a Rust crate that gets the
//! whole CLI for a program of its own.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};

/// Where the Rust template takes tapctl from.
#[derive(Debug, Clone)]
pub enum TapctlSource {
    /// A local checkout.
    Path(PathBuf),
    /// A git repository.
    Git(String),
    /// This tapctl's version (from a registry the crate can reach).
    Version,
}

/// Writes a Pulumi YAML project; returns the files written.
pub fn yaml(dir: &Path, name: &str) -> Result<Vec<String>> {
    check_name(name)?;
    let program = format!(
        "name: {name}\n\
         runtime: yaml\n\
         description: A VPC with a subnet per zone and a private bucket\n\
         config:\n  \
           cidr:\n    type: String\n    default: 10.0.0.0/16\n\
         variables:\n  \
           zones:\n    fn::invoke:\n      function: aws:getAvailabilityZones\n      return: names\n\
         resources:\n  \
           vpc:\n    type: aws:ec2:Vpc\n    properties:\n      cidrBlock: ${{cidr}}\n      enableDnsHostnames: true\n      tags:\n        Name: ${{pulumi.project}}-${{pulumi.stack}}\n  \
           subnet:\n    type: aws:ec2:Subnet\n    properties:\n      vpcId: ${{vpc.id}}\n      cidrBlock: 10.0.1.0/24\n      availabilityZone: ${{zones[0]}}\n  \
           bucket:\n    type: aws:s3:Bucket\n  \
           bucketBlock:\n    type: aws:s3:BucketPublicAccessBlock\n    properties:\n      bucket: ${{bucket.bucket}}\n      blockPublicAcls: true\n      blockPublicPolicy: true\n      ignorePublicAcls: true\n      restrictPublicBuckets: true\n\
         outputs:\n  \
           vpcId: ${{vpc.id}}\n  \
           bucketName: ${{bucket.bucket}}\n"
    );
    write_all(dir, &[("Pulumi.yaml", program), ("Pulumi.dev.yaml", "config:\n  aws:region: us-east-1\n".to_string())])
}

/// Writes a Rust crate whose `main` is tapctl's CLI with a program of its
/// own; returns the files written.
pub fn rust(dir: &Path, name: &str, source: &TapctlSource) -> Result<Vec<String>> {
    check_name(name)?;
    let dependency = match source {
        TapctlSource::Path(p) => {
            let p = std::fs::canonicalize(p).with_context(|| format!("--tapctl-path {}", p.display()))?;
            format!("path = {:?}", p.display().to_string())
        }
        TapctlSource::Git(url) => format!("git = {url:?}"),
        TapctlSource::Version => format!("version = \"{}\"", env!("CARGO_PKG_VERSION")),
    };
    let cargo = format!(
        "[package]\n\
         name = \"{name}\"\n\
         version = \"0.1.0\"\n\
         edition = \"2021\"\n\
         publish = false\n\n\
         [dependencies]\n\
         tapctl = {{ {dependency}, default-features = false }}\n\n\
         [features]\n\
         # The AWS provider; without it the program runs on the in-memory cloud only.\n\
         default = [\"aws\"]\n\
         aws = [\"tapctl/aws\"]\n"
    );
    let main = format!(
        r#"//! {name}: tapctl's whole command line with a program of this crate's own.

use tapctl::cli::{{Cli, ProgramFn}};
use tapctl::model::{{PropertyMap, ResourceOptions, Value}};
use tapctl::programs::{{BuildError, Built, ProgramContext}};

/// The stack's resources: a VPC and a security group in it.
fn build(ctx: &ProgramContext<'_>) -> Result<Built, BuildError> {{
    let region = tapctl::programs::region(ctx.config, ctx.aws_region.as_deref())?;
    let mut program =
        tapctl::Program::new(ctx.project, ctx.stack, PropertyMap::from([("region".to_string(), Value::from(region))]));
    let root = program.root();
    let vpc = program.resource(
        &root,
        "aws:ec2/vpc:Vpc",
        "vpc",
        PropertyMap::from([("cidrBlock".to_string(), Value::from("10.1.0.0/16"))]),
        ResourceOptions::default(),
    )?;
    program.resource(
        &root,
        "aws:ec2/securityGroup:SecurityGroup",
        "web",
        PropertyMap::from([
            ("vpcId".to_string(), vpc.id()),
            ("name".to_string(), Value::from(format!("{{}}-web", ctx.stack))),
            ("description".to_string(), Value::from("web tier")),
        ]),
        ResourceOptions::default(),
    )?;
    program.export("vpcId", vpc.id());
    Ok(Built {{ program, traffic: None }})
}}

fn main() -> std::process::ExitCode {{
    Cli::with_programs([("{name}", build as ProgramFn)]).main()
}}
"#
    );
    let deploy = format!("name = \"{name}\"\nprogram = \"{name}\"\ndefault_stack = \"dev\"\n");
    write_all(
        dir,
        &[
            ("Cargo.toml", cargo),
            ("src/main.rs", main),
            ("deploy.toml", deploy),
            ("stacks/dev.toml", "[config]\n\"aws:region\" = \"us-east-1\"\n".to_string()),
            (".gitignore", "/target\n/state\n".to_string()),
        ],
    )
}

fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && name.starts_with(|c: char| c.is_ascii_alphabetic());
    if !ok {
        bail!("`{name}` is not a project name: use letters, digits, `-` and `_`, starting with a letter");
    }
    Ok(())
}

/// Writes the files into `dir`, which must not exist or be empty; nothing
/// is written when it is not.
fn write_all(dir: &Path, files: &[(&str, String)]) -> Result<Vec<String>> {
    if dir.read_dir().is_ok_and(|mut entries| entries.next().is_some()) {
        bail!("{} is not empty: choose another name, or remove what is there", dir.display());
    }
    for (rel, text) in files {
        let path = dir.join(rel);
        let parent = path.parent().unwrap_or(dir);
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(files.iter().map(|(rel, _)| rel.to_string()).collect())
}
