//! Route 53 kinds against moto.
//!
//! moto gaps met here:
//!
//! - every change is `INSYNC` at once (GetChange never answers `PENDING`), so
//!   the wait for propagation returns on its first poll;
//! - a DELETE carrying a `SetIdentifier` removes every record set of the zone
//!   with that identifier, whatever its name and type (AWS deletes exactly
//!   the one set); the weighted test gives the two colours' sets identifiers
//!   that differ, as real programs do, so this does not change its outcome;
//! - a DELETE is refused unless moto's change journal holds a CREATE/UPSERT
//!   with the same TTL and values — the provider always deletes the set as
//!   it reads it back, which satisfies both moto and AWS;
//! - alias targets are not checked (AWS refuses an alias to a name that does
//!   not exist); the alias test points at a record the test creates anyway.

use aws_sdk_route53::types::RrType;
use tapctl::model::{PropertyMap, Value};
use tapctl::provider::URN_TAG;

use super::{out, props, tags, Env, REGION};

const ZONE: &str = "aws:route53/zone:Zone";
const RECORD: &str = "aws:route53/record:Record";

async fn route53(env: &Env) -> aws_sdk_route53::Client {
    aws_sdk_route53::Client::new(&env.moto.sdk_config(REGION).await)
}

fn zone_inputs(comment: &str, tag: &str) -> PropertyMap {
    props(vec![("name", "tap-test.example.com".into()), ("comment", comment.into()), ("tags", tags(&[("Name", tag)]))])
}

#[tokio::test]
async fn zone_lifecycle() {
    let env = Env::start().await;
    let env = &env;
    env.lifecycle(
        ZONE,
        "zone",
        zone_inputs("TAP test zone", "zone"),
        zone_inputs("TAP test zone (renamed)", "zone-2"),
        |created, updated| async move {
            let o = &created.outputs;
            assert_eq!(out(o, "zoneId"), created.id);
            assert!(!created.id.starts_with('/'), "{}", created.id);
            assert_eq!(out(o, "arn"), format!("arn:aws:route53:::hostedzone/{}", created.id));
            assert_eq!(out(o, "name"), "tap-test.example.com");
            assert_eq!(out(o, "comment"), "TAP test zone");
            assert!(!o.contains_key("region"), "Route 53 is global");
            let servers = o["nameServers"].as_array().expect("nameServers");
            assert!(!servers.is_empty());
            assert!(servers.windows(2).all(|w| w[0].as_str() <= w[1].as_str()), "sorted: {servers:?}");
            assert!(o.contains_key("primaryNameServer"), "{o:?}");
            assert_eq!(out(&updated, "comment"), "TAP test zone (renamed)");
            assert_eq!(updated["tags"], tags(&[("Name", "zone-2")]));
            let r53 = route53(env).await;
            let z = r53.get_hosted_zone().id(&created.id).send().await.unwrap();
            let comment = z.hosted_zone().and_then(|z| z.config()).and_then(|c| c.comment());
            assert_eq!(comment, Some("TAP test zone (renamed)"));
            let t = r53
                .list_tags_for_resource()
                .resource_type(aws_sdk_route53::types::TagResourceType::Hostedzone)
                .resource_id(&created.id)
                .send()
                .await
                .unwrap();
            let keys: Vec<&str> = t.resource_tag_set().unwrap().tags().iter().filter_map(|t| t.key()).collect();
            assert!(keys.contains(&URN_TAG) && keys.contains(&"Name"), "{keys:?}");
            // Adoption finds the zone by its URN tag, not another zone of the same name.
            let other = env.given(ZONE, "other", zone_inputs("another zone, same name", "other")).await;
            let found = env.provider.find(&super::ctx(ZONE, "zone"), &zone_inputs("x", "y")).await.unwrap();
            assert_eq!(found.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), vec![created.id.as_str()]);
            env.remove(ZONE, "other", &other).await;
        },
    )
    .await;
}

#[tokio::test]
async fn zone_defaults_its_comment() {
    let env = Env::start().await;
    let zone = env.given(ZONE, "zone", props(vec![("name", "tap-test.example.com".into())])).await;
    assert_eq!(out(&zone.outputs, "comment"), "Managed by Pulumi");
    assert_eq!(zone.outputs["forceDestroy"], Value::Bool(false));
    // The tag that keeps forceDestroy is tapctl's, not the user's.
    assert!(!zone.outputs["tagsAll"].as_object().unwrap().contains_key("tapctl:force-destroy"));
    env.remove(ZONE, "zone", &zone).await;
}

