//! IAM kinds against moto.
//!
//! moto gaps met here: IAM is strongly consistent in moto, so the
//! eventual-consistency retries (a role or policy not yet visible, an
//! "invalid principal" for a role created moments ago) are not exercised.
//! moto does URL-encode policy documents as AWS does, so the provider's
//! decoding is.

use tapctl::model::{PropertyMap, Value};
use tapctl::provider::{ErrorKind, URN_TAG};

use super::{ctx, out, props, tags, Env, REGION};

const ROLE: &str = "aws:iam/role:Role";
const POLICY: &str = "aws:iam/policy:Policy";
const ROLE_POLICY: &str = "aws:iam/rolePolicy:RolePolicy";
const ATTACHMENT: &str = "aws:iam/rolePolicyAttachment:RolePolicyAttachment";

/// The AWS managed policy the flagship attaches to the task execution role
/// (present because the harness starts moto with MOTO_IAM_LOAD_MANAGED_POLICIES).
const ECS_EXECUTION_POLICY: &str = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";

async fn iam(env: &Env) -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(&env.moto.sdk_config(REGION).await)
}

fn trust(service: &str) -> String {
    format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Principal": {{"Service": "{service}"}}, "Action": "sts:AssumeRole"}}]}}"#
    )
}

fn compact(json: &str) -> String {
    serde_json::from_str::<serde_json::Value>(json).unwrap().to_string()
}

/// The `%XX`-decoded text of a URL-encoded policy document.
pub(super) fn decode(encoded: &str) -> String {
    let mut out = Vec::new();
    let mut bytes = encoded.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hex: String = [bytes.next().unwrap(), bytes.next().unwrap()].iter().map(|&c| c as char).collect();
            out.push(u8::from_str_radix(&hex, 16).unwrap());
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).unwrap()
}

fn allow(action: &str, resource: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"{resource}"}}]}}"#
    )
}

fn role_inputs(name: &str, service: &str, description: &str, tag: &str) -> PropertyMap {
    props(vec![
        ("name", name.into()),
        ("assumeRolePolicy", trust(service).into()),
        ("description", description.into()),
        ("path", "/tap/".into()),
        ("tags", tags(&[("Name", tag), ("Environment", "dev")])),
    ])
}

#[tokio::test]
async fn role_lifecycle() {
    let env = Env::start().await;
    let client = &iam(&env).await;
    let create = role_inputs("tap-dev-task-role", "ecs-tasks.amazonaws.com", "The application's own permissions", "a");
    let update = role_inputs("tap-dev-task-role", "ecs.amazonaws.com", "Changed", "b");
    env.lifecycle(ROLE, "task-role", create, update, |created, updated| async move {
        let o = &created.outputs;
        assert_eq!(created.id, "tap-dev-task-role");
        assert_eq!(out(o, "name"), "tap-dev-task-role");
        assert_eq!(out(o, "arn"), "arn:aws:iam::123456789012:role/tap/tap-dev-task-role");
        assert_eq!(out(o, "path"), "/tap/");
        assert!(out(o, "uniqueId").starts_with("AROA"));
        assert!(out(o, "createDate").ends_with('Z'));
        assert_eq!(out(o, "assumeRolePolicy"), compact(&trust("ecs-tasks.amazonaws.com")));
        assert_eq!(o["maxSessionDuration"], Value::from(3600));
        // IAM is global: no region output.
        assert!(!o.contains_key("region"), "{o:?}");

        // The update reached IAM.
        assert_eq!(out(&updated, "description"), "Changed");
        assert_eq!(out(&updated, "assumeRolePolicy"), compact(&trust("ecs.amazonaws.com")));
        let role = client.get_role().role_name("tap-dev-task-role").send().await.unwrap();
        let role = role.role().unwrap();
        assert_eq!(role.description(), Some("Changed"));
        let mut cloud: Vec<(String, String)> =
            role.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect();
        cloud.sort();
        let urn = ctx(ROLE, "task-role").urn.to_string();
        assert_eq!(
            cloud,
            vec![("Environment".into(), "dev".into()), ("Name".into(), "b".into()), (URN_TAG.to_string(), urn)]
        );
    })
    .await;
}

