//! RDS kinds against moto.
//!
//! moto gaps met here, and how the tests live with them:
//!
//! - every cluster and instance is `available` at the first describe after
//!   its create call (moto flips `creating` as the create answer is
//!   serialised), so the SDK waiters return at once: waiting is barely
//!   exercised;
//! - moto drops Performance Insights (`EnablePerformanceInsights` and its
//!   retention never come back from DescribeDBInstances), so the instance
//!   test asserts only what moto reports;
//! - moto ignores `CloudwatchLogsExportConfiguration` on ModifyDBCluster, so
//!   the log exports are set at creation and not updated here;
//! - moto 5.2.5's ModifyDBSubnetGroup loses the group (it takes it out of
//!   its table and never puts it back), so the subnet group's in-place
//!   description and subnet changes are not exercised — its lifecycle
//!   updates tags only;
//! - moto has no ResetDBClusterParameterGroup (HTTP 500), so removing a
//!   parameter from a group (which resets it to the family default) is not
//!   exercised — the parameter group's lifecycle changes and adds values;
//! - an encrypted cluster without `kmsKeyId` reports the placeholder
//!   `default_kms_key_id` where AWS reports the `aws/rds` key's ARN;
//! - moto accepts a DB instance's `kmsKeyId` without checking that the key
//!   exists, so the instance test names a key it never created;
//! - the dependency checks AWS enforces (a subnet group or parameter group
//!   in use) are missing, so deletion order is the graph's job, not tested
//!   against moto.

use aws_sdk_rds::Client;
use tapctl::model::{PropertyMap, Value};
use tapctl::provider::{Created, URN_TAG};

use super::{ctx, out, props, tags, Env, REGION};

const VPC: &str = "aws:ec2/vpc:Vpc";
const SUBNET: &str = "aws:ec2/subnet:Subnet";
const SG: &str = "aws:ec2/securityGroup:SecurityGroup";
const SUBNET_GROUP: &str = "aws:rds/subnetGroup:SubnetGroup";
const PARAMETER_GROUP: &str = "aws:rds/clusterParameterGroup:ClusterParameterGroup";
const CLUSTER: &str = "aws:rds/cluster:Cluster";
const INSTANCE: &str = "aws:rds/clusterInstance:ClusterInstance";

/// What moto puts in the secret it generates for a managed master password:
/// it must never reach an output.
const MOTO_MASTER_PASSWORD: &str = "P@55w0rd!";

async fn rds(env: &Env) -> Client {
    Client::new(&env.moto.sdk_config(REGION).await)
}

/// A VPC with a subnet in each of three zones and a database security group.
struct Network {
    subnets: Vec<Created>,
    sg: Created,
}

async fn network(env: &Env) -> Network {
    let vpc = env.given(VPC, "vpc", props(vec![("cidrBlock", "10.20.0.0/16".into())])).await;
    let mut subnets = Vec::new();
    for (i, zone) in ["a", "b", "c"].iter().enumerate() {
        let inputs = props(vec![
            ("vpcId", vpc.id.as_str().into()),
            ("cidrBlock", format!("10.20.{}.0/24", 10 + i).into()),
            ("availabilityZone", format!("us-east-1{zone}").into()),
        ]);
        subnets.push(env.given(SUBNET, &format!("private-{zone}"), inputs).await);
    }
    let sg = env
        .given(
            SG,
            "db-sg",
            props(vec![
                ("name", "tap-dev-db-sg".into()),
                ("description", "db".into()),
                ("vpcId", vpc.id.as_str().into()),
            ]),
        )
        .await;
    Network { subnets, sg }
}

