//! Helpers shared by the integration tests.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use tapctl::config::StackConfig;
use tapctl::engine::{Engine, Event, EventSink, RunOptions};
use tapctl::model::{Program, PropertyMap, ResourceOptions, Value};
use tapctl::programs::{self, ProgramContext};
use tapctl::provider::memory::MemoryCloud;
use tapctl::stack::Stack;
use tapctl::state::{LocalBackend, Snapshot, StateResource};

/// The flagship program for `stack` with extra config entries.
pub fn flagship(stack: &str, config: &[(&str, Value)]) -> Program {
    let mut values: BTreeMap<String, Value> = BTreeMap::from([("aws:region".to_string(), Value::from("us-east-1"))]);
    for (k, v) in config {
        values.insert(k.to_string(), v.clone());
    }
    let config = StackConfig::new(values);
    let zones = vec!["us-east-1a".into(), "us-east-1b".into(), "us-east-1c".into()];
    programs::build(
        "blue-green",
        &ProgramContext {
            project: "tap",
            stack,
            config: &config,
            availability_zones: zones,
            environment_suffix: None,
            aws_region: None,
            account_id: Some("123456789012".into()),
        },
    )
    .expect("flagship builds")
    .program
}

/// A small program: a VPC, `subnets` subnets and an IAM role that depends on nothing.
pub fn small(stack: &str, subnets: usize, tag: &str) -> Program {
    let mut p = Program::new("demo", stack, PropertyMap::from([("region".to_string(), Value::from("us-east-1"))]));
    let root = p.root();
    let vpc = p
        .resource(
            &root,
            "aws:ec2/vpc:Vpc",
            "vpc",
            props(&[("cidrBlock", "10.0.0.0/16".into()), ("tags", Value::object([("Team", tag)]))]),
            ResourceOptions::default(),
        )
        .unwrap();
    for i in 0..subnets {
        p.resource(
            &root,
            "aws:ec2/subnet:Subnet",
            &format!("subnet-{i}"),
            props(&[("vpcId", vpc.id()), ("cidrBlock", format!("10.0.{i}.0/24").into())]),
            ResourceOptions::default(),
        )
        .unwrap();
    }
    p.resource(
        &root,
        "aws:iam/role:Role",
        "role",
        props(&[("name", "demo-role".into()), ("assumeRolePolicy", "{}".into())]),
        ResourceOptions::default(),
    )
    .unwrap();
    p
}

/// A named role and a role policy attached to it by name; `path` of the role.
pub fn role_with_policy(path: &str) -> Program {
    let mut p = Program::new("demo", "dev", props(&[("region", "us-east-1".into())]));
    let root = p.root();
    let role = p
        .resource(
            &root,
            "aws:iam/role:Role",
            "role",
            props(&[
                ("name", "demo-role".into()),
                ("path", path.into()),
                (
                    "assumeRolePolicy",
                    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#.into(),
                ),
            ]),
            ResourceOptions::default(),
        )
        .unwrap();
    p.resource(
        &root,
        "aws:iam/rolePolicy:RolePolicy",
        "policy",
        props(&[
            ("name", "demo-policy".into()),
            ("role", role.output("name")),
            (
                "policy",
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}"#.into(),
            ),
        ]),
        ResourceOptions::default(),
    )
    .unwrap();
    p
}