#[tokio::test]
async fn role_autonamed_and_adopted_after_an_interrupted_create() {
    let env = Env::start().await;
    let p = env.provider.as_ref();
    let inputs = props(vec![("assumeRolePolicy", trust("ecs-tasks.amazonaws.com").into())]);
    let autonamed = env.given(ROLE, "worker-role", inputs).await;
    assert!(
        autonamed.id.starts_with("worker-role-") && autonamed.id.len() == "worker-role-".len() + 8,
        "{}",
        autonamed.id
    );

    // A create whose result never reached the state: the next run finds the
    // role under its name with its own URN tag, and takes it over.
    let named = role_inputs("tap-dev-adopted", "ecs-tasks.amazonaws.com", "first", "a");
    let first = env.given(ROLE, "adopted", named.clone()).await;
    let again = role_inputs("tap-dev-adopted", "ecs-tasks.amazonaws.com", "second", "a");
    let adopted = p.create(&ctx(ROLE, "adopted"), &again).await.expect("adopting the role");
    assert_eq!(adopted.id, first.id);
    assert_eq!(out(&adopted.outputs, "description"), "second");
    // Someone else's role under that name is not taken over.
    let err = p.create(&ctx(ROLE, "other"), &named).await.expect_err("a name taken by another resource");
    assert_eq!(err.code, "EntityAlreadyExists", "{err}");
}

#[tokio::test]
async fn role_deletion_names_what_still_holds_it() {
    let env = Env::start().await;
    let client = iam(&env).await;
    let role = env.given(ROLE, "held", role_inputs("tap-dev-held", "ecs-tasks.amazonaws.com", "held", "a")).await;
    // Attached outside the stack: nothing tapctl manages will detach it.
    client.attach_role_policy().role_name(&role.id).policy_arn(ECS_EXECUTION_POLICY).send().await.unwrap();
    let err = env
        .provider
        .delete(&ctx(ROLE, "held"), &role.id, &role.outputs)
        .await
        .expect_err("a role with an attached policy");
    assert_eq!(err.code, "DeleteConflict");
    assert!(
        err.message.contains(ECS_EXECUTION_POLICY) && err.message.contains("outside this stack"),
        "{}",
        err.message
    );
    client.detach_role_policy().role_name(&role.id).policy_arn(ECS_EXECUTION_POLICY).send().await.unwrap();
    env.remove(ROLE, "held", &role).await;
}

#[tokio::test]
async fn policy_lifecycle_versions_the_document() {
    let env = Env::start().await;
    let client = &iam(&env).await;
    let inputs = |doc: &str, tag: &str| {
        props(vec![
            ("name", "tap-dev-read-secrets".into()),
            ("description", "Read the database secret".into()),
            ("policy", doc.into()),
            ("tags", tags(&[("Name", tag)])),
        ])
    };
    let v1 = allow("secretsmanager:GetSecretValue", "*");
    let v2 = allow("secretsmanager:DescribeSecret", "*");
    let (created, updated) = env
        .lifecycle(POLICY, "read-secrets", inputs(&v1, "a"), inputs(&v2, "b"), |created, updated| async move {
            let arn = &created.id;
            assert_eq!(arn, "arn:aws:iam::123456789012:policy/tap-dev-read-secrets");
            assert_eq!(out(&created.outputs, "arn"), arn);
            assert_eq!(out(&created.outputs, "policy"), compact(&v1));
            assert_eq!(out(&created.outputs, "description"), "Read the database secret");
            assert!(!out(&created.outputs, "policyId").is_empty());
            assert_eq!(out(&updated, "policy"), compact(&v2));
            let versions = client.list_policy_versions().policy_arn(arn).send().await.unwrap();
            assert_eq!(versions.versions().len(), 2);
            assert!(versions.versions().iter().any(|v| v.is_default_version() && v.version_id() == Some("v2")));
            assert_eq!(updated["tags"], tags(&[("Name", "b")]));
        })
        .await;
    assert_eq!(created.id, out(&updated, "id"));
}

