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
