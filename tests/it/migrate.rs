//! Stacks moving between tapctl and Pulumi through `stack export` /
//! `stack import` (the `{"version":3,"deployment":…}` form), on the
//! in-memory cloud: a deployment in the shape Pulumi writes is taken over
//! with a preview that shows only real differences, and secrets are
//! re-encrypted with the importing stack's passphrase.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::{json, Value as Json};

use crate::common::project;

fn tapctl(dir: &Path) -> Command {
    crate::common::tapctl(dir, "memory")
}

fn stdout_of(cmd: &mut Command) -> String {
    String::from_utf8(cmd.assert().success().get_output().stdout.clone()).unwrap()
}

fn changes(dir: &Path) -> Json {
    let plan: Json = serde_json::from_str(&stdout_of(tapctl(dir).args(["preview", "--json"]))).unwrap();
    plan
}

/// Rewrites tapctl's export the way `pulumi stack export` shows the same
/// stack: Pulumi's manifest with its plugin list, the bridged provider's
/// bookkeeping (`__internal` and flag inputs on the provider, `__meta` on
/// outputs), and the per-resource fields tapctl does not write.
fn as_pulumi_wrote_it(mut export: Json) -> Json {
    let d = &mut export["deployment"];
    d["manifest"] = json!({
        "time": "2026-11-20T10:00:00.000000000Z",
        "magic": "0b5f2ba6e3bd3d45e1e6a1aef8d6c8f2d5fd8eb3a5e2f1b2c3d4e5f60718293a",
        "version": "v3.140.0",
        "plugins": [{"name": "aws", "path": "/home/ci/.pulumi/plugins/resource-aws-v7.48.0", "type": "resource", "version": "7.48.0"}]
    });
    for r in d["resources"].as_array_mut().unwrap() {
        let token = r["type"].as_str().unwrap().to_string();
        if token == "pulumi:providers:aws" {
            for side in ["inputs", "outputs"] {
                let m = r[side].as_object_mut().unwrap();
                m.insert("__internal".into(), json!({}));
                m.insert("skipCredentialsValidation".into(), json!("false"));
                m.insert("skipRegionValidation".into(), json!("true"));
                m.insert("version".into(), json!("7.48.0"));
            }
        } else if r["custom"] == true {
            r["outputs"].as_object_mut().unwrap().insert("__meta".into(), json!("{\"schema_version\":\"1\"}"));
            r["sourcePosition"] = json!("project:///index.ts#42,13");
        }
    }
    export
}

#[test]
fn a_deployment_written_by_pulumi_is_taken_over_showing_only_real_differences() {
    let dir = project();
    let d = dir.path();
    tapctl(d).args(["up", "--yes"]).assert().success();
    let export: Json = serde_json::from_str(&stdout_of(tapctl(d).args(["stack", "export"]))).unwrap();
    let pulumi = as_pulumi_wrote_it(export);
    // A project that never ran: only the cloud (kept in its own file) exists.
    std::fs::remove_file(d.join("state/dev.json")).unwrap();
    std::fs::write(d.join("pulumi.json"), serde_json::to_string_pretty(&pulumi).unwrap()).unwrap();
    tapctl(d).args(["stack", "import", "pulumi.json"]).assert().success().stdout(predicate::str::contains("82"));

    let plan = changes(d);
    for k in ["create", "update", "replace", "delete"] {
        assert_eq!(plan["changeSummary"][k], 0, "{k}: {plan}");
    }
    // What tapctl does not interpret survives its own export.
    let again = stdout_of(tapctl(d).args(["stack", "export"]));
    assert!(again.contains("project:///index.ts#42,13") && again.contains("__meta"), "{again}");

    // A real difference in the Pulumi state shows as exactly that.
    let mut drifted = pulumi.clone();
    let vpc = drifted["deployment"]["resources"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["type"] == "aws:ec2/vpc:Vpc")
        .unwrap();
    vpc["inputs"]["enableDnsHostnames"] = json!(false);
    std::fs::write(d.join("pulumi.json"), serde_json::to_string_pretty(&drifted).unwrap()).unwrap();
    tapctl(d).args(["stack", "import", "pulumi.json"]).assert().success();
    let plan = changes(d);
    assert_eq!(plan["changeSummary"]["update"], 1, "{plan}");
    let step = plan["steps"].as_array().unwrap().iter().find(|s| s["op"] == "update").unwrap();
    assert_eq!(step["type"], "aws:ec2/vpc:Vpc", "{plan}");
}

