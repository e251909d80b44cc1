//! The `tapctl` binary end to end on the in-memory cloud (assert_cmd): the
//! preview → up → no-op preview → change → destroy cycle, the other
//! commands, and bad input that must fail clearly with a non-zero exit.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value as Json;

use crate::common::project;

fn tapctl(dir: &Path) -> Command {
    crate::common::tapctl(dir, "memory")
}

fn json_of(cmd: &mut Command) -> Json {
    let out = cmd.assert().success().get_output().stdout.clone();
    serde_json::from_slice(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out)))
}

fn summary(v: &Json) -> [u64; 5] {
    let s = &v["changeSummary"];
    ["create", "update", "replace", "delete", "same"].map(|k| s[k].as_u64().unwrap_or_else(|| panic!("missing {k}")))
}

fn cloud_objects(dir: &Path) -> usize {
    let path: PathBuf = dir.join("state/dev.memory-cloud.json");
    let v: Json = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["objects"].as_object().unwrap().len()
}

#[test]
fn preview_up_noop_change_destroy_through_the_cli() {
    let dir = project();
    let d = dir.path();
    let plan = json_of(tapctl(d).args(["preview", "--json"]));
    let [create, ..] = summary(&plan);
    assert!(create > 40, "{plan}");
    assert_eq!(plan["steps"][0]["op"], "create");
    assert!(plan["steps"][0]["urn"].as_str().unwrap().starts_with("urn:pulumi:dev::tap::"));
    tapctl(d).arg("preview").assert().success().stdout(predicate::str::contains(format!("+ {create} to create")));

    tapctl(d).args(["up", "--yes"]).assert().success().stdout(predicate::str::contains(format!("+ {create} created")));
    assert!(d.join("state/dev.json").exists());
    assert_eq!(summary(&json_of(tapctl(d).args(["preview", "--json"]))), [0, 0, 0, 0, create]);

    let outputs = json_of(tapctl(d).args(["stack", "output", "--json"]));
    assert!(outputs["vpcId"].as_str().unwrap().starts_with("vpc-"), "{outputs}");

    // Shifting traffic is one in-place update of the listener.
    tapctl(d).args(["config", "set", "tap:blueWeight", "90"]).assert().success();
    tapctl(d).args(["config", "set", "tap:greenWeight", "10"]).assert().success();
    tapctl(d).args(["config", "get", "tap:greenWeight"]).assert().success().stdout("10\n");
    let plan = json_of(tapctl(d).args(["preview", "--json"]));
    assert_eq!(summary(&plan), [0, 1, 0, 0, create - 1], "{plan}");
    let step = plan["steps"].as_array().unwrap().iter().find(|s| s["op"] == "update").unwrap();
    assert_eq!(step["type"], "aws:lb/listener:Listener");
    tapctl(d)
        .args(["preview", "--diff"])
        .assert()
        .success()
        .stdout(predicate::str::contains("~ defaultActions[0].forward.targetGroups[1].weight: 0 => 10"));
    let run = json_of(tapctl(d).args(["up", "--yes", "--json", "--parallel", "3"]));
    assert_eq!(summary(&run)[1], 1);
    assert_eq!(run["outputs"]["trafficWeights"]["green"], 10);

    // Progressive shift to green, recorded in the stack config: no changes afterwards.
    tapctl(d)
        .args(["shift", "--to", "green", "--steps", "50,100", "--interval", "0s"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Shift complete: blue 0% / green 100%"));
    assert!(std::fs::read_to_string(d.join("stacks/dev.toml")).unwrap().contains("\"tap:greenWeight\" = 100"));
    assert_eq!(summary(&json_of(tapctl(d).args(["preview", "--json"]))), [0, 0, 0, 0, create]);
    tapctl(d)
        .args(["shift", "--to", "blue", "--steps", "50,20"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--steps"));

    // Outputs for CI/CD.
    tapctl(d).args(["config", "set", "tap:outputFile", "out/outputs.json"]).assert().success();
    tapctl(d).args(["up", "--yes"]).assert().success();
    let written: Json = serde_json::from_str(&std::fs::read_to_string(d.join("out/outputs.json")).unwrap()).unwrap();
    assert_eq!(written["vpcId"], outputs["vpcId"]);
    assert!(written["albDnsName"].as_str().unwrap().contains("elb.amazonaws.com"));

    let export = json_of(tapctl(d).args(["stack", "export"]));
    assert_eq!(export["version"], 3);
    assert_eq!(export["deployment"]["resources"].as_array().unwrap().len() as u64, create);
    std::fs::write(d.join("export.json"), export.to_string()).unwrap();
    tapctl(d).args(["stack", "import"]).arg(d.join("export.json")).assert().success();
    assert_eq!(summary(&json_of(tapctl(d).args(["preview", "--json"])))[4], create);

    tapctl(d).args(["graph", "--format", "dot"]).assert().success().stdout(predicate::str::starts_with("digraph"));
    tapctl(d)
        .args(["stack", "ls"])
        .assert()
        .success()
        .stdout(predicate::str::contains("dev*").and(predicate::str::contains("prod")));

    tapctl(d)
        .args(["destroy", "--yes"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("- {create} deleted")));
    assert_eq!(cloud_objects(d), 0);
    assert_eq!(summary(&json_of(tapctl(d).args(["preview", "--json"])))[0], create);
}

#[test]
fn up_without_yes_and_without_a_terminal_changes_nothing() {
    let dir = project();
    tapctl(dir.path()).arg("up").write_stdin("").assert().failure().stderr(predicate::str::contains("pass --yes"));
    assert!(!dir.path().join("state/dev.memory-cloud.json").exists() || cloud_objects(dir.path()) == 0);
}

#[test]
fn a_stale_lock_is_reported_and_cleared_by_cancel() {
    let dir = project();
    let d = dir.path();
    std::fs::create_dir_all(d.join("state")).unwrap();
    std::fs::write(
        d.join("state/dev.lock"),
        r#"{"pid": 4194300, "host": "ci-runner", "started": "2026-11-01T00:00:00Z", "command": "up"}"#,
    )
    .unwrap();
    tapctl(d).args(["up", "--yes"]).assert().failure().stderr(
        predicate::str::contains("stale lock")
            .and(predicate::str::contains("4194300"))
            .and(predicate::str::contains("tapctl cancel")),
    );
    tapctl(d).arg("cancel").assert().success().stdout(predicate::str::contains("PID 4194300"));
    tapctl(d).args(["up", "--yes"]).assert().success();
}

#[test]
fn secret_config_is_encrypted_and_needs_the_passphrase() {
    let dir = project();
    let d = dir.path();
    tapctl(d)
        .args(["config", "set", "tap:apiToken", "tok-plaintext-123", "--secret"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("TAPCTL_CONFIG_PASSPHRASE"));
    tapctl(d)
        .env("TAPCTL_CONFIG_PASSPHRASE", "pass-1")
        .args(["config", "set", "tap:apiToken", "tok-plaintext-123", "--secret"])
        .assert()
        .success();
    let file = std::fs::read_to_string(d.join("stacks/dev.toml")).unwrap();
    assert!(
        file.contains("encryptionsalt") && file.contains("secure = \"v1:") && !file.contains("tok-plaintext-123"),
        "{file}"
    );
    tapctl(d)
        .env("TAPCTL_CONFIG_PASSPHRASE", "pass-1")
        .args(["config", "get", "tap:apiToken"])
        .assert()
        .success()
        .stdout("tok-plaintext-123\n");
    tapctl(d)
        .env("TAPCTL_CONFIG_PASSPHRASE", "wrong")
        .args(["config", "get", "tap:apiToken"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("incorrect passphrase"));
    tapctl(d).arg("preview").assert().failure().stderr(predicate::str::contains("passphrase"));
}

/// Puts the project into the state a bad-input case needs.
type Setup<'a> = Box<dyn Fn() + 'a>;

#[test]
fn bad_input_fails_with_a_message_that_names_the_problem() {
    let dir = project();
    let d = dir.path();
    let stack_file = d.join("stacks/dev.toml");
    let original = std::fs::read_to_string(&stack_file).unwrap();
    // (what, how to break the project, arguments, what stderr must say)
    let cases: Vec<(&str, Setup, Vec<&str>, &str)> = vec![
        ("unknown stack", Box::new(|| {}), vec!["--stack", "staging", "preview"], "stack `staging` does not exist"),
        ("bad stack name", Box::new(|| {}), vec!["--stack", "../etc", "preview"], "not a valid stack name"),
        (
            "malformed CIDR",
            Box::new(|| std::fs::write(&stack_file, original.replace("10.0.0.0/16", "10.0.0.0/33")).unwrap()),
            vec!["preview"],
            "tap:vpcCidr",
        ),
        (
            "typo in a key",
            Box::new(|| std::fs::write(&stack_file, format!("{original}\"tap:containerPrt\" = 80\n")).unwrap()),
            vec!["preview"],
            "did you mean `tap:containerPort`",
        ),
        ("malformed TOML", Box::new(|| std::fs::write(&stack_file, "[config\n").unwrap()), vec!["preview"], "dev.toml"),
        (
            "port out of range",
            Box::new(|| std::fs::write(&stack_file, original.replace("Port\" = 80", "Port\" = 70000")).unwrap()),
            vec!["preview"],
            "tap:containerPort",
        ),
        (
            "weights not summing to 100",
            Box::new(|| {
                std::fs::write(&stack_file, original.replace("\"tap:greenWeight\" = 0", "\"tap:greenWeight\" = 5"))
                    .unwrap()
            }),
            vec!["preview"],
            "must sum to 100",
        ),
        (
            "min capacity above max",
            Box::new(|| {
                std::fs::write(&stack_file, original.replace("\"tap:minCapacity\" = 1", "\"tap:minCapacity\" = 6"))
                    .unwrap()
            }),
            vec!["preview"],
            "tap:minCapacity",
        ),
        (
            "a Fargate size AWS does not run",
            Box::new(|| {
                std::fs::write(&stack_file, original.replace("\"tap:memory\" = 512", "\"tap:memory\" = 4096")).unwrap()
            }),
            vec!["preview"],
            "Fargate does not run 256 CPU with 4096 MiB",
        ),
        (
            "a suffix that cannot fit a target group name",
            Box::new(|| {
                std::fs::write(
                    &stack_file,
                    format!("{original}\"tap:environmentSuffix\" = \"a-very-long-pull-request-suffix\"\n"),
                )
                .unwrap()
            }),
            vec!["preview"],
            "tap:environmentSuffix",
        ),
        (
            "zero parallelism",
            Box::new(|| std::fs::write(&stack_file, &original).unwrap()),
            vec!["up", "--yes", "--parallel", "0"],
            "at least 1",
        ),
        ("bad target", Box::new(|| {}), vec!["preview", "--target", "vpc"], "--target"),
    ];
    for (what, setup, args, says) in cases {
        setup();
        tapctl(d)
            .args(&args)
            .assert()
            .failure()
            .stderr(predicate::str::contains(says).and(predicate::str::starts_with("error: ")))
            .code(1);
        let _ = what;
    }
    tapctl(d).args(["preview", "--no-such-flag"]).assert().failure().code(2);
    let empty = tempfile::tempdir().unwrap();
    tapctl(empty.path()).arg("preview").assert().failure().stderr(predicate::str::contains("no deploy.toml"));
    std::fs::write(empty.path().join("deploy.toml"), "name = \"x\"\nprogram = \"nope\"\n").unwrap();
    std::fs::create_dir(empty.path().join("stacks")).unwrap();
    std::fs::write(empty.path().join("stacks/dev.toml"), "").unwrap();
    tapctl(empty.path()).arg("preview").assert().failure().stderr(predicate::str::contains("unknown program `nope`"));
}

#[test]
fn the_cli_staples_pulumi_users_reach_for() {
    let dir = project();
    let d = dir.path();
    let tapctl = |d: &Path| {
        let mut cmd = tapctl(d);
        cmd.env("TAPCTL_CONFIG_PASSPHRASE", "staples");
        cmd
    };
    tapctl(d).args(["up", "--yes"]).assert().success();
    let file = std::fs::read_to_string(d.join("stacks/dev.toml")).unwrap();
    assert!(!file.contains("encryptionsalt"), "a stack without secrets gets no salt from up: {file}");

    // stack output NAME: one value, bare.
    let vpc = tapctl(d).args(["stack", "output", "vpcId"]).assert().success().get_output().stdout.clone();
    assert!(String::from_utf8(vpc).unwrap().trim().starts_with("vpc-"));
    tapctl(d)
        .args(["stack", "output", "vpcid"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("has no output `vpcid`").and(predicate::str::contains("vpcId")));

    // up --expect-no-changes: 0 when there is nothing to do, 3 (and nothing
    // changed) when there is.
    tapctl(d).args(["up", "--yes", "--expect-no-changes"]).assert().success();
    tapctl(d).args(["config", "set", "tap:alertEmail", "oncall@example.com"]).assert().success();
    let before = std::fs::read(d.join("state/dev.json")).unwrap();
    tapctl(d)
        .args(["up", "--yes", "--expect-no-changes"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("--expect-no-changes"));
    assert_eq!(std::fs::read(d.join("state/dev.json")).unwrap(), before, "nothing changed");

    // config: listed with secrets masked; rm removes.
    tapctl(d).args(["config", "set", "--secret", "tap:alertEmail", "oncall@example.com"]).assert().success();
    let listed = String::from_utf8(tapctl(d).args(["config"]).assert().success().get_output().stdout.clone()).unwrap();
    assert!(
        listed.contains("tap:alertEmail") && listed.contains("[secret]") && !listed.contains("oncall@"),
        "{listed}"
    );
    tapctl(d).args(["config", "rm", "tap:alertEmail"]).assert().success();
    tapctl(d).args(["config", "get", "tap:alertEmail"]).assert().failure();
    tapctl(d)
        .args(["config", "rm", "tap:alertEmail"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("is not set"));

    // --json on refresh and stack ls; up --skip-preview prints no plan.
    let refreshed: Json =
        serde_json::from_slice(&tapctl(d).args(["refresh", "--json"]).assert().success().get_output().stdout.clone())
            .unwrap();
    assert!(refreshed["changeSummary"]["same"].as_u64().unwrap() > 40, "{refreshed}");
    let stacks: Json = serde_json::from_slice(
        &tapctl(d).args(["stack", "ls", "--json"]).assert().success().get_output().stdout.clone(),
    )
    .unwrap();
    let dev = stacks.as_array().unwrap().iter().find(|s| s["name"] == "dev").unwrap();
    assert_eq!(dev["current"], true);
    assert!(dev["resourceCount"].as_u64().unwrap() > 40, "{stacks}");
    let up = String::from_utf8(
        tapctl(d).args(["up", "--yes", "--skip-preview"]).assert().success().get_output().stdout.clone(),
    )
    .unwrap();
    assert!(!up.contains("Updating stack"), "{up}");

    // version and completion.
    tapctl(d).args(["version"]).assert().success().stdout(predicate::str::starts_with("tapctl "));
    tapctl(d).args(["completion", "bash"]).assert().success().stdout(predicate::str::contains("_tapctl()"));
}

#[test]
fn stacks_are_selected_and_removed_as_with_pulumi() {
    let dir = project();
    let d = dir.path();
    tapctl(d).args(["--stack", "qa", "stack", "init", "--copy-config-from", "dev"]).assert().success();
    tapctl(d).args(["stack", "select", "qa"]).assert().success();
    let preview =
        String::from_utf8(tapctl(d).args(["preview"]).assert().success().get_output().stdout.clone()).unwrap();
    assert!(preview.contains("stack qa"), "{preview}");
    tapctl(d).args(["stack", "select", "nope"]).assert().failure().stderr(predicate::str::contains("does not exist"));

    tapctl(d).args(["up", "--yes"]).assert().success();
    tapctl(d)
        .args(["stack", "rm", "qa"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("still has").and(predicate::str::contains("destroy")));
    assert!(d.join("state/qa.json").exists(), "refused: nothing removed");
    tapctl(d).args(["destroy", "--yes"]).assert().success();
    tapctl(d).args(["stack", "rm", "qa"]).assert().success();
    assert!(!d.join("state/qa.json").exists() && !d.join("stacks/qa.toml").exists());
    // The selection went with it: commands use the default stack again.
    let preview =
        String::from_utf8(tapctl(d).args(["preview"]).assert().success().get_output().stdout.clone()).unwrap();
    assert!(preview.contains("stack dev"), "{preview}");
}
