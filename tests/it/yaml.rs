//! Pulumi YAML programs (`tests/yaml/*`) built by tapctl's YAML runtime and
//! run on the in-memory cloud: URNs, providers and auto-names as Pulumi's
//! YAML runtime records them, config typed as declared, a clean second
//! preview, destroy; and every mistake reported at its file, line and column.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tapctl::config::StackConfig;
use tapctl::engine::RunOptions;
use tapctl::model::Value;
use tapctl::programs::{Built, ProgramContext};
use tapctl::provider::memory::MemoryCloud;
use tapctl::stack::Stack;
use tapctl::state::{Crypter, LocalBackend, Snapshot};
use tapctl::yaml::YamlProgram;

use crate::common::{memory_engine, yes};

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/yaml").join(name)
}

fn build(dir: &Path, stack: &str, config: &[(&str, Value)]) -> Result<Built, tapctl::yaml::YamlError> {
    let config = StackConfig::new(config.iter().map(|(k, v)| (k.to_string(), v.clone())).collect());
    let ctx = ProgramContext {
        project: "ignored",
        stack,
        config: &config,
        availability_zones: vec!["us-east-1a".into(), "us-east-1b".into()],
        environment_suffix: None,
        account_id: Some("123456789012".into()),
        aws_region: None,
    };
    YamlProgram::load(dir)?.build(&ctx)
}

fn secret_stack(dir: &Path) -> Stack {
    let (crypter, salt) = Crypter::create("yaml-tests").unwrap();
    Stack::new(LocalBackend::new(dir), "dev", Some(crypter), Some(salt))
}

fn record<'a>(s: &'a Snapshot, urn: &str) -> &'a tapctl::state::StateResource {
    s.live_resources().find(|r| r.urn.to_string() == urn).unwrap_or_else(|| panic!("{urn} not in state"))
}