/// forceDestroy (kept in tapctl's tag, switched on in place) deletes the
/// records the zone still holds, here one made outside the program.
#[tokio::test]
async fn zone_with_force_destroy_deletes_its_records() {
    let env = Env::start().await;
    let p = env.provider.as_ref();
    let c = super::ctx(ZONE, "zone");
    let plain = props(vec![("name", "tap-test.example.com".into())]);
    let zone = p.create(&c, &plain).await.unwrap();
    let mut forced = plain.clone();
    forced.insert("forceDestroy".into(), true.into());
    assert!(p.diff(ZONE, &plain, &forced).unwrap().replace_keys.is_empty());
    let updated = p.update(&c, &zone.id, &zone.outputs, &forced).await.unwrap();
    assert_eq!(updated["forceDestroy"], Value::Bool(true));
    assert_eq!(p.read(&c, &zone.id).await.unwrap().as_ref(), Some(&updated));
    let r53 = route53(&env).await;
    let set = aws_sdk_route53::types::ResourceRecordSet::builder()
        .name("stray.tap-test.example.com")
        .r#type(RrType::Txt)
        .ttl(60)
        .resource_records(aws_sdk_route53::types::ResourceRecord::builder().value("\"hello\"").build().unwrap())
        .build()
        .unwrap();
    let change = aws_sdk_route53::types::Change::builder()
        .action(aws_sdk_route53::types::ChangeAction::Create)
        .resource_record_set(set)
        .build()
        .unwrap();
    r53.change_resource_record_sets()
        .hosted_zone_id(&zone.id)
        .change_batch(aws_sdk_route53::types::ChangeBatch::builder().changes(change).build().unwrap())
        .send()
        .await
        .unwrap();
    p.delete(&c, &zone.id, &updated).await.expect("a forced delete of a zone with records");
    assert_eq!(p.read(&c, &zone.id).await.unwrap(), None);
}

fn a_record(zone: &str, ttl: i32, ip: &str) -> PropertyMap {
    props(vec![
        ("zoneId", zone.into()),
        ("name", "www".into()),
        ("type", "A".into()),
        ("ttl", ttl.into()),
        ("records", Value::array([ip])),
    ])
}

#[tokio::test]
async fn record_lifecycle() {
    let env = Env::start().await;
    let zone = env.given(ZONE, "zone", props(vec![("name", "tap-test.example.com".into())])).await;
    let zone_id = zone.id.clone();
    let env = &env;
    let (created, _) = env
        .lifecycle(
            RECORD,
            "www",
            a_record(&zone_id, 300, "192.0.2.10"),
            a_record(&zone_id, 60, "192.0.2.20"),
            |created, updated| {
                let zone_id = zone_id.clone();
                async move {
                    let o = &created.outputs;
                    assert_eq!(created.id, format!("{zone_id}_www_A"));
                    assert_eq!(out(o, "name"), "www");
                    assert_eq!(out(o, "fqdn"), "www.tap-test.example.com");
                    assert_eq!(out(o, "zoneId"), zone_id);
                    assert_eq!(o["ttl"], Value::from(300));
                    assert_eq!(o["records"], Value::array(["192.0.2.10"]));
                    assert_eq!(updated["ttl"], Value::from(60));
                    assert_eq!(updated["records"], Value::array(["192.0.2.20"]));
                    // Adoption finds the record by the id its inputs determine.
                    let c = super::ctx(RECORD, "www");
                    let found = env.provider.find(&c, &a_record(&zone_id, 300, "192.0.2.10")).await.unwrap();
                    assert_eq!(found.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), vec![created.id.as_str()]);
                }
            },
        )
        .await;
    // Only the zone's own NS and SOA sets are left: the zone deletes.
    env.remove(ZONE, "zone", &zone).await;
    // A record whose zone is gone is gone too.
    env.provider.delete(&super::ctx(RECORD, "www"), &created.id, &created.outputs).await.expect("delete");
}

