//! `tapctl new`: both templates preview on the in-memory cloud straight
//! away, and a crate's own program runs under tapctl's whole CLI.

use std::path::Path;

use predicates::prelude::*;

fn tapctl(dir: &Path) -> assert_cmd::Command {
    crate::common::tapctl(dir, "memory")
}

fn creates(out: &std::process::Output) -> u64 {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    plan["changeSummary"]["create"].as_u64().unwrap()
}

#[test]
fn the_yaml_template_previews_at_once_and_new_refuses_a_folder_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    tapctl(d).args(["new", "yaml", "demo"]).assert().success().stdout(predicate::str::contains("Pulumi.yaml"));
    let out = tapctl(&d.join("demo")).args(["preview", "--json"]).output().unwrap();
    assert!(creates(&out) >= 4, "VPC, subnet, bucket and its block");
    tapctl(d).args(["new", "yaml", "demo"]).assert().failure().stderr(predicate::str::contains("is not empty"));
    tapctl(d).args(["new", "yaml", "9lives"]).assert().failure().stderr(predicate::str::contains("not a project name"));
}

/// The Rust template built as a user would build it (by path, without the
/// SDK so the build takes a minute, in a target folder of its own that a
/// machine keeps between runs), then its binary previews.
#[test]
fn the_rust_template_builds_and_its_program_previews_under_the_whole_cli() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let repo = env!("CARGO_MANIFEST_DIR");
    tapctl(d).args(["new", "rust", "edge-app", "--tapctl-path", repo]).assert().success();
    let crate_dir = d.join("edge-app");
    let target = std::env::var("TAPCTL_TEMPLATE_TARGET").unwrap_or_else(|_| {
        format!("{}/.cache/tapctl/template-target", std::env::var("HOME").unwrap_or_else(|_| "/tmp".into()))
    });
    let build = std::process::Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--no-default-features"])
        .current_dir(&crate_dir)
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .unwrap();
    assert!(build.status.success(), "building the template: {}", String::from_utf8_lossy(&build.stderr));
    let bin = Path::new(&target).join("debug/edge-app");
    let out = std::process::Command::new(&bin)
        .args(["--cwd"])
        .arg(&crate_dir)
        .args(["--cloud", "memory", "preview", "--json"])
        .env_remove("TAPCTL_STACK")
        .output()
        .unwrap();
    assert_eq!(creates(&out), 4, "the stack, its provider, the VPC and the security group");
    // A program the crate does not have is refused naming both kinds.
    let deploy = crate_dir.join("deploy.toml");
    std::fs::write(
        &deploy,
        std::fs::read_to_string(&deploy).unwrap().replace("program = \"edge-app\"", "program = \"nope\""),
    )
    .unwrap();
    let out = std::process::Command::new(&bin)
        .arg("--cwd")
        .arg(&crate_dir)
        .args(["--cloud", "memory", "preview"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("blue-green") && stderr.contains("edge-app"), "{stderr}");
}