/// A property map from pairs.
pub fn props(pairs: &[(&str, Value)]) -> PropertyMap {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

/// An engine over a fresh in-memory cloud.
pub fn memory_engine(cloud: MemoryCloud) -> (Engine, Arc<MemoryCloud>) {
    let cloud = Arc::new(cloud);
    (Engine::new(Arc::new(cloud.clone())), cloud)
}

/// A stack without secrets in `dir`.
pub fn stack_in(dir: &Path, name: &str) -> Stack {
    Stack::new(LocalBackend::new(dir), name, None, None)
}

/// Run options that record every event.
pub fn recording(parallel: usize) -> (RunOptions, Arc<Mutex<Vec<Event>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink_events = events.clone();
    let sink: EventSink = Arc::new(move |e: &Event| sink_events.lock().unwrap().push(e.clone()));
    (RunOptions { parallel, events: sink, ..RunOptions::default() }, events)
}

/// Confirms every plan.
pub fn yes(_: &tapctl::Plan) -> bool {
    true
}

/// A copy of the repository's project (`deploy.toml` and every stack file) in
/// a temporary folder, so a test's state never touches the repository's.
pub fn project() -> tempfile::TempDir {
    project_from(".")
}

/// A copy of the project folder `rel` (relative to the repository): its
/// `deploy.toml` and `stacks/`, in a temporary folder.
pub fn project_from(rel: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::copy(root.join("deploy.toml"), dir.path().join("deploy.toml")).unwrap();
    std::fs::create_dir(dir.path().join("stacks")).unwrap();
    for entry in std::fs::read_dir(root.join("stacks")).unwrap().flatten() {
        std::fs::copy(entry.path(), dir.path().join("stacks").join(entry.file_name())).unwrap();
    }
    dir
}

/// `tapctl --cwd <dir> --cloud <cloud>` with none of the developer's tapctl
/// settings leaking in and nothing on stdin (so it never waits for an answer).
pub fn tapctl(dir: &Path, cloud: &str) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("tapctl").unwrap();
    cmd.arg("--cwd").arg(dir).args(["--cloud", cloud]).write_stdin("");
    for var in [
        "TAPCTL_CONFIG_PASSPHRASE",
        "PULUMI_CONFIG_PASSPHRASE",
        "TAPCTL_SOURCE_PASSPHRASE",
        "TAPCTL_STACK",
        "TAPCTL_ENVIRONMENT_SUFFIX",
        "ENVIRONMENT_SUFFIX",
        "TAPCTL_BACKEND",
        "TAPCTL_CLOUD",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// Runs `cmd` and returns its output, failing the test with both streams if
/// it did not succeed.
#[cfg(feature = "aws")]
pub fn succeed(cmd: &mut assert_cmd::Command) -> std::process::Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Builds every stack file shipped in `projects/<folder>` (over three zones,
/// in the memory cloud's account), after checking that the folder's
/// `deploy.toml` names `project` and `program`; keyed by stack name.
pub fn build_project_stacks(folder: &str, project: &str, program: &str) -> BTreeMap<String, programs::Built> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("projects").join(folder);
    let deploy = std::fs::read_to_string(root.join("deploy.toml")).unwrap();
    assert!(
        deploy.contains(&format!("program = \"{program}\"")) && deploy.contains(&format!("name = \"{project}\"")),
        "{deploy}"
    );
    let mut built = BTreeMap::new();
    for entry in std::fs::read_dir(root.join("stacks")).unwrap().flatten() {
        let stack = entry.path().file_stem().unwrap().to_string_lossy().to_string();
        let file = tapctl::config::StackFile::load(&entry.path()).unwrap();
        let config = StackConfig::new(file.values(None).unwrap());
        let ctx = ProgramContext {
            project,
            stack: &stack,
            config: &config,
            availability_zones: vec!["us-east-1a".into(), "us-east-1b".into(), "us-east-1c".into()],
            environment_suffix: None,
            aws_region: None,
            account_id: Some("123456789012".into()),
        };
        let b = programs::build(program, &ctx).unwrap_or_else(|e| panic!("stacks/{stack}.toml: {e}"));
        built.insert(stack, b);
    }
    built
}

// Queries over a snapshot, for the programs' tests.

/// Every resource of type `token`.
pub fn of_type<'a>(s: &'a Snapshot, token: &str) -> Vec<&'a StateResource> {
    s.resources.iter().map(AsRef::as_ref).filter(|r: &&StateResource| r.type_token() == token).collect()
}

/// The one custom resource named `name`.
pub fn one<'a>(s: &'a Snapshot, name: &str) -> &'a StateResource {
    s.resources.iter().find(|r| r.custom && r.urn.name() == name).unwrap_or_else(|| panic!("no resource {name}"))
}

/// Input `key` of `r`.
pub fn input<'a>(r: &'a StateResource, key: &str) -> &'a Value {
    r.inputs.get(key).unwrap_or_else(|| panic!("{} has no input {key}", r.urn))
}

/// String input `key` of `r`.
pub fn text<'a>(r: &'a StateResource, key: &str) -> &'a str {
    input(r, key).as_str().unwrap_or_else(|| panic!("{} input {key} is not a string", r.urn))
}

/// JSON-document input `key` of `r` (a policy, say), parsed.
pub fn json_input(r: &StateResource, key: &str) -> serde_json::Value {
    serde_json::from_str(text(r, key)).unwrap_or_else(|e| panic!("{} {key}: {e}", r.urn))
}

/// A list of strings.
pub fn strings(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_string()).collect()
}

/// The stack's outputs.
pub fn stack_outputs(s: &Snapshot) -> PropertyMap {
    s.resources.iter().find(|r| r.type_token() == "pulumi:pulumi:Stack").expect("the stack resource").outputs.clone()
}