fn weighted(zone: &str, colour: &str, weight: i32) -> PropertyMap {
    props(vec![
        ("zoneId", zone.into()),
        ("name", "app.tap-test.example.com".into()),
        ("type", "CNAME".into()),
        ("ttl", 60.into()),
        ("records", Value::array([format!("{colour}.tap-test.example.com")])),
        ("setIdentifier", colour.into()),
        ("weightedRoutingPolicies", Value::Array(vec![Value::object([("weight", weight)])])),
    ])
}

/// A blue-green shift: two weighted sets of one name; moving the weight is
/// an in-place UPSERT that never removes either set.
#[tokio::test]
async fn weighted_records_shift_in_place() {
    let env = Env::start().await;
    let zone = env.given(ZONE, "zone", props(vec![("name", "tap-test.example.com".into())])).await;
    let green = env.given(RECORD, "green", weighted(&zone.id, "green", 0)).await;
    assert_eq!(green.id, format!("{}_app.tap-test.example.com_CNAME_green", zone.id));
    let env = &env;
    let zone_id = zone.id.clone();
    env.lifecycle(
        RECORD,
        "blue",
        weighted(&zone.id, "blue", 100),
        weighted(&zone.id, "blue", 10),
        |created, updated| {
            let zone_id = zone_id.clone();
            async move {
                assert_eq!(created.id, format!("{zone_id}_app.tap-test.example.com_CNAME_blue"));
                assert_eq!(out(&created.outputs, "setIdentifier"), "blue");
                let policy = |o: &PropertyMap| o["weightedRoutingPolicies"].clone();
                assert_eq!(policy(&created.outputs), Value::Array(vec![Value::object([("weight", 100)])]));
                assert_eq!(policy(&updated), Value::Array(vec![Value::object([("weight", 10)])]));
                let sets = route53(env)
                    .await
                    .list_resource_record_sets()
                    .hosted_zone_id(&zone_id)
                    .send()
                    .await
                    .unwrap()
                    .resource_record_sets()
                    .iter()
                    .filter(|r| r.r#type() == &RrType::Cname)
                    .map(|r| (r.set_identifier().unwrap_or_default().to_string(), r.weight()))
                    .collect::<Vec<_>>();
                assert_eq!(sets.len(), 2, "{sets:?}");
                assert!(sets.contains(&("blue".to_string(), Some(10))), "{sets:?}");
                assert!(sets.contains(&("green".to_string(), Some(0))), "{sets:?}");
            }
        },
    )
    .await;
    env.remove(RECORD, "green", &green).await;
    env.remove(ZONE, "zone", &zone).await;
}

fn alias(zone: &str, target: &str, evaluate: bool) -> PropertyMap {
    props(vec![
        ("zoneId", zone.into()),
        ("name", "".into()),
        ("type", "A".into()),
        (
            "aliases",
            Value::Array(vec![Value::object([
                ("name", Value::from(target)),
                ("zoneId", Value::from(zone)),
                ("evaluateTargetHealth", Value::from(evaluate)),
            ])]),
        ),
    ])
}

#[tokio::test]
async fn alias_record_at_the_apex() {
    let env = Env::start().await;
    let zone = env.given(ZONE, "zone", props(vec![("name", "tap-test.example.com".into())])).await;
    let www = env.given(RECORD, "www", a_record(&zone.id, 300, "192.0.2.10")).await;
    let env = &env;
    env.lifecycle(
        RECORD,
        "apex",
        alias(&zone.id, "www.tap-test.example.com", false),
        alias(&zone.id, "www.tap-test.example.com", true),
        |created, updated| async move {
            assert_eq!(out(&created.outputs, "fqdn"), "tap-test.example.com");
            assert!(!created.outputs.contains_key("ttl") && !created.outputs.contains_key("records"));
            let a = created.outputs["aliases"].as_array().unwrap()[0].as_object().unwrap().clone();
            assert_eq!(a["name"], Value::from("www.tap-test.example.com"));
            assert_eq!(a["evaluateTargetHealth"], Value::from(false));
            let a = updated["aliases"].as_array().unwrap()[0].as_object().unwrap().clone();
            assert_eq!(a["evaluateTargetHealth"], Value::from(true));
        },
    )
    .await;
    env.remove(RECORD, "www", &www).await;
    env.remove(ZONE, "zone", &zone).await;
}