#[tokio::test]
async fn a_yaml_program_goes_up_previews_clean_and_destroys() {
    let built = build(&example("webapp"), "dev", &[("webapp:retentionDays", Value::from("30"))]).unwrap();
    let program = built.program;
    let state = tempfile::tempdir().unwrap();
    let (engine, cloud) = memory_engine(MemoryCloud::new());
    let stack = secret_stack(state.path());
    let outcome = stack.up(&engine, &program, &RunOptions::default(), yes).await.unwrap();
    assert!(outcome.summary.succeeded(), "{:?}", outcome.summary);
    let s = &outcome.snapshot;

    // URNs, parents and providers as Pulumi's YAML runtime records them.
    let vpc = record(s, "urn:pulumi:dev::webapp::aws:ec2/vpc:Vpc::vpc");
    assert_eq!(vpc.parent.as_ref().unwrap().to_string(), "urn:pulumi:dev::webapp::pulumi:pulumi:Stack::webapp-dev");
    assert!(vpc
        .provider
        .as_deref()
        .unwrap()
        .starts_with("urn:pulumi:dev::webapp::pulumi:providers:aws::default_7_48_0::"));
    let web = record(s, "urn:pulumi:dev::webapp::aws:ec2/securityGroup:SecurityGroup::web");
    assert!(web.provider.as_deref().unwrap().starts_with("urn:pulumi:dev::webapp::pulumi:providers:aws::east::"));
    assert_eq!(web.ignore_changes, ["description"]);
    record(s, "urn:pulumi:dev::webapp::aws:ec2/subnet:Subnet::subnet-b");

    // Values: interpolation, variables, typed config, builtins, escapes.
    assert_eq!(vpc.inputs["cidrBlock"], Value::from("10.20.0.0/16"));
    let tags = vpc.inputs["tags"].as_object().unwrap();
    assert_eq!(tags["Name"], Value::from("webapp-dev-vpc"));
    let logs = record(s, "urn:pulumi:dev::webapp::aws:cloudwatch/logGroup:LogGroup::logs");
    assert_eq!(logs.inputs["retentionInDays"], Value::Number(30.0), "the config string became an Integer");
    assert!(logs.dependencies.iter().any(|d| d.to_string().ends_with("aws:iam/role:Role::role")));
    let bucket = record(s, "urn:pulumi:dev::webapp::aws:s3/bucket:Bucket::assets");
    let btags = bucket.inputs["tags"].as_object().unwrap();
    assert_eq!(btags["Escaped"], Value::from("${not-a-reference}"));
    assert_eq!(btags["Encoded"], Value::from("aGVsbG8="));
    let subnet_a = record(s, "urn:pulumi:dev::webapp::aws:ec2/subnet:Subnet::subnetA");
    assert_eq!(subnet_a.inputs["availabilityZone"], Value::from("us-east-1a"));
    let role = record(s, "urn:pulumi:dev::webapp::aws:iam/role:Role::role");
    assert_eq!(role.custom_timeouts.create, 300);
    assert_eq!(role.custom_timeouts.delete, 5400);
    let policy: serde_json::Value = serde_json::from_str(role.inputs["assumeRolePolicy"].as_str().unwrap()).unwrap();
    assert_eq!(policy["Statement"][0]["Principal"]["Service"], "ecs-tasks.amazonaws.com");
    let param = record(s, "urn:pulumi:dev::webapp::aws:ssm/parameter:Parameter::secretParam");
    assert!(param.inputs["value"].contains_secret(), "secret config stays secret");

    // Pulumi's auto-names: logical name, `-`, 7 hex characters.
    for (r, property, prefix) in [(role, "name", "role-"), (bucket, "bucket", "assets-"), (logs, "name", "logs-")] {
        let name = r.inputs[property].as_str().unwrap();
        let suffix = name.strip_prefix(prefix).unwrap_or_else(|| panic!("{name}"));
        assert!(suffix.len() == 7 && suffix.chars().all(|c| c.is_ascii_hexdigit()), "{name}");
    }

    // Outputs.
    let root = s.root_stack().unwrap();
    assert_eq!(root.outputs["vpcId"], Value::from(vpc.id.clone().unwrap()));
    assert_eq!(root.outputs["roleName"], role.inputs["name"]);
    assert_eq!(root.outputs["region"], Value::from("us-east-1"));
    assert_eq!(root.outputs["invokedRegion"], Value::from("us-east-1"));
    assert_eq!(root.outputs["accountId"], Value::from("123456789012"));
    assert_eq!(root.outputs["firstZone"], Value::from("us-east-1a"));
    assert_eq!(root.outputs["joined"], Value::from(format!("webapp-dev-{}", vpc.id.as_deref().unwrap())));
    assert_eq!(
        root.outputs["bucketArn"],
        Value::from(format!("arn:aws:s3:::{}", bucket.inputs["bucket"].as_str().unwrap()))
    );

    // Built again, nothing to do.
    let again = build(&example("webapp"), "dev", &[("webapp:retentionDays", Value::from("30"))]).unwrap();
    let plan = stack.preview(&engine, &again.program, &[]).await.unwrap();
    assert!(!plan.summary().has_changes(), "{:?}", plan.summary());

    let destroyed = stack.destroy(&engine, &RunOptions::default(), yes).await.unwrap();
    assert!(destroyed.summary.succeeded());
    assert!(cloud.objects().is_empty(), "{:?}", cloud.objects().keys().collect::<Vec<_>>());
}

