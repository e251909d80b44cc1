//! The bad-input suite: malformed or mistaken config, flags, state files,
//! journals and secrets. Every case must fail with a non-zero exit and one
//! clear `error:` message naming the problem, and leave the state file
//! byte-identical (a journal cut mid-record is recovered instead).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use assert_cmd::Command;

/// A project that went `up` once on the in-memory cloud, shared read-only.
fn base() -> &'static Path {
    static BASE: OnceLock<PathBuf> = OnceLock::new();
    BASE.get_or_init(|| {
        let dir = crate::common::project().keep();
        tapctl(&dir).args(["up", "--yes"]).assert().success();
        dir
    })
}

/// The banking project (`projects/banking`) after one `up` on the in-memory
/// cloud, shared read-only.
fn banking_base() -> &'static Path {
    static BASE: OnceLock<PathBuf> = OnceLock::new();
    BASE.get_or_init(|| {
        let dir = crate::common::project_from("projects/banking").keep();
        tapctl(&dir).args(["up", "--yes"]).assert().success();
        dir
    })
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn tapctl(dir: &Path) -> Command {
    crate::common::tapctl(dir, "memory")
}

/// Edits a project file in place.
fn edit(dir: &Path, file: &str, f: impl Fn(String) -> String) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    std::fs::write(path, f(text)).unwrap();
}

fn set(dir: &Path, key: &str, value: &str) {
    edit(dir, "stacks/dev.toml", |t| {
        let kept: Vec<&str> = t.lines().filter(|l| !l.starts_with(&format!("\"{key}\""))).collect();
        format!("{}\n\"{key}\" = {value}\n", kept.join("\n"))
    });
}