#[tokio::test]
async fn policy_updates_beyond_five_versions_prune_the_oldest() {
    let env = Env::start().await;
    let client = iam(&env).await;
    let p = env.provider.as_ref();
    let c = ctx(POLICY, "busy");
    let inputs =
        |n: usize| props(vec![("name", "tap-dev-busy".into()), ("policy", allow(&format!("s3:Get{n}"), "*").into())]);
    let mut outputs = env.given(POLICY, "busy", inputs(0)).await;
    for n in 1..=6 {
        outputs.outputs = p.update(&c, &outputs.id, &outputs.outputs, &inputs(n)).await.expect("update");
    }
    let versions = client.list_policy_versions().policy_arn(&outputs.id).send().await.unwrap();
    assert_eq!(versions.versions().len(), 5, "IAM keeps five versions");
    assert_eq!(out(&outputs.outputs, "policy"), compact(&allow("s3:Get6", "*")));
    env.remove(POLICY, "busy", &outputs).await;
    assert!(client.get_policy().policy_arn(&outputs.id).send().await.is_err(), "deleted with all its versions");
}

#[tokio::test]
async fn role_policy_lifecycle() {
    let env = Env::start().await;
    let client = &iam(&env).await;
    let role = env.given(ROLE, "exec", role_inputs("tap-dev-exec", "ecs-tasks.amazonaws.com", "exec", "a")).await;
    let inputs =
        |doc: &str| props(vec![("name", "scoped".into()), ("role", role.id.as_str().into()), ("policy", doc.into())]);
    let v1 = allow("logs:PutLogEvents", "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/app:*");
    let v2 = allow("logs:CreateLogStream", "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/app:*");
    env.lifecycle(ROLE_POLICY, "exec-policy", inputs(&v1), inputs(&v2), |created, updated| async move {
        assert_eq!(created.id, "tap-dev-exec:scoped");
        assert_eq!(out(&created.outputs, "role"), "tap-dev-exec");
        assert_eq!(out(&created.outputs, "name"), "scoped");
        assert_eq!(out(&created.outputs, "policy"), compact(&v1));
        assert_eq!(out(&updated, "policy"), compact(&v2));
        let got = client.get_role_policy().role_name("tap-dev-exec").policy_name("scoped").send().await.unwrap();
        // AWS (and moto) URL-encode documents; the provider's outputs are decoded.
        assert!(got.policy_document().starts_with("%7B"), "{}", got.policy_document());
        assert_eq!(compact(&decode(got.policy_document())), compact(&v2));
    })
    .await;
    env.remove(ROLE, "exec", &role).await;
}

