//! No secret anywhere: a full run against moto with a secret config value
//! (the alert email, set with `config set --secret`) — up, preview, refresh,
//! outputs, export, destroy, with debug logging — and then a search of the
//! state, backup, journal, stack file, logs and every byte printed.

use super::flagship::tapctl;
use crate::moto::Moto;

const SECRET: &str = "oncall-7f3a9c@example.com";

#[test]
fn a_secret_config_value_never_appears_in_plaintext() {
    let moto = Moto::start();
    let dir = crate::common::project();
    let d = dir.path();
    let run = |args: &[&str]| {
        let out = tapctl(d, &moto)
            .env("TAPCTL_CONFIG_PASSPHRASE", "correct horse battery")
            .env("TAPCTL_LOG", "debug")
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    };
    let mut printed = String::new();
    printed += &run(&["config", "set", "tap:alertEmail", SECRET, "--secret"]);
    printed += &run(&["preview", "--diff"]);
    printed += &run(&["up", "--yes", "--diff"]);
    printed += &run(&["preview", "--json", "--diff"]);
    printed += &run(&["refresh"]);
    printed += &run(&["stack", "output"]);
    printed += &run(&["stack", "output", "--json"]);
    printed += &run(&["stack", "export"]);

    // The secret did reach the cloud: it is the subscription's endpoint.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let sns = aws_sdk_sns::Client::new(&rt.block_on(moto.sdk_config(super::REGION)));
    let subs = rt.block_on(sns.list_subscriptions().send()).unwrap();
    assert!(subs.subscriptions().iter().any(|s| s.endpoint() == Some(SECRET)));

    let mut files: Vec<(String, String)> = Vec::new();
    for name in ["state/dev.json", "state/dev.json.bak", "state/dev.journal", "stacks/dev.toml"] {
        files.push((name.to_string(), std::fs::read_to_string(d.join(name)).unwrap_or_default()));
    }
    printed += &run(&["destroy", "--yes"]);
    files.push(("output of every command, with debug logs".into(), printed));
    for (what, text) in &files {
        assert!(!text.contains(SECRET), "{what} contains the secret");
    }
    assert!(files[0].1.contains("1b47061264138c4ac30d75fd1eb44270"), "the state holds it encrypted");

    // Without the passphrase, nothing runs.
    let out = tapctl(d, &moto).args(["preview"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("TAPCTL_CONFIG_PASSPHRASE"));
}