fn state_json(dir: &Path, f: impl Fn(&mut serde_json::Value)) {
    let path = dir.join("state/dev.json");
    let mut v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    f(&mut v);
    std::fs::write(path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
}

fn resources(v: &mut serde_json::Value) -> &mut Vec<serde_json::Value> {
    v["checkpoint"]["latest"]["resources"].as_array_mut().unwrap()
}

type Setup = fn(&Path);

struct Case {
    name: &'static str,
    setup: Setup,
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
    says: &'static str,
}

const fn case(name: &'static str, setup: Setup, args: &'static [&'static str], says: &'static str) -> Case {
    Case { name, setup, args, env: &[], says }
}

fn nothing(_: &Path) {}

const CASES: &[Case] = &[
    // Project file.
    case(
        "malformed deploy.toml",
        |d| edit(d, "deploy.toml", |_| "name = \"tap\"\nprogram = [".into()),
        &["preview"],
        "deploy.toml",
    ),
    case(
        "unknown deploy.toml key",
        |d| edit(d, "deploy.toml", |t| format!("{t}parallelism = 4\n")),
        &["preview"],
        "unknown field `parallelism`",
    ),
    case(
        "deploy.toml without a name",
        |d| edit(d, "deploy.toml", |t| t.replace("name = \"tap\"", "")),
        &["preview"],
        "missing field `name`",
    ),
    case(
        "project name with spaces",
        |d| edit(d, "deploy.toml", |t| t.replace("name = \"tap\"", "name = \"my app\"")),
        &["preview"],
        "project name",
    ),
    case(
        "parallel = 0 in deploy.toml",
        |d| edit(d, "deploy.toml", |t| format!("{t}parallel = 0\n")),
        &["preview"],
        "parallel must be at least 1",
    ),
    case(
        "unsupported backend",
        |d| edit(d, "deploy.toml", |t| t.replace("file://state", "gs://bucket")),
        &["preview"],
        "backend `gs://bucket` is not usable: use file://<dir>",
    ),
    case(
        "S3 backend with an invalid bucket name",
        |_| {},
        &["--backend", "s3://Bad_Bucket/team", "preview"],
        "bucket name must be 3-63 lowercase letters",
    ),
    case(
        "unknown program",
        |d| edit(d, "deploy.toml", |t| t.replace("blue-green", "purple")),
        &["preview"],
        "unknown program `purple`",
    ),
    case("no deploy.toml", |d| std::fs::remove_file(d.join("deploy.toml")).unwrap(), &["preview"], "no deploy.toml"),
    // Stack file.
    case("malformed stack TOML", |d| edit(d, "stacks/dev.toml", |t| format!("{t}[config\n")), &["preview"], "dev.toml"),
    case(
        "unknown top-level stack key",
        |d| edit(d, "stacks/dev.toml", |t| format!("confg = 1\n{t}")),
        &["preview"],
        "unknown top-level key `confg`",
    ),
    case("config key without namespace", |d| set(d, "region", "\"us-east-1\""), &["preview"], "must be namespaced"),
    case(
        "config sub-table",
        |d| edit(d, "stacks/dev.toml", |t| format!("{t}[config.\"tap:nested\"]\na = 1\n")),
        &["preview"],
        "inline value",
    ),
    case("typo in a config key", |d| set(d, "tap:desiredCont", "2"), &["preview"], "did you mean `tap:desiredCount`"),
    // Config values.
    case("malformed CIDR", |d| set(d, "tap:vpcCidr", "\"10.0.0/16\""), &["preview"], "tap:vpcCidr"),
    case("CIDR with host bits", |d| set(d, "tap:vpcCidr", "\"10.0.1.0/16\""), &["preview"], "host bits"),
    case("CIDR too small", |d| set(d, "tap:vpcCidr", "\"10.0.0.0/28\""), &["preview"], "room for six subnets"),
    case("port zero", |d| set(d, "tap:containerPort", "0"), &["preview"], "tap:containerPort"),
    case("port as words", |d| set(d, "tap:containerPort", "\"eighty\""), &["preview"], "expected an integer"),
    case("weights not summing to 100", |d| set(d, "tap:greenWeight", "10"), &["preview"], "must sum to 100"),
    case("weight above 100", |d| set(d, "tap:blueWeight", "120"), &["preview"], "tap:blueWeight"),
    case("negative weight", |d| set(d, "tap:greenWeight", "-5"), &["preview"], "tap:greenWeight"),
    case("min capacity above max", |d| set(d, "tap:minCapacity", "9"), &["preview"], "tap:minCapacity"),
    case("desired count outside min..max", |d| set(d, "tap:desiredCount", "7"), &["preview"], "tap:desiredCount"),
    case(
        "Fargate memory not allowed",
        |d| set(d, "tap:memory", "3000"),
        &["preview"],
        "Fargate does not run 256 CPU with 3000 MiB",
    ),
    case("Fargate CPU not allowed", |d| set(d, "tap:cpu", "300"), &["preview"], "Fargate has no 300 CPU size"),
    case(
        "suffix too long for a target group",
        |d| set(d, "tap:environmentSuffix", "\"feature-branch-with-a-long-name\""),
        &["preview"],
        "tap:environmentSuffix",
    ),
    case("database name with a dash", |d| set(d, "tap:dbName", "\"app-db\""), &["preview"], "tap:dbName"),
    case(
        "database user starting with a digit",
        |d| set(d, "tap:dbUsername", "\"1admin\""),
        &["preview"],
        "tap:dbUsername",
    ),
    case(
        "alert email without a domain",
        |d| set(d, "tap:alertEmail", "\"ops@\""),
        &["preview"],
        "not an email address",
    ),
    case("tags not a table", |d| set(d, "tap:tags", "\"Team=payments\""), &["preview"], "tap:tags"),
    case("database capacity inverted", |d| set(d, "tap:dbMinCapacity", "8"), &["preview"], "tap:dbMinCapacity"),
    case("region name malformed", |d| set(d, "aws:region", "\"useast1\""), &["preview"], "not an AWS region name"),
    case(
        "boolean as a string",
        |d| set(d, "tap:deletionProtection", "\"maybe\""),
        &["preview"],
        "expected true or false",
    ),
    case("empty image", |d| set(d, "tap:containerImage", "\" \""), &["preview"], "tap:containerImage"),
    // State file.
    case(
        "truncated state",
        |d| edit(d, "state/dev.json", |t| t[..t.len() / 3].to_string()),
        &["up", "--yes"],
        "damaged",
    ),
    case(
        "duplicate URN in state",
        |d| {
            state_json(d, |v| {
                let r = resources(v);
                let dup = r[3].clone();
                r.push(dup);
            })
        },
        &["up", "--yes"],
        "duplicate resource URN",
    ),
    case(
        "dangling parent in state",
        |d| state_json(d, |v| resources(v)[2]["parent"] = "urn:pulumi:dev::tap::tap:x:Gone::gone".into()),
        &["preview"],
        "not recorded before it",
    ),
    case(
        "dangling provider in state",
        |d| {
            state_json(d, |v| {
                let r = resources(v);
                let i = r.iter().position(|x| x["type"] == "aws:ec2/vpc:Vpc").unwrap();
                r[i]["provider"] = "urn:pulumi:dev::tap::pulumi:providers:aws::nope::0000".into();
            })
        },
        &["preview"],
        "uses provider",
    ),
    case("unknown state version", |d| state_json(d, |v| v["version"] = 4.into()), &["preview"], "version 4"),
    case(
        "state of another stack",
        |d| state_json(d, |v| v["checkpoint"]["stack"] = "prod".into()),
        &["preview"],
        "records stack `prod`",
    ),
    case(
        "custom resource without id",
        |d| {
            state_json(d, |v| {
                let r = resources(v);
                let i = r.iter().position(|x| x["type"] == "aws:ec2/vpc:Vpc").unwrap();
                r[i].as_object_mut().unwrap().remove("id");
            })
        },
        &["preview"],
        "has no id",
    ),
    case(
        "journal damaged mid-file",
        |d| {
            std::fs::write(d.join("state/dev.journal"), "{\"kind\":\"abandon\",\"urn\":\"urn:pulumi:dev::tap::a:b:C::x\"}\nnot json\n{\"kind\":\"abandon\",\"urn\":\"urn:pulumi:dev::tap::a:b:C::x\"}\n").unwrap()
        },
        &["preview"],
        "journal",
    ),
    // Flags and names.
    case("unknown stack", nothing, &["--stack", "staging", "preview"], "stack `staging` does not exist"),
    case("stack name with a path", nothing, &["--stack", "../etc/passwd", "preview"], "not a valid stack name"),
    case("--parallel 0", nothing, &["up", "--yes", "--parallel", "0"], "--parallel must be at least 1"),
    case(
        "--target naming no resource",
        nothing,
        &["preview", "--target", "vpcc"],
        "--target vpcc: no resource of the program is named that",
    ),
    case(
        "--target naming nothing",
        nothing,
        &["up", "--yes", "--target", "urn:pulumi:dev::tap::aws:ec2/vpc:Vpc::nope"],
        "matches no resource",
    ),
    case(
        "up with changes, without --yes and without a terminal",
        |d| {
            set(d, "tap:blueWeight", "90");
            set(d, "tap:greenWeight", "10");
        },
        &["up"],
        "pass --yes",
    ),
    case("destroy without --yes and without a terminal", nothing, &["destroy"], "pass --yes"),
    case("shift steps going down", nothing, &["shift", "--to", "green", "--steps", "50,10"], "--steps"),
    case(
        "shift interval without a unit we know",
        nothing,
        &["shift", "--to", "green", "--interval", "5h"],
        "--interval",
    ),
    case(
        "import of a file that is not JSON",
        |d| std::fs::write(d.join("x.json"), "nope").unwrap(),
        &["stack", "import", "x.json"],
        "is not JSON",
    ),
    case(
        "import of a version 2 deployment",
        |d| std::fs::write(d.join("x.json"), "{\"version\":2,\"deployment\":{}}").unwrap(),
        &["stack", "import", "x.json"],
        "is a version 2 deployment",
    ),
    case(
        "import of a deployment with a duplicate URN",
        |d| {
            let mut v: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(d.join("state/dev.json")).unwrap()).unwrap();
            let mut dep = v["checkpoint"]["latest"].take();
            let r = dep["resources"].as_array_mut().unwrap();
            let dup = r[1].clone();
            r.push(dup);
            std::fs::write(d.join("x.json"), serde_json::json!({"version": 3, "deployment": dep}).to_string()).unwrap()
        },
        &["stack", "import", "x.json"],
        "duplicate resource URN",
    ),
    case("config get of an unset key", nothing, &["config", "get", "tap:nothing"], "is not set"),
    // Locks.
    case(
        "stale lock",
        |d| {
            std::fs::write(
                d.join("state/dev.lock"),
                r#"{"pid":4194301,"host":"gone","started":"2026-01-01T00:00:00Z","command":"up"}"#,
            )
            .unwrap()
        },
        &["up", "--yes"],
        "tapctl cancel",
    ),
    // Secrets.
    case(
        "secret config without a passphrase",
        |d| {
            edit(d, "stacks/dev.toml", |t| {
                format!(
                    "encryptionsalt = \"v1:fozI5u6B030=:v1:F+6ZduKKd8G0/V7L:PGMFeIzwobWRKmEAzUdaQHqC5mMRIQ==\"\n{t}"
                )
            })
        },
        &["preview"],
        "TAPCTL_CONFIG_PASSPHRASE",
    ),
    Case {
        name: "wrong passphrase",
        setup: |d| {
            edit(d, "stacks/dev.toml", |t| {
                format!(
                    "encryptionsalt = \"v1:fozI5u6B030=:v1:F+6ZduKKd8G0/V7L:PGMFeIzwobWRKmEAzUdaQHqC5mMRIQ==\"\n{t}"
                )
            })
        },
        args: &["preview"],
        env: &[("TAPCTL_CONFIG_PASSPHRASE", "not-the-password")],
        says: "incorrect passphrase",
    },
    Case {
        name: "malformed encryption salt",
        setup: |d| edit(d, "stacks/dev.toml", |t| format!("encryptionsalt = \"v1:x\"\n{t}")),
        args: &["preview"],
        env: &[("TAPCTL_CONFIG_PASSPHRASE", "any")],
        says: "salt",
    },
    case(
        "--secret without a passphrase",
        nothing,
        &["config", "set", "tap:alertEmail", "a@b.co", "--secret"],
        "needs a passphrase",
    ),
];

/// The banking portal's config mistakes: each refused before any cloud
/// call, naming the key to fix.
const BANKING_CASES: &[Case] = &[
    case("scaling sizes", |d| set(d, "tap:desiredCapacity", "7"), &["preview"], "tap:desiredCapacity"),
    case(
        "scale-down threshold above scale-up",
        |d| set(d, "tap:scaleDownCpuPercent", "80"),
        &["preview"],
        "tap:scaleDownCpuPercent",
    ),
    case("backup window malformed", |d| set(d, "tap:dbBackupWindow", "\"3-4\""), &["preview"], "tap:dbBackupWindow"),
    case(
        "maintenance window overlapping the backups",
        |d| set(d, "tap:dbMaintenanceWindow", "\"tue:03:30-tue:04:30\""),
        &["preview"],
        "overlaps the daily backup window",
    ),
    case(
        "backup retention below a week",
        |d| set(d, "tap:dbBackupRetentionDays", "1"),
        &["preview"],
        "tap:dbBackupRetentionDays",
    ),
    case(
        "unknown price class",
        |d| set(d, "tap:cdnPriceClass", "\"PriceClass_50\""),
        &["preview"],
        "tap:cdnPriceClass",
    ),
    case(
        "log retention CloudWatch lacks",
        |d| set(d, "tap:logRetentionDays", "10"),
        &["preview"],
        "tap:logRetentionDays",
    ),
    case("account id malformed", |d| set(d, "tap:accountId", "\"12345\""), &["preview"], "tap:accountId"),
    case("AWS Config switch as a word", |d| set(d, "tap:awsConfig", "\"yes\""), &["preview"], "expected true or false"),
];

#[test]
fn every_bad_input_fails_clearly_and_leaves_state_untouched() {
    assert!(CASES.len() >= 40, "{} cases", CASES.len());
    run_cases(base(), CASES);
}

#[test]
fn every_bad_banking_input_fails_clearly_and_leaves_state_untouched() {
    run_cases(banking_base(), BANKING_CASES);
}

/// Runs each case on a copy of `base`: a non-zero exit, one error line
/// naming the problem, the state file as the setup left it.
fn run_cases(base: &Path, cases: &[Case]) {
    let mut failures = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(base, dir.path());
        let state_before = std::fs::read(dir.path().join("state/dev.json")).unwrap();
        (c.setup)(dir.path());
        let state_after_setup = std::fs::read(dir.path().join("state/dev.json")).unwrap();
        let mut cmd = tapctl(dir.path());
        cmd.args(c.args);
        for (k, v) in c.env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
        let state_now = std::fs::read(dir.path().join("state/dev.json")).unwrap();
        let problem = if out.status.success() {
            Some("exited 0".to_string())
        } else if !stderr.contains(c.says) {
            Some(format!("stderr lacks `{}`: {stderr}", c.says))
        } else if lines.len() != 1 && !c.args.contains(&"--no-such-flag") {
            Some(format!("expected one error line, got {}: {stderr}", lines.len()))
        } else if state_now != state_after_setup {
            Some("the state file changed".to_string())
        } else {
            None
        };
        let _ = state_before;
        if let Some(p) = problem {
            failures.push(format!("#{i} {}: {p}", c.name));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

#[test]
fn unknown_flags_are_usage_errors() {
    let out = tapctl(base()).args(["preview", "--no-such-flag"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--no-such-flag"));
}

#[test]
fn a_journal_cut_mid_record_is_recovered_to_the_last_complete_record() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(base(), dir.path());
    std::fs::write(dir.path().join("state/dev.journal"), "{\"kind\":\"remove\",\"urn\":\"urn:pul").unwrap();
    let out = tapctl(dir.path()).args(["up", "--yes"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unfinished entry was dropped"));
    assert_eq!(std::fs::read_to_string(dir.path().join("state/dev.journal")).unwrap(), "");
}

/// The ha-web project (seed 004), up once on the in-memory cloud with a
/// passphrase (its secret is encrypted in state), shared read-only.
fn ha_web_base() -> &'static Path {
    static BASE: OnceLock<PathBuf> = OnceLock::new();
    BASE.get_or_init(|| {
        let dir = crate::common::project_from("projects/ha-web").keep();
        tapctl(&dir).env("TAPCTL_CONFIG_PASSPHRASE", HA_WEB_PASSPHRASE).args(["up", "--yes"]).assert().success();
        dir
    })
}

const HA_WEB_PASSPHRASE: &str = "ha-web bad input";

/// A config mistake of ha-web: the key and its TOML value (`None` removes
/// the key), extra environment, and what the error must say.
struct HaWebCase {
    key: &'static str,
    value: Option<&'static str>,
    env: &'static [(&'static str, &'static str)],
    says: &'static [&'static str],
}

const fn ha(key: &'static str, value: &'static str, says: &'static [&'static str]) -> HaWebCase {
    HaWebCase { key, value: Some(value), env: &[], says }
}

const HA_WEB_CASES: &[HaWebCase] = &[
    ha("tap:minSize", "5", &["tap:minSize", "tap:maxSize"]),
    ha("tap:desiredCapacity", "9", &["tap:desiredCapacity", "2..4"]),
    ha("tap:maxSize", "0", &["tap:maxSize", "at least 1"]),
    ha("tap:vpcCidr", "\"10.40.0.0/26\"", &["tap:vpcCidr", "/16 to /24"]),
    ha("tap:vpcCidr", "\"10.40.0.0\"", &["tap:vpcCidr", "not a CIDR block"]),
    ha("tap:logRetentionDays", "10", &["tap:logRetentionDays", "14"]),
    ha("tap:environmentSuffix", "\"Feature_X\"", &["tap:environmentSuffix", "lowercase"]),
    ha("tap:environmentSuffix", "\"a-much-too-long-suffix-name\"", &["tap:environmentSuffix", "32 characters"]),
    ha("tap:instanceType", "\"large\"", &["tap:instanceType", "t3.micro"]),
    ha("tap:amiId", "\"ami-xyz\"", &["tap:amiId", "ami-0123456789abcdef0"]),
    ha("tap:scaleDownCpuPercent", "90", &["tap:scaleDownCpuPercent", "tap:scaleUpCpuPercent"]),
    ha("tap:scalingPolicy", "\"predictive\"", &["tap:scalingPolicy", "cpu-alarms"]),
    ha("tap:secretRecoveryDays", "45", &["tap:secretRecoveryDays", "7 to 30"]),
    ha("tap:availabilityZoneCount", "1", &["tap:availabilityZoneCount", "2 or 3"]),
    ha(
        "tap:certificateArn",
        "\"arn:aws:acm:eu-west-1:123456789012:certificate/0c8a5f0e\"",
        &["tap:certificateArn", "eu-west-1"],
    ),
    ha("tap:accountId", "\"1234\"", &["tap:accountId", "12-digit"]),
    HaWebCase {
        key: "aws:region",
        value: None,
        env: &[("AWS_REGION", "mars-north")],
        says: &["AWS_REGION", "mars-north"],
    },
];

#[test]
fn ha_web_config_mistakes_fail_before_any_cloud_call_naming_the_key() {
    let mut failures = Vec::new();
    for (i, c) in HA_WEB_CASES.iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(ha_web_base(), dir.path());
        edit(dir.path(), "stacks/dev.toml", |t| {
            let kept: Vec<&str> = t.lines().filter(|l| !l.starts_with(&format!("\"{}\"", c.key))).collect();
            match c.value {
                Some(v) => format!("{}\n\"{}\" = {v}\n", kept.join("\n"), c.key),
                None => format!("{}\n", kept.join("\n")),
            }
        });
        let read = |file: &str| std::fs::read(dir.path().join(file)).unwrap();
        let (state, cloud) = (read("state/dev.json"), read("state/dev.memory-cloud.json"));
        let mut cmd = tapctl(dir.path());
        cmd.env("TAPCTL_CONFIG_PASSPHRASE", HA_WEB_PASSPHRASE).args(["up", "--yes"]);
        for (k, v) in c.env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let errors = stderr.lines().filter(|l| l.starts_with("error")).count();
        let problem = if out.status.success() {
            Some("exited 0".to_string())
        } else if let Some(missing) = c.says.iter().find(|s| !stderr.contains(*s)) {
            Some(format!("stderr lacks `{missing}`: {stderr}"))
        } else if errors != 1 {
            Some(format!("expected one error line, got {errors}: {stderr}"))
        } else if read("state/dev.json") != state || read("state/dev.memory-cloud.json") != cloud {
            Some("the state or the cloud changed".to_string())
        } else {
            None
        };
        if let Some(p) = problem {
            failures.push(format!("#{i} {} = {:?}: {p}", c.key, c.value));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), HA_WEB_CASES.len(), failures.join("\n"));
}