#[tokio::test]
async fn auto_names_pulumi_recorded_are_kept() {
    let state = tempfile::tempdir().unwrap();
    let (engine, _) = memory_engine(MemoryCloud::new());
    let stack = Stack::new(LocalBackend::new(state.path()), "dev", None, None);
    let built = build(&example("main-file"), "dev", &[]).unwrap();
    stack.up(&engine, &built.program, &RunOptions::default(), yes).await.unwrap();
    let urn = "urn:pulumi:dev::split-program::aws:sns/topic:Topic::topic";
    let ours =
        stack.snapshot().unwrap().live_resources().find(|r| r.urn.to_string() == urn).unwrap().inputs["name"].clone();
    let ours = ours.as_str().unwrap().to_string();
    assert!(ours.starts_with("topic-"), "{ours}");

    // As if Pulumi had made it, with its own random suffix.
    let path = state.path().join("dev.json");
    std::fs::write(&path, std::fs::read_to_string(&path).unwrap().replace(&ours, "topic-1a2b3c4")).unwrap();
    let engine = tapctl::Engine::new(Arc::new(Arc::new(MemoryCloud::new())));
    let plan = stack.preview(&engine, &built.program, &[]).await.unwrap();
    let creates = plan.summary().create;
    let replaces = plan.summary().replace;
    assert_eq!((creates, replaces), (0, 0), "the recorded name is the resource's name");
}

#[test]
fn the_program_can_live_in_main_yaml() {
    let built = build(&example("main-file"), "dev", &[]).unwrap();
    let urns: Vec<String> = built.program.resources().iter().map(|r| r.urn.to_string()).collect();
    assert!(urns.contains(&"urn:pulumi:dev::split-program::aws:sns/topic:Topic::topic".to_string()), "{urns:?}");
    assert!(built.program.outputs().contains_key("topicArn"));
}

/// One bad program: its `Pulumi.yaml`, and what the error must say (after
/// `Pulumi.yaml:<line>:<col>: `).
struct Bad {
    what: &'static str,
    yaml: &'static str,
    at: &'static str,
    says: &'static str,
}

const HEAD: &str = "name: bad\nruntime: yaml\n";