fn ids(created: &[Created]) -> Value {
    Value::Array(created.iter().map(|c| Value::from(c.id.as_str())).collect())
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

async fn subnet_group(env: &Env, net: &Network) -> Created {
    env.given(
        SUBNET_GROUP,
        "db-subnet-group",
        props(vec![("name", "tap-dev-db-subnets".into()), ("subnetIds", ids(&net.subnets))]),
    )
    .await
}

/// The flagship's cluster inputs (`src/components/database.rs`), dev profile.
fn cluster_inputs(subnet_group: &str, sg: &str, backup_days: i32, max_acu: f64, tag: &str) -> PropertyMap {
    props(vec![
        ("clusterIdentifier", "tap-dev-aurora".into()),
        ("engine", "aurora-postgresql".into()),
        ("engineMode", "provisioned".into()),
        ("engineVersion", "15.4".into()),
        ("databaseName", "app".into()),
        ("masterUsername", "dbadmin".into()),
        ("manageMasterUserPassword", true.into()),
        ("dbSubnetGroupName", subnet_group.into()),
        ("vpcSecurityGroupIds", Value::array([sg])),
        ("storageEncrypted", true.into()),
        ("backupRetentionPeriod", backup_days.into()),
        ("preferredBackupWindow", "03:00-04:00".into()),
        ("preferredMaintenanceWindow", "sun:04:30-sun:05:30".into()),
        ("copyTagsToSnapshot", true.into()),
        ("deletionProtection", false.into()),
        ("enabledCloudwatchLogsExports", Value::array(["postgresql"])),
        ("serverlessv2ScalingConfiguration", Value::object([("minCapacity", 0.5), ("maxCapacity", max_acu)])),
        ("skipFinalSnapshot", true.into()),
        ("tags", tags(&[("Name", tag), ("Environment", "dev")])),
    ])
}

/// No output anywhere holds the master password.
fn assert_no_password(outputs: &PropertyMap) {
    assert!(!outputs.contains_key("masterPassword"), "{outputs:?}");
    for (k, v) in outputs {
        assert!(!v.mentions(MOTO_MASTER_PASSWORD), "output {k} holds the master password");
        assert!(!v.contains_secret(), "output {k} holds a secret value");
    }
}

#[tokio::test]
async fn subnet_group_lifecycle() {
    let env = Env::start().await;
    let net = &network(&env).await;
    let inputs = |subnets: &[Created], description: &str, tag: &str| {
        props(vec![
            ("name", "tap-dev-db-subnets".into()),
            ("description", description.into()),
            ("subnetIds", ids(subnets)),
            ("tags", tags(&[("Name", tag)])),
        ])
    };
    let create = inputs(&net.subnets[..2], "Private subnets for the dev database", "a");
    // Tags only: see the module docs for moto's ModifyDBSubnetGroup.
    let update = inputs(&net.subnets[..2], "Private subnets for the dev database", "b");
    let env = &env;
    env.lifecycle(SUBNET_GROUP, "db-subnet-group", create, update, |created, updated| async move {
        let o = &created.outputs;
        assert_eq!(created.id, "tap-dev-db-subnets");
        assert_eq!(out(o, "arn"), "arn:aws:rds:us-east-1:123456789012:subgrp:tap-dev-db-subnets");
        assert_eq!(out(o, "description"), "Private subnets for the dev database");
        assert_eq!(out(o, "vpcId"), out(&net.sg.outputs, "vpcId"));
        let want: Vec<String> = net.subnets[..2].iter().map(|s| s.id.clone()).collect();
        assert_eq!(o["subnetIds"], Value::Array(sorted(want).into_iter().map(Value::String).collect()));
        assert_eq!(updated["tags"], tags(&[("Name", "b")]));
        let client = rds(env).await;
        let arn = out(o, "arn");
        let cloud = client.list_tags_for_resource().resource_name(arn).send().await.unwrap();
        let urn = ctx(SUBNET_GROUP, "db-subnet-group").urn.to_string();
        let mut cloud: Vec<(String, String)> =
            cloud.tag_list().iter().map(|t| (t.key().unwrap().to_string(), t.value().unwrap().to_string())).collect();
        cloud.sort();
        assert_eq!(cloud, vec![("Name".to_string(), "b".to_string()), (URN_TAG.to_string(), urn)]);
    })
    .await;
}

#[tokio::test]
async fn cluster_parameter_group_lifecycle() {
    let env = Env::start().await;
    let client = &rds(&env).await;
    let inputs = |params: Value, tag: &str| {
        props(vec![
            ("name", "tap-dev-aurora-pg15".into()),
            ("family", "aurora-postgresql15".into()),
            ("description", "Aurora PostgreSQL 15: TLS only, slow statements logged".into()),
            ("parameters", params),
            ("tags", tags(&[("Name", tag)])),
        ])
    };
    let param = |name: &str, value: &str| Value::object([("name", name), ("value", value)]);
    let create = inputs(Value::array([param("rds.force_ssl", "1"), param("log_min_duration_statement", "1000")]), "a");
    // One value changes, one parameter is new (removing one needs the reset
    // moto lacks: see the module docs).
    let update = inputs(
        Value::array([
            param("rds.force_ssl", "0"),
            param("log_min_duration_statement", "1000"),
            param("log_connections", "1"),
        ]),
        "b",
    );
    env.lifecycle(PARAMETER_GROUP, "cluster-parameters", create, update, |created, updated| async move {
        let o = &created.outputs;
        assert_eq!(created.id, "tap-dev-aurora-pg15");
        assert_eq!(out(o, "family"), "aurora-postgresql15");
        assert_eq!(out(o, "arn"), "arn:aws:rds:us-east-1:123456789012:cluster-pg:tap-dev-aurora-pg15");
        let entry =
            |name: &str, value: &str| Value::object([("name", name), ("value", value), ("applyMethod", "immediate")]);
        // Sorted by name, pulumi-aws's `applyMethod` default filled in.
        assert_eq!(
            o["parameters"],
            Value::array([entry("log_min_duration_statement", "1000"), entry("rds.force_ssl", "1")])
        );
        assert_eq!(
            updated["parameters"],
            Value::array([
                entry("log_connections", "1"),
                entry("log_min_duration_statement", "1000"),
                entry("rds.force_ssl", "0")
            ])
        );
        let user = client
            .describe_db_cluster_parameters()
            .db_cluster_parameter_group_name("tap-dev-aurora-pg15")
            .source("user")
            .send()
            .await
            .unwrap();
        let set: Vec<(&str, &str)> =
            user.parameters().iter().filter_map(|p| Some((p.parameter_name()?, p.parameter_value()?))).collect();
        assert!(set.contains(&("rds.force_ssl", "0")) && set.contains(&("log_connections", "1")), "{set:?}");
    })
    .await;
}

#[tokio::test]
async fn cluster_lifecycle_keeps_the_password_out_and_takes_the_final_snapshot() {
    let env = Env::start().await;
    let client = &rds(&env).await;
    let net = network(&env).await;
    let group = subnet_group(&env, &net).await;
    let create = cluster_inputs(&group.id, &net.sg.id, 7, 2.0, "a");
    // The update also switches to keeping a final snapshot (prod's choice),
    // which only the delete honours.
    let mut update = cluster_inputs(&group.id, &net.sg.id, 14, 4.0, "b");
    update.insert("skipFinalSnapshot".into(), false.into());
    update.insert("finalSnapshotIdentifier".into(), "tap-dev-aurora-final".into());
    let (created, updated) = env
        .lifecycle(CLUSTER, "aurora-cluster", create, update, |created, updated| async move {
            let o = &created.outputs;
            assert_eq!(created.id, "tap-dev-aurora");
            assert_eq!(out(o, "arn"), "arn:aws:rds:us-east-1:123456789012:cluster:tap-dev-aurora");
            assert_eq!(out(o, "engine"), "aurora-postgresql");
            assert_eq!(out(o, "engineVersion"), "15.4");
            assert_eq!(out(o, "databaseName"), "app");
            assert_eq!(out(o, "masterUsername"), "dbadmin");
            assert_eq!(out(o, "dbSubnetGroupName"), "tap-dev-db-subnets");
            assert_eq!(o["vpcSecurityGroupIds"], Value::array([net.sg.id.as_str()]));
            assert_eq!(o["storageEncrypted"], Value::Bool(true));
            assert_eq!(o["backupRetentionPeriod"], Value::from(7));
            assert_eq!(o["enabledCloudwatchLogsExports"], Value::array(["postgresql"]));
            assert_eq!(
                o["serverlessv2ScalingConfiguration"],
                Value::object([("minCapacity", 0.5), ("maxCapacity", 2.0)])
            );
            assert!(out(o, "endpoint").starts_with("tap-dev-aurora.cluster-"));
            assert!(out(o, "readerEndpoint").starts_with("tap-dev-aurora.cluster-ro-"));
            assert!(out(o, "clusterResourceId").starts_with("cluster-"));
            assert_eq!(o["port"], Value::from(5432));
            assert_eq!(o["skipFinalSnapshot"], Value::Bool(true));
            // AWS manages the password: outputs carry where it is, never what it is.
            assert_eq!(o["manageMasterUserPassword"], Value::Bool(true));
            let secret =
                o["masterUserSecrets"].as_array().expect("masterUserSecrets")[0].as_object().expect("a secret");
            assert!(secret["secretArn"]
                .as_str()
                .unwrap()
                .starts_with("arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-"));
            assert_eq!(secret["secretStatus"], Value::from("active"));
            assert!(secret["kmsKeyId"].as_str().unwrap().starts_with("arn:aws:kms:"));
            assert_no_password(o);
            assert_no_password(&updated);
            // The tapctl tag holding the delete-time choice is not a user tag.
            assert_eq!(o["tagsAll"].as_object().unwrap().len(), 3, "{:?}", o["tagsAll"]);

            // The update reached RDS.
            assert_eq!(updated["backupRetentionPeriod"], Value::from(14));
            assert_eq!(
                updated["serverlessv2ScalingConfiguration"],
                Value::object([("minCapacity", 0.5), ("maxCapacity", 4.0)])
            );
            assert_eq!(updated["skipFinalSnapshot"], Value::Bool(false));
            assert_eq!(out(&updated, "finalSnapshotIdentifier"), "tap-dev-aurora-final");
            let c = client.describe_db_clusters().db_cluster_identifier("tap-dev-aurora").send().await.unwrap();
            let c = &c.db_clusters()[0];
            assert_eq!(c.backup_retention_period(), Some(14));
            assert_eq!(c.serverless_v2_scaling_configuration().and_then(|s| s.max_capacity()), Some(4.0));
            let urn = ctx(CLUSTER, "aurora-cluster").urn.to_string();
            assert!(c.tag_list().iter().any(|t| t.key() == Some(URN_TAG) && t.value() == Some(urn.as_str())));
            assert!(c
                .tag_list()
                .iter()
                .any(|t| t.key() == Some("tapctl:final-snapshot") && t.value() == Some("tap-dev-aurora-final")));
        })
        .await;
    assert_eq!(created.id, out(&updated, "id"));
    // The delete took the final snapshot the update asked for.
    let snapshots =
        client.describe_db_cluster_snapshots().db_cluster_snapshot_identifier("tap-dev-aurora-final").send().await;
    let snapshots = snapshots.expect("the final snapshot");
    assert_eq!(snapshots.db_cluster_snapshots().len(), 1);
    env.remove(SUBNET_GROUP, "db-subnet-group", &group).await;
}

#[tokio::test]
async fn cluster_with_deletion_protection_says_how_to_delete_it() {
    let env = Env::start().await;
    let net = network(&env).await;
    let group = subnet_group(&env, &net).await;
    let p = env.provider.as_ref();
    let c = ctx(CLUSTER, "protected");
    let mut inputs = cluster_inputs(&group.id, &net.sg.id, 7, 2.0, "a");
    inputs.insert("deletionProtection".into(), true.into());
    let cluster = env.given(CLUSTER, "protected", inputs.clone()).await;
    let err = p.delete(&c, &cluster.id, &cluster.outputs).await.expect_err("a protected cluster");
    assert!(err.message.contains("deletionProtection = false"), "{err}");
    inputs.insert("deletionProtection".into(), false.into());
    let updated = p.update(&c, &cluster.id, &cluster.outputs, &inputs).await.expect("lifting the protection");
    assert_eq!(updated["deletionProtection"], Value::Bool(false));
    p.delete(&c, &cluster.id, &updated).await.expect("delete");
    assert_eq!(p.read(&c, &cluster.id).await.unwrap(), None);
}

#[tokio::test]
async fn cluster_instance_lifecycle() {
    let env = Env::start().await;
    let client = &rds(&env).await;
    let net = network(&env).await;
    let group = subnet_group(&env, &net).await;
    let cluster = env.given(CLUSTER, "aurora-cluster", cluster_inputs(&group.id, &net.sg.id, 7, 2.0, "c")).await;
    let inputs = |tier: i32, tag: &str| {
        props(vec![
            ("identifier", "tap-dev-aurora-1".into()),
            ("clusterIdentifier", cluster.id.as_str().into()),
            ("instanceClass", "db.serverless".into()),
            ("engine", "aurora-postgresql".into()),
            ("engineVersion", "15.4".into()),
            ("publiclyAccessible", false.into()),
            ("performanceInsightsEnabled", false.into()),
            ("monitoringInterval", 0.into()),
            ("promotionTier", tier.into()),
            ("tags", tags(&[("Name", tag)])),
        ])
    };
    env.lifecycle(INSTANCE, "aurora-instance-1", inputs(1, "a"), inputs(2, "b"), |created, updated| async move {
        let o = &created.outputs;
        assert_eq!(created.id, "tap-dev-aurora-1");
        assert_eq!(out(o, "arn"), "arn:aws:rds:us-east-1:123456789012:db:tap-dev-aurora-1");
        assert_eq!(out(o, "clusterIdentifier"), "tap-dev-aurora");
        assert_eq!(out(o, "instanceClass"), "db.serverless");
        assert_eq!(out(o, "engine"), "aurora-postgresql");
        assert_eq!(o["publiclyAccessible"], Value::Bool(false));
        assert!(out(o, "endpoint").starts_with("tap-dev-aurora-1."));
        assert_eq!(o["port"], Value::from(5432));
        assert!(out(o, "dbiResourceId").starts_with("db-"));
        assert_eq!(o["promotionTier"], Value::from(1));
        assert_no_password(o);
        assert_eq!(updated["promotionTier"], Value::from(2));
        let d = client.describe_db_instances().db_instance_identifier("tap-dev-aurora-1").send().await.unwrap();
        assert_eq!(d.db_instances()[0].promotion_tier(), Some(2));
        assert_eq!(updated["tags"], tags(&[("Name", "b")]));
    })
    .await;
    env.remove(CLUSTER, "aurora-cluster", &cluster).await;
    env.remove(SUBNET_GROUP, "db-subnet-group", &group).await;
}

const DB_INSTANCE: &str = "aws:rds/instance:Instance";

/// A Multi-AZ MySQL 8.0 instance with encrypted storage under a customer key.
fn db_inputs(subnet_group: &str, sg: &str, class: &str, backup_days: i32, tag: &str) -> PropertyMap {
    props(vec![
        ("identifier", "tap-test-mysql".into()),
        ("engine", "mysql".into()),
        ("engineVersion", "8.0.35".into()),
        ("instanceClass", class.into()),
        ("allocatedStorage", 20.into()),
        ("storageType", "gp3".into()),
        ("storageEncrypted", true.into()),
        ("kmsKeyId", "arn:aws:kms:us-east-1:123456789012:key/0c8a5f0e-1111-2222-3333-444455556666".into()),
        ("dbName", "app".into()),
        ("username", "dbadmin".into()),
        ("manageMasterUserPassword", true.into()),
        ("multiAz", true.into()),
        ("dbSubnetGroupName", subnet_group.into()),
        ("vpcSecurityGroupIds", Value::array([sg])),
        ("backupRetentionPeriod", backup_days.into()),
        ("backupWindow", "03:00-04:00".into()),
        ("maintenanceWindow", "sun:04:30-sun:05:30".into()),
        ("enabledCloudwatchLogsExports", Value::array(["error", "slowquery"])),
        ("skipFinalSnapshot", false.into()),
        ("finalSnapshotIdentifier", "tap-test-mysql-final".into()),
        ("tags", tags(&[("Name", tag)])),
    ])
}

#[tokio::test]
async fn db_instance_lifecycle_takes_its_final_snapshot_and_restores_from_it() {
    let env = Env::start().await;
    let client = &rds(&env).await;
    let net = network(&env).await;
    let group = subnet_group(&env, &net).await;
    let sg = net.sg.id.clone();
    let env = &env;
    env.lifecycle(
        DB_INSTANCE,
        "mysql",
        db_inputs(&group.id, &sg, "db.t3.micro", 7, "a"),
        db_inputs(&group.id, &sg, "db.t3.small", 14, "b"),
        |created, updated| {
            let sg = sg.clone();
            async move {
                let o = &created.outputs;
                assert_eq!(created.id, "tap-test-mysql");
                assert_eq!(out(o, "arn"), "arn:aws:rds:us-east-1:123456789012:db:tap-test-mysql");
                assert_eq!(out(o, "engine"), "mysql");
                assert_eq!(out(o, "instanceClass"), "db.t3.micro");
                assert_eq!(o["multiAz"], Value::Bool(true));
                assert_eq!(o["storageEncrypted"], Value::Bool(true));
                assert!(out(o, "kmsKeyId").ends_with("0c8a5f0e-1111-2222-3333-444455556666"));
                assert_eq!(out(o, "dbSubnetGroupName"), "tap-dev-db-subnets");
                assert_eq!(o["vpcSecurityGroupIds"], Value::array([sg.as_str()]));
                assert_eq!(o["backupRetentionPeriod"], Value::from(7));
                assert_eq!(out(o, "backupWindow"), "03:00-04:00");
                assert_eq!(out(o, "maintenanceWindow"), "sun:04:30-sun:05:30");
                assert_eq!(o["enabledCloudwatchLogsExports"], Value::array(["error", "slowquery"]));
                assert_eq!(out(o, "finalSnapshotIdentifier"), "tap-test-mysql-final");
                assert_eq!(o["skipFinalSnapshot"], Value::Bool(false));
                assert!(out(o, "address").starts_with("tap-test-mysql."), "{}", out(o, "address"));
                assert_eq!(o["manageMasterUserPassword"], Value::Bool(true));
                let secret =
                    o["masterUserSecrets"].as_array().expect("masterUserSecrets")[0].as_object().unwrap().clone();
                assert!(secret["secretArn"].as_str().unwrap().starts_with("arn:aws:secretsmanager:"));
                assert_no_password(o);
                assert_no_password(&updated);
                assert_eq!(out(&updated, "instanceClass"), "db.t3.small");
                assert_eq!(updated["backupRetentionPeriod"], Value::from(14));
                let d = client.describe_db_instances().db_instance_identifier("tap-test-mysql").send().await.unwrap();
                let d = &d.db_instances()[0];
                assert_eq!(d.db_instance_class(), Some("db.t3.small"));
                let urn = ctx(DB_INSTANCE, "mysql").urn.to_string();
                assert!(d.tag_list().iter().any(|t| t.key() == Some(URN_TAG) && t.value() == Some(urn.as_str())));
            }
        },
    )
    .await;
    // The delete took the final snapshot; a new instance restores from it.
    let snapshots = client.describe_db_snapshots().db_snapshot_identifier("tap-test-mysql-final").send().await;
    assert_eq!(snapshots.expect("the final snapshot").db_snapshots().len(), 1);
    let restore = props(vec![
        ("identifier", "tap-test-mysql-restored".into()),
        ("instanceClass", "db.t3.micro".into()),
        ("snapshotIdentifier", "tap-test-mysql-final".into()),
        ("dbSubnetGroupName", group.id.as_str().into()),
        ("vpcSecurityGroupIds", Value::array([net.sg.id.as_str()])),
        ("backupRetentionPeriod", 3.into()),
        ("manageMasterUserPassword", true.into()),
        ("skipFinalSnapshot", true.into()),
    ]);
    let restored = env.given(DB_INSTANCE, "restored", restore).await;
    let o = &restored.outputs;
    assert_eq!(out(o, "engine"), "mysql");
    assert_eq!(o["backupRetentionPeriod"], Value::from(3), "applied after the restore");
    assert_eq!(o["manageMasterUserPassword"], Value::Bool(true));
    assert_no_password(o);
    env.remove(DB_INSTANCE, "restored", &restored).await;
    env.remove(SUBNET_GROUP, "db-subnet-group", &group).await;
}