#[test]
fn secrets_are_re_encrypted_on_import_and_printed_only_on_request() {
    let email = "oncall-secret@example.com";
    let (a, b) = (project(), project());
    let (a, b) = (a.path(), b.path());
    tapctl(a)
        .env("TAPCTL_CONFIG_PASSPHRASE", "pass-a")
        .args(["config", "set", "tap:alertEmail", email, "--secret"])
        .assert()
        .success();
    tapctl(a).env("TAPCTL_CONFIG_PASSPHRASE", "pass-a").args(["up", "--yes"]).assert().success();
    let export = stdout_of(tapctl(a).env("TAPCTL_CONFIG_PASSPHRASE", "pass-a").args(["stack", "export"]));
    assert!(!export.contains(email) && export.contains("\"ciphertext\""), "encrypted by default");
    std::fs::write(b.join("from-a.json"), &export).unwrap();

    // The importing stack has its own passphrase; the source's is needed to read.
    tapctl(b)
        .env("TAPCTL_CONFIG_PASSPHRASE", "pass-b")
        .args(["stack", "import", "from-a.json"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("passphrase"));
    assert!(!b.join("state/dev.json").exists(), "a failed import writes nothing");
    tapctl(b)
        .env("TAPCTL_CONFIG_PASSPHRASE", "pass-b")
        .env("TAPCTL_SOURCE_PASSPHRASE", "pass-a")
        .args(["stack", "import", "from-a.json"])
        .assert()
        .success();
    let state = std::fs::read_to_string(b.join("state/dev.json")).unwrap();
    assert!(!state.contains(email) && state.contains("\"ciphertext\""), "re-encrypted at rest");
    let salt_a = std::fs::read_to_string(a.join("stacks/dev.toml")).unwrap();
    let salt_b = std::fs::read_to_string(b.join("stacks/dev.toml")).unwrap();
    assert_ne!(
        salt_a.lines().find(|l| l.starts_with("encryptionsalt")),
        salt_b.lines().find(|l| l.starts_with("encryptionsalt")),
        "the importing stack got a salt of its own"
    );
    let shown =
        stdout_of(tapctl(b).env("TAPCTL_CONFIG_PASSPHRASE", "pass-b").args(["stack", "export", "--show-secrets"]));
    assert!(shown.contains(email) && shown.contains("\"plaintext\""), "{shown}");
    // B's passphrase reads B's state; A's no longer does.
    tapctl(b).env("TAPCTL_CONFIG_PASSPHRASE", "pass-a").args(["stack", "export"]).assert().failure();
}

/// Rewrites an export the way older Pulumi CLIs (before ~3.110) wrote
/// deployments: `null` for empty lists, per-input `propertyDependencies`
/// entries of `null`, `sourcePosition`, the `checkpoint` form a file backend
/// keeps, pending operations of the kinds tapctl never writes, and a field a
/// newer CLI might add at every level.
fn as_an_older_pulumi_checkpoint(export: Json) -> Json {
    let mut d = as_pulumi_wrote_it(export)["deployment"].take();
    for r in d["resources"].as_array_mut().unwrap() {
        let deps = r.get("dependencies").cloned().unwrap_or(json!([]));
        if deps == json!([]) {
            r["dependencies"] = Json::Null;
        }
        let inputs: Vec<String> = r["inputs"].as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default();
        let pd = r["propertyDependencies"].as_object().cloned().unwrap_or_default();
        let mut with_nulls = serde_json::Map::new();
        for k in inputs {
            with_nulls.insert(k.clone(), pd.get(&k).cloned().unwrap_or(Json::Null));
        }
        r["propertyDependencies"] = Json::Object(with_nulls);
        r["futureField"] = json!({"kept": true});
    }
    let bucket = d["resources"].as_array().unwrap().iter().find(|r| r["type"] == "aws:ec2/vpc:Vpc").cloned().unwrap();
    d["pending_operations"] = json!([
        {"resource": bucket.clone(), "type": "reading"},
        {"resource": bucket, "type": "importing"}
    ]);
    d["manifest"]["futureField"] = json!("kept");
    d["futureField"] = json!({"kept": [1, 2]});
    json!({"version": 3, "checkpoint": {"stack": "organization/tap/dev", "latest": d}})
}

#[test]
fn an_older_pulumi_checkpoint_with_nulls_and_unknown_fields_is_taken_over_and_written_back() {
    let dir = project();
    let d = dir.path();
    tapctl(d).args(["up", "--yes"]).assert().success();
    let export: Json = serde_json::from_str(&stdout_of(tapctl(d).args(["stack", "export"]))).unwrap();
    std::fs::remove_file(d.join("state/dev.json")).unwrap();
    std::fs::write(d.join("old.json"), as_an_older_pulumi_checkpoint(export).to_string()).unwrap();
    tapctl(d).args(["stack", "import", "old.json"]).assert().success();

    let plan = changes(d);
    for k in ["create", "update", "replace", "delete"] {
        assert_eq!(plan["changeSummary"][k], 0, "{k}: {plan}");
    }
    let again: Json = serde_json::from_str(&stdout_of(tapctl(d).args(["stack", "export"]))).unwrap();
    let dep = &again["deployment"];
    assert_eq!(dep["futureField"], json!({"kept": [1, 2]}), "deployment-level field");
    assert_eq!(dep["manifest"]["futureField"], json!("kept"), "manifest field");
    assert_eq!(dep["resources"][1]["futureField"], json!({"kept": true}), "resource field");
    let kinds: Vec<&str> =
        dep["pending_operations"].as_array().unwrap().iter().map(|p| p["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["reading", "importing"], "pending operations survive until a run settles them");

    // The next `up` settles them: a read and an import changed nothing in the cloud.
    tapctl(d).args(["up", "--yes"]).assert().success().stderr(
        predicate::str::contains("dropped the pending reading of")
            .and(predicate::str::contains("changed nothing in the cloud")),
    );
    let settled: Json = serde_json::from_str(&stdout_of(tapctl(d).args(["stack", "export"]))).unwrap();
    assert_eq!(settled["deployment"]["pending_operations"], json!([]));
}

/// A real export: the example the Pulumi Cloud REST API reference gives for
/// `GET …/export`, written by Pulumi CLI v2.22.0 (see the folder's README).
const DOCS_EXPORT: &str = "tests/data/pulumi-exports/pulumi-cloud-docs-v2.22.0-vpc.json";

#[test]
fn outputs_of_a_stack_from_another_project_are_found_and_the_mismatch_is_named() {
    let dir = project();
    let d = dir.path();
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join(DOCS_EXPORT), d.join("docs.json")).unwrap();
    tapctl(d).args(["stack", "import", "docs.json"]).assert().success().stderr(
        predicate::str::contains("project `demo-aws-ts-webserver`")
            .and(predicate::str::contains("Set `name = \"demo-aws-ts-webserver\"` in deploy.toml")),
    );
    let outputs: Json = serde_json::from_str(&stdout_of(tapctl(d).args(["stack", "output", "--json"]))).unwrap();
    assert_eq!(outputs["vpcId"], json!("vpc-04057e18647a66e24"));

    // Planning the flagship over it would delete the imported VPC: refused.
    let before = std::fs::read(d.join("state/dev.json")).unwrap();
    tapctl(d).args(["preview"]).assert().failure().stderr(predicate::str::contains(
        "holds the resources of project `demo-aws-ts-webserver`, but the program is project `tap`",
    ));
    tapctl(d).args(["up", "--yes"]).assert().failure().stderr(predicate::str::contains("nothing was changed"));
    assert_eq!(std::fs::read(d.join("state/dev.json")).unwrap(), before, "state untouched");

    // What tapctl does not interpret comes back out as it went in.
    let again = stdout_of(tapctl(d).args(["stack", "export"]));
    assert!(again.contains("__defaults") && again.contains("\"__meta\""), "{again}");
}

#[test]
fn the_source_passphrase_is_named_and_needed_only_for_ciphertext() {
    let (a, b) = (project(), project());
    let (a, b) = (a.path(), b.path());
    tapctl(a)
        .env("TAPCTL_CONFIG_PASSPHRASE", "pass-a")
        .args(["config", "set", "tap:alertEmail", "oncall@example.com", "--secret"])
        .assert()
        .success();
    tapctl(a).env("TAPCTL_CONFIG_PASSPHRASE", "pass-a").args(["up", "--yes"]).assert().success();
    let export = stdout_of(tapctl(a).env("TAPCTL_CONFIG_PASSPHRASE", "pass-a").args(["stack", "export"]));
    std::fs::write(b.join("from-a.json"), &export).unwrap();

    tapctl(b)
        .env("TAPCTL_SOURCE_PASSPHRASE", "not-pass-a")
        .args(["stack", "import", "from-a.json"])
        .assert()
        .failure()
        .stderr(
            predicate::str::contains("TAPCTL_SOURCE_PASSPHRASE does not open the secrets of")
                .and(predicate::str::contains("from-a.json")),
        );
    tapctl(b)
        .args(["stack", "import", "from-a.json"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("set TAPCTL_SOURCE_PASSPHRASE").and(predicate::str::contains("from-a.json")));
    assert!(!b.join("state/dev.json").exists(), "a failed import writes nothing");

    // The same salt with nothing sealed under it: no passphrase is needed.
    let mut plain: Json = serde_json::from_str(&export).unwrap();
    let strip = |v: &mut Json| {
        if let Some(m) = v.as_object_mut() {
            m.retain(|_, x| !x.to_string().contains("ciphertext"));
        }
    };
    for r in plain["deployment"]["resources"].as_array_mut().unwrap() {
        strip(&mut r["inputs"]);
        strip(&mut r["outputs"]);
    }
    assert!(!plain.to_string().contains("ciphertext"));
    std::fs::write(b.join("plain.json"), plain.to_string()).unwrap();
    tapctl(b).args(["stack", "import", "plain.json"]).assert().success();
}

#[test]
fn a_default_provider_of_an_older_plugin_with_the_same_configuration_is_the_same_provider() {
    let dir = project();
    let d = dir.path();
    tapctl(d).args(["up", "--yes"]).assert().success();
    let export = stdout_of(tapctl(d).args(["stack", "export"]));
    // What a Pulumi CLI with pulumi-aws 5.35.0 recorded for the same stack.
    let older = export.replace("default_7_48_0", "default_5_35_0").replace("\"7.48.0\"", "\"5.35.0\"");
    let older =
        as_pulumi_wrote_it(serde_json::from_str(&older).unwrap()).to_string().replace("\"7.48.0\"", "\"5.35.0\"");
    std::fs::remove_file(d.join("state/dev.json")).unwrap();
    std::fs::write(d.join("older.json"), &older).unwrap();
    tapctl(d).args(["stack", "import", "older.json"]).assert().success();

    let plan = changes(d);
    for k in ["create", "update", "replace", "delete"] {
        assert_eq!(plan["changeSummary"][k], 0, "{k}: {plan}");
    }
    tapctl(d).args(["up", "--yes"]).assert().success();
    let after = stdout_of(tapctl(d).args(["stack", "export"]));
    assert!(after.contains("default_5_35_0") && !after.contains("default_7_48_0"), "the recorded provider stays");
}

/// Fields of Pulumi's Go `apitype.ResourceV3` that its JSON schema's
/// `resourceV3` does not list yet (see tests/data/pulumi-schemas/README.md):
/// the only fields beyond the schema an export may carry.
const GO_FIELDS_THE_SCHEMA_LAGS_ON: [&str; 6] =
    ["created", "modified", "retainOnDelete", "ignoreChanges", "replaceOnChanges", "sourcePosition"];

/// What Pulumi's deployment schema says against `export`, if anything.
fn pulumi_schema_errors(export: &Json) -> Option<String> {
    const BASE: &str = "https://github.com/pulumi/pulumi/blob/master/sdk/go/common/apitype/";
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/pulumi-schemas");
    let read =
        |name: &str| -> Json { serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap() };
    let mut resources = read("resources.json");
    let props = resources["$defs"]["resourceV3"]["properties"].as_object_mut().unwrap();
    for field in GO_FIELDS_THE_SCHEMA_LAGS_ON {
        assert!(!props.contains_key(field), "the schema has caught up on `{field}`: drop it from the list");
        props.insert(field.to_string(), json!({}));
    }
    let mut compiler = boon::Compiler::new();
    for (name, doc) in [
        ("deployments.json", read("deployments.json")),
        ("resources.json", resources),
        ("property-values.json", read("property-values.json")),
    ] {
        compiler.add_resource(&format!("{BASE}{name}"), doc).unwrap();
    }
    let mut schemas = boon::Schemas::new();
    let deployment = compiler.compile(&format!("{BASE}deployments.json"), &mut schemas).unwrap();
    schemas.validate(export, deployment).err().map(|e| format!("{e:#}"))
}

fn check_against_pulumis_schema(export: &Json) {
    if let Some(e) = pulumi_schema_errors(export) {
        panic!("the export does not validate against Pulumi's schema: {e}");
    }
}

#[test]
fn the_export_validates_against_pulumis_own_schema() {
    let dir = project();
    let d = dir.path();
    // Secrets and every kind of value the flagship records.
    tapctl(d)
        .env("TAPCTL_CONFIG_PASSPHRASE", "pass")
        .args(["config", "set", "tap:alertEmail", "oncall@example.com", "--secret"])
        .assert()
        .success();
    tapctl(d).env("TAPCTL_CONFIG_PASSPHRASE", "pass").args(["up", "--yes"]).assert().success();
    let export: Json =
        serde_json::from_str(&stdout_of(tapctl(d).env("TAPCTL_CONFIG_PASSPHRASE", "pass").args(["stack", "export"])))
            .unwrap();
    assert!(export.to_string().contains("\"ciphertext\""));
    check_against_pulumis_schema(&export);
    // The schema does refuse what Pulumi does not define.
    let mut bogus = export.clone();
    bogus["deployment"]["resources"][1]["notAPulumiField"] = json!(1);
    assert!(pulumi_schema_errors(&bogus).is_some_and(|e| e.contains("notAPulumiField")));
    let shown: Json = serde_json::from_str(&stdout_of(tapctl(d).env("TAPCTL_CONFIG_PASSPHRASE", "pass").args([
        "stack",
        "export",
        "--show-secrets",
    ])))
    .unwrap();
    check_against_pulumis_schema(&shown);
    // And a Pulumi-written deployment taken over and exported again.
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join(DOCS_EXPORT), d.join("docs.json")).unwrap();
    let other = project();
    std::fs::copy(d.join("docs.json"), other.path().join("docs.json")).unwrap();
    tapctl(other.path()).args(["stack", "import", "docs.json"]).assert().success();
    let again: Json = serde_json::from_str(&stdout_of(tapctl(other.path()).args(["stack", "export"]))).unwrap();
    check_against_pulumis_schema(&again);
}
