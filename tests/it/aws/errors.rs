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

#[test]
fn no_credentials_is_said_in_words_with_the_way_out_and_no_colour_codes() {
    let dir = project();
    let d = dir.path();
    let mut cmd = crate::common::tapctl(d, "aws");
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ] {
        cmd.env_remove(var);
    }
    // Nothing leaves this machine: a loopback endpoint, no instance metadata.
    let out = cmd
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_REGION", "us-east-1")
        .args(["preview"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    let line = one_error_line(&stderr);
    assert!(line.contains("no AWS credentials found") && line.contains("--cloud memory"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "no colour codes into a pipe: {stderr:?}");
    assert!(!stderr.contains("DispatchFailure"), "{stderr}");
}