#[test]
fn every_mistake_is_reported_at_its_line_and_column_before_any_cloud_call() {
    let cases = [
        Bad { what: "unknown name", yaml: "resources:\n  vpc:\n    type: aws:ec2:Vpc\n    properties:\n      cidrBlock: ${cidrr}\n", at: "7:18", says: "`cidrr` is not a resource, variable or config key" },
        Bad { what: "did you mean a resource", yaml: "resources:\n  vpc:\n    type: aws:ec2:Vpc\n  sg:\n    type: aws:ec2:SecurityGroup\n    properties:\n      vpcId: ${vcp.id}\n", at: "9:14", says: "did you mean `vpc`?" },
        Bad { what: "cycle", yaml: "variables:\n  a: ${b}\n  b: ${a}\n", at: "", says: "cycle: " },
        Bad { what: "self reference", yaml: "variables:\n  a: x${a}\n", at: "4:6", says: "refers to itself" },
        Bad { what: "unknown property", yaml: "resources:\n  vpc:\n    type: aws:ec2:Vpc\n    properties:\n      cidr: 10.0.0.0/16\n", at: "7:7", says: "aws:ec2/vpc:Vpc has no property `cidr` (did you mean `cidrBlock`?)" },
        Bad { what: "missing required", yaml: "resources:\n  sub:\n    type: aws:ec2:Subnet\n", at: "4:3", says: "needs vpcId" },
        Bad { what: "unsupported kind", yaml: "resources:\n  fn:\n    type: aws:lambda:Function\n", at: "5:11", says: "`aws:lambda/function:Function` is not supported by tapctl" },
        Bad { what: "unknown function", yaml: "variables:\n  x:\n    fn::joinn: [\",\", [a]]\n", at: "5:5", says: "unknown function `fn::joinn` (did you mean `fn::join`?)" },
        Bad { what: "invoke without data sources", yaml: "variables:\n  ami:\n    fn::invoke:\n      function: aws:ec2/getAmi:getAmi\n      arguments: {mostRecent: true}\n", at: "6:15", says: "function `aws:ec2/getAmi:getAmi` is not supported yet; tapctl answers aws:index/getRegion:getRegion" },
        Bad { what: "unknown section", yaml: "resource:\n  vpc:\n    type: aws:ec2:Vpc\n", at: "3:1", says: "unknown section `resource` (did you mean `resources`?)" },
        Bad { what: "unknown resource field", yaml: "resources:\n  vpc:\n    type: aws:ec2:Vpc\n    propertes: {}\n", at: "6:5", says: "resource `vpc` has no field `propertes` (did you mean `properties`?)" },
        Bad { what: "no type", yaml: "resources:\n  vpc:\n    properties: {}\n", at: "4:3", says: "resource `vpc` has no `type`" },
        Bad { what: "unknown option", yaml: "resources:\n  vpc:\n    type: aws:ec2:Vpc\n    options:\n      protekt: true\n", at: "7:7", says: "`protekt` is not a resource option (did you mean `protect`?)" },
        Bad { what: "option of the wrong type", yaml: "resources:\n  vpc:\n    type: aws:ec2:Vpc\n    options:\n      protect: yes\n", at: "7:16", says: "`protect` must be true or false" },
        Bad { what: "dependsOn a variable", yaml: "variables:\n  v: x\nresources:\n  vpc:\n    type: aws:ec2:Vpc\n    options:\n      dependsOn: [\"${v}\"]\n", at: "9:19", says: "expected `${resource}`" },
        Bad { what: "provider that is not one", yaml: "resources:\n  a:\n    type: aws:ec2:Vpc\n  b:\n    type: aws:ec2:Vpc\n    options:\n      provider: ${a}\n", at: "9:17", says: "expected `${provider}`" },
        Bad { what: "bad timeout", yaml: "resources:\n  vpc:\n    type: aws:ec2:Vpc\n    options:\n      customTimeouts:\n        create: soon\n", at: "8:17", says: "a timeout is a duration" },
        Bad { what: "whole resource as a value", yaml: "resources:\n  vpc:\n    type: aws:ec2:Vpc\noutputs:\n  v: ${vpc}\n", at: "7:6", says: "is a whole resource; read one of its outputs" },
        Bad { what: "unknown output", yaml: "resources:\n  vpc:\n    type: aws:ec2:Vpc\noutputs:\n  v: ${vpc.arnn}\n", at: "7:6", says: "has no output `arnn` (did you mean `arn`?)" },
        Bad { what: "unclosed interpolation", yaml: "outputs:\n  v: x${pulumi.stack\n", at: "4:6", says: "not closed" },
        Bad { what: "bad config type", yaml: "config:\n  n:\n    type: Int\n", at: "5:11", says: "use String, Integer, Boolean, Number" },
        Bad { what: "config not set", yaml: "config:\n  n:\n    type: Integer\noutputs:\n  o: ${n}\n", at: "7:6", says: "config `bad:n` is not set" },
        Bad { what: "malformed yaml", yaml: "resources:\n  vpc: [\n", at: "", says: "this is not valid YAML" },
        Bad { what: "another runtime", yaml: "", at: "", says: "" },
        Bad { what: "additionalSecretOutputs", yaml: "resources:\n  vpc:\n    type: aws:ec2:Vpc\n    options:\n      additionalSecretOutputs: [arn]\n", at: "7:7", says: "would store those outputs in plaintext" },
        Bad { what: "get", yaml: "resources:\n  vpc:\n    type: aws:ec2:Vpc\n    get:\n      id: vpc-1\n", at: "6:5", says: "`get` (reading an existing resource into the program) is not supported yet" },
        Bad { what: "select past the end", yaml: "outputs:\n  o:\n    fn::select: [3, [a, b]]\n", at: "5:21", says: "index 3 is past the end" },
        Bad { what: "readFile missing", yaml: "outputs:\n  o:\n    fn::readFile: missing.txt\n", at: "5:19", says: "fn::readFile" },
        Bad { what: "duplicate name", yaml: "variables:\n  vpc: x\nresources:\n  vpc:\n    type: aws:ec2:Vpc\n", at: "4:3", says: "is both a resource and a variable" },
        Bad { what: "pulumi field", yaml: "outputs:\n  o: ${pulumi.region}\n", at: "4:6", says: "`pulumi.region` is not defined" },
    ];
    for case in cases {
        let dir = tempfile::tempdir().unwrap();
        let text = if case.what == "another runtime" {
            "name: bad\nruntime: nodejs\n".to_string()
        } else {
            format!("{HEAD}{}", case.yaml)
        };
        std::fs::write(dir.path().join("Pulumi.yaml"), &text).unwrap();
        let before = std::fs::read_dir(dir.path()).unwrap().count();
        let e = match build(dir.path(), "dev", &[]) {
            Ok(_) => panic!("{}: built without error", case.what),
            Err(e) => e.to_string(),
        };
        let file = dir.path().join("Pulumi.yaml").display().to_string();
        assert!(e.starts_with(&format!("{file}:")), "{}: no file:line:col in {e}", case.what);
        if !case.at.is_empty() {
            assert!(e.starts_with(&format!("{file}:{}: ", case.at)), "{}: expected at {} in {e}", case.what, case.at);
        }
        let says = if case.what == "another runtime" { "this project's runtime is `nodejs`" } else { case.says };
        assert!(e.contains(says), "{}: expected `{says}` in {e}", case.what);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), before, "{}: nothing written", case.what);
    }
}

