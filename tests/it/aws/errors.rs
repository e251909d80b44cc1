//! Cloud errors at the CLI edge: an endpoint nobody answers on, and access
//! denied by AWS. Each must fail with a non-zero exit, one `error:` line that
//! names the problem (with the AWS error code where there is one), and the
//! state file exactly as it was.

use super::flagship::tapctl;
use crate::common::project;
use crate::moto::Moto;

fn one_error_line(stderr: &str) -> &str {
    let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    lines[0]
}

#[test]
fn an_unreachable_endpoint_fails_clearly_and_touches_nothing() {
    let moto = Moto::start();
    let dir = project();
    let d = dir.path();
    tapctl(d, &moto).args(["up", "--yes"]).assert().success();
    let state = std::fs::read(d.join("state/dev.json")).unwrap();
    drop(moto); // the endpoint now refuses connections
    let dead = Moto::start();
    let endpoint = dead.endpoint();
    drop(dead);
    let out = assert_cmd::Command::cargo_bin("tapctl")
        .unwrap()
        .arg("--cwd")
        .arg(d)
        .args(["--cloud", "aws", "up", "--yes"])
        .env("AWS_ENDPOINT_URL", &endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .write_stdin("")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = one_error_line(&stderr);
    assert!(
        line.contains("availability zones")
            && (line.contains("dispatch") || line.contains("connect") || line.contains("Connection")),
        "{line}"
    );
    assert_eq!(std::fs::read(d.join("state/dev.json")).unwrap(), state);
}

#[test]
fn access_denied_names_the_aws_error_code_and_touches_nothing() {
    // moto checks every request against its IAM users; "testing" is none of them.
    let moto = Moto::start_with(&[("INITIAL_NO_AUTH_ACTION_COUNT", "0")]);
    let dir = project();
    let d = dir.path();
    std::fs::create_dir_all(d.join("state")).unwrap();
    let out = tapctl(d, &moto).args(["up", "--yes"]).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = one_error_line(&stderr);
    assert!(
        line.contains("AuthFailure") || line.contains("InvalidClientTokenId") || line.contains("AccessDenied"),
        "{line}"
    );
    assert!(!d.join("state/dev.json").exists(), "nothing was written");
}