/// Both inputs of an attachment force a replacement, so there is no
/// in-place update to exercise.
#[tokio::test]
async fn role_policy_attachment_lifecycle() {
    let env = Env::start().await;
    let client = iam(&env).await;
    let p = env.provider.as_ref();
    let role = env.given(ROLE, "exec", role_inputs("tap-dev-exec", "ecs-tasks.amazonaws.com", "exec", "a")).await;
    let c = ctx(ATTACHMENT, "exec-managed");
    let inputs = props(vec![("role", role.id.as_str().into()), ("policyArn", ECS_EXECUTION_POLICY.into())]);
    p.check(ATTACHMENT, &inputs).expect("check");
    let created = p.create(&c, &inputs).await.expect("create");
    assert_eq!(created.id, format!("tap-dev-exec/{ECS_EXECUTION_POLICY}"));
    assert_eq!(out(&created.outputs, "role"), "tap-dev-exec");
    assert_eq!(out(&created.outputs, "policyArn"), ECS_EXECUTION_POLICY);
    assert_eq!(p.read(&c, &created.id).await.unwrap().as_ref(), Some(&created.outputs));
    let attached = client.list_attached_role_policies().role_name("tap-dev-exec").send().await.unwrap();
    assert_eq!(attached.attached_policies().len(), 1);
    // Replacing, not updating, is what a change means.
    let other =
        props(vec![("role", role.id.as_str().into()), ("policyArn", "arn:aws:iam::aws:policy/ReadOnlyAccess".into())]);
    assert_eq!(p.diff(ATTACHMENT, &inputs, &other).unwrap().replace_keys, vec!["policyArn".to_string()]);

    p.delete(&c, &created.id, &created.outputs).await.expect("delete");
    assert_eq!(p.read(&c, &created.id).await.unwrap(), None);
    p.delete(&c, &created.id, &created.outputs).await.expect("second delete");
    // With the attachment gone the role deletes cleanly.
    env.remove(ROLE, "exec", &role).await;
    assert_eq!(p.read(&c, &created.id).await.unwrap(), None, "reading an attachment of a deleted role");
    let err = p.create(&c, &inputs).await.expect_err("attaching to a missing role");
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");
}

const INSTANCE_PROFILE: &str = "aws:iam/instanceProfile:InstanceProfile";

fn profile_inputs(role: &str, tag: &str) -> PropertyMap {
    props(vec![
        ("name", "tap-test-web".into()),
        ("path", "/tap/".into()),
        ("role", role.into()),
        ("tags", tags(&[("Name", tag)])),
    ])
}

/// The profile's role is swapped in place (remove, then add).
#[tokio::test]
async fn instance_profile_lifecycle_swaps_its_role() {
    let env = Env::start().await;
    let a = env.given(ROLE, "web-a", role_inputs("tap-test-web-a", "ec2.amazonaws.com", "a", "a")).await;
    let b = env.given(ROLE, "web-b", role_inputs("tap-test-web-b", "ec2.amazonaws.com", "b", "b")).await;
    let env = &env;
    env.lifecycle(
        INSTANCE_PROFILE,
        "web",
        profile_inputs("tap-test-web-a", "web"),
        profile_inputs("tap-test-web-b", "web-2"),
        |created, updated| async move {
            let o = &created.outputs;
            assert_eq!(created.id, "tap-test-web");
            assert_eq!(out(o, "arn"), "arn:aws:iam::123456789012:instance-profile/tap/tap-test-web");
            assert_eq!(out(o, "path"), "/tap/");
            assert_eq!(out(o, "role"), "tap-test-web-a");
            assert!(o.contains_key("uniqueId") && o.contains_key("createDate"), "{o:?}");
            assert!(!o.contains_key("region"), "IAM is global");
            assert_eq!(out(&updated, "role"), "tap-test-web-b");
            assert_eq!(updated["tags"], tags(&[("Name", "web-2")]));
            let got = iam(env).await.get_instance_profile().instance_profile_name("tap-test-web").send().await.unwrap();
            let profile = got.instance_profile().unwrap();
            let roles: Vec<&str> = profile.roles().iter().map(|r| r.role_name()).collect();
            assert_eq!(roles, ["tap-test-web-b"]);
            assert!(profile.tags().iter().any(|t| t.key() == URN_TAG));
            // Adoption finds the profile by its name.
            let found = env.provider.find(&ctx(INSTANCE_PROFILE, "web"), &profile_inputs("x", "y")).await.unwrap();
            assert_eq!(found.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), vec!["tap-test-web"]);
        },
    )
    .await;
    // The delete removed the role first, so the roles delete too.
    env.remove(ROLE, "web-b", &b).await;
    env.remove(ROLE, "web-a", &a).await;
}