/// A copy of a YAML example folder.
fn project_copy(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(example(name)).unwrap().flatten() {
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    dir
}

fn tapctl(dir: &Path) -> assert_cmd::Command {
    let mut cmd = crate::common::tapctl(dir, "memory");
    cmd.env("TAPCTL_CONFIG_PASSPHRASE", "yaml-cli");
    cmd
}

fn stdout(cmd: &mut assert_cmd::Command) -> String {
    String::from_utf8(cmd.assert().success().get_output().stdout.clone()).unwrap()
}

#[test]
fn a_pulumi_yaml_folder_is_a_tapctl_project_as_it_is() {
    use predicates::prelude::*;
    let dir = project_copy("webapp");
    let d = dir.path();
    // The only stack file names the default stack; state goes to state/.
    let preview = stdout(tapctl(d).args(["preview"]));
    assert!(preview.contains("(project webapp)") && preview.contains("stack dev"), "{preview}");
    tapctl(d).args(["up", "--yes"]).assert().success();
    assert!(d.join("state/dev.json").exists());
    let outputs: serde_json::Value =
        serde_json::from_str(&stdout(tapctl(d).args(["stack", "output", "--json"]))).unwrap();
    assert!(outputs["vpcId"].as_str().unwrap().starts_with("vpc-"), "{outputs}");

    // `config set` writes Pulumi's own stack file format.
    tapctl(d).args(["config", "set", "retentionDays", "60"]).assert().success();
    tapctl(d).args(["config", "set", "--secret", "dbPassword", "s3cret-value"]).assert().success();
    let file = std::fs::read_to_string(d.join("Pulumi.dev.yaml")).unwrap();
    assert!(file.starts_with("encryptionsalt: v1:"), "{file}");
    assert!(file.contains("webapp:retentionDays: \"60\""), "{file}");
    assert!(file.contains("webapp:dbPassword:\n    secure: v1:") && !file.contains("s3cret-value"), "{file}");
    assert_eq!(stdout(tapctl(d).args(["config", "get", "dbPassword"])).trim(), "s3cret-value");

    let plan: serde_json::Value = serde_json::from_str(&stdout(tapctl(d).args(["preview", "--json"]))).unwrap();
    assert_eq!(plan["changeSummary"]["update"], 2, "log retention and the parameter's value: {plan}");
    tapctl(d).args(["up", "--yes"]).assert().success();
    let plan: serde_json::Value = serde_json::from_str(&stdout(tapctl(d).args(["preview", "--json"]))).unwrap();
    for k in ["create", "update", "replace", "delete"] {
        assert_eq!(plan["changeSummary"][k], 0, "{k}: {plan}");
    }
    tapctl(d).args(["destroy", "--yes"]).assert().success();

    // A mistake in the program is named before anything runs.
    let text =
        std::fs::read_to_string(d.join("Pulumi.yaml")).unwrap().replace("cidrBlock: ${cidr}", "cidrBlock: ${cidrr}");
    std::fs::write(d.join("Pulumi.yaml"), text).unwrap();
    tapctl(d).args(["preview"]).assert().failure().stderr(
        predicate::str::contains("Pulumi.yaml:")
            .and(predicate::str::contains("`cidrr` is not a resource, variable or config key")),
    );
}

#[test]
fn a_pulumi_project_in_another_language_is_refused_with_the_way_forward() {
    use predicates::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Pulumi.yaml"), "name: app\nruntime: nodejs\n").unwrap();
    tapctl(dir.path())
        .args(["preview"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("runtime is `nodejs`").and(predicate::str::contains("runtime: yaml")));
}

#[test]
fn tapctl_kinds_lists_what_a_program_may_use() {
    let dir = tempfile::tempdir().unwrap();
    let text = stdout(tapctl(dir.path()).args(["kinds"]));
    assert!(text.lines().any(|l| l == "aws:ec2/vpc:Vpc") && text.contains(" kinds;"), "{text}");
    let json: serde_json::Value = serde_json::from_str(&stdout(tapctl(dir.path()).args(["kinds", "--json"]))).unwrap();
    let vpc = json.as_array().unwrap().iter().find(|k| k["token"] == "aws:ec2/vpc:Vpc").unwrap();
    assert!(vpc["inputs"].as_array().unwrap().contains(&serde_json::json!("cidrBlock")));
    assert_eq!(json.as_array().unwrap().len(), tapctl::provider::KINDS.len());
}

#[test]
fn targets_are_named_by_urn_name_or_type_and_can_take_their_dependents() {
    use predicates::prelude::*;
    let dir = project_copy("webapp");
    let d = dir.path();
    tapctl(d).args(["up", "--yes"]).assert().success();
    // subnetA depends on the VPC; change only subnetA.
    let text = std::fs::read_to_string(d.join("Pulumi.yaml")).unwrap().replace("10.20.1.0/24", "10.20.3.0/24");
    std::fs::write(d.join("Pulumi.yaml"), text).unwrap();
    let planned = |args: &[&str]| -> serde_json::Value {
        let mut all = vec!["preview", "--json"];
        all.extend_from_slice(args);
        serde_json::from_str::<serde_json::Value>(&stdout(tapctl(d).args(&all))).unwrap()["changeSummary"].clone()
    };
    assert_eq!(planned(&["--target", "vpc"])["replace"], 0, "the VPC alone has nothing to do");
    assert_eq!(
        planned(&["--target", "aws:ec2:Vpc::vpc", "--target-dependents"])["replace"],
        1,
        "subnetA comes with it"
    );
    assert_eq!(planned(&["--target", "aws:ec2/subnet:Subnet::subnetA"])["replace"], 1);
    let urn = "urn:pulumi:dev::webapp::aws:ec2/subnet:Subnet::subnetA";
    assert_eq!(planned(&["--target", urn])["replace"], 1);
    tapctl(d)
        .args(["preview", "--target", "subnetC"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--target subnetC: no resource of the program is named that"));
}

#[test]
fn a_failed_step_reaches_json_with_its_cloud_code_and_kind() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let policy = r#"'{"Version":"2012-10-17","Statement":[]}'"#;
    std::fs::write(
        d.join("Pulumi.yaml"),
        format!(
            "name: dup\nruntime: yaml\nresources:\n  a:\n    type: aws:iam:Role\n    properties:\n      name: same-name\n      assumeRolePolicy: {policy}\n  b:\n    type: aws:iam:Role\n    properties:\n      name: same-name\n      assumeRolePolicy: {policy}\n    options:\n      dependsOn: [\"${{a}}\"]\n"
        ),
    )
    .unwrap();
    let out = tapctl(d).args(["up", "--yes", "--json"]).output().unwrap();
    assert!(!out.status.success(), "a failed step fails the command");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let failures = report["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1, "{report}");
    let f = &failures[0];
    assert_eq!(f["urn"], "urn:pulumi:dev::dup::aws:iam/role:Role::b");
    assert_eq!(f["code"], "AlreadyExists", "{f}");
    assert_eq!(f["kind"], "permanent", "{f}");
    assert!(f["error"].as_str().unwrap().contains("create failed: AlreadyExists"), "{f}");
}

#[test]
fn a_replacement_is_reported_once() {
    let dir = project_copy("webapp");
    let d = dir.path();
    tapctl(d).args(["up", "--yes"]).assert().success();
    let text = std::fs::read_to_string(d.join("Pulumi.yaml")).unwrap().replace("10.20.1.0/24", "10.20.3.0/24");
    std::fs::write(d.join("Pulumi.yaml"), text).unwrap();
    let out = stdout(tapctl(d).args(["up", "--yes"]));
    assert!(out.contains("+- 1 replaced"), "{out}");
    assert!(!out.contains("- 1 deleted"), "the old half is part of the replacement: {out}");
    assert!(out.contains("-- aws:ec2/subnet:Subnet subnetA deleted original"), "{out}");
    let report: serde_json::Value = serde_json::from_str(&stdout(tapctl(d).args(["up", "--yes", "--json"]))).unwrap();
    assert_eq!(report["changeSummary"]["delete"], 0, "{report}");
}

#[test]
fn destroy_takes_targets_and_refuses_to_strand_dependents() {
    use predicates::prelude::*;
    let dir = project_copy("webapp");
    let d = dir.path();
    tapctl(d).args(["up", "--yes"]).assert().success();
    let count = |d: &Path| {
        let state: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(d.join("state/dev.json")).unwrap()).unwrap();
        state["checkpoint"]["latest"]["resources"].as_array().unwrap().len()
    };
    let all = count(d);
    let report: serde_json::Value =
        serde_json::from_str(&stdout(tapctl(d).args(["destroy", "--yes", "--json", "--target", "subnetA"]))).unwrap();
    assert_eq!(report["changeSummary"]["delete"], 1, "{report}");
    assert_eq!(count(d), all - 1);
    let before = std::fs::read(d.join("state/dev.json")).unwrap();
    tapctl(d)
        .args(["destroy", "--yes", "--target", "vpc"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("depend on the targets").and(predicate::str::contains("--target-dependents")));
    assert_eq!(std::fs::read(d.join("state/dev.json")).unwrap(), before, "nothing changed");
    tapctl(d).args(["destroy", "--yes", "--target", "vpc", "--target-dependents"]).assert().success();
    assert!(count(d) < all - 3, "the VPC, subnetB and the security group went");
}

#[test]
fn config_set_checks_the_declared_type_before_writing() {
    use predicates::prelude::*;
    let dir = project_copy("webapp");
    let d = dir.path();
    let before = std::fs::read(d.join("Pulumi.dev.yaml")).unwrap();
    tapctl(d)
        .args(["config", "set", "retentionDays", "two weeks"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("declared Integer").and(predicate::str::contains("not an integer")));
    tapctl(d)
        .args(["config", "set", "dbPassword", "plain"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("declared secret").and(predicate::str::contains("--secret")));
    assert_eq!(std::fs::read(d.join("Pulumi.dev.yaml")).unwrap(), before, "nothing written");
    tapctl(d).args(["config", "set", "retentionDays", "7"]).assert().success();
}
