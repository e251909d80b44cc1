//! Text and JSON renderings of plans, runs and outputs, in Pulumi's shapes.

use serde_json::{json, Map, Value as Json};

use super::progress::StepRecord;
use crate::engine::RunSummary;
use crate::model::{PropertyMap, ROOT_STACK_TYPE};
use crate::plan::{ChangeSummary, Plan, PropertyDiff, StepOp};
use crate::state::StackSummary;

/// One property difference as a line: `~ path: old => new` (secrets masked).
pub fn diff_line(d: &PropertyDiff) -> String {
    match (&d.old, &d.new) {
        (None, Some(n)) => format!("+ {}: {}", d.path, n.display()),
        (Some(o), None) => format!("- {}: {}", d.path, o.display()),
        (Some(o), Some(n)) => format!("~ {}: {} => {}", d.path, o.display(), n.display()),
        (None, None) => format!("  {}", d.path),
    }
}

fn depth(urn: &crate::model::Urn) -> usize {
    if urn.type_token() == ROOT_STACK_TYPE {
        0
    } else {
        urn.qualified_type().matches('$').count() + 1
    }
}

/// The plan as Pulumi prints it: one line per step, then the summary.
pub fn plan_text(plan: &Plan, diff: bool) -> String {
    let mut out = String::new();
    let rows: Vec<&crate::plan::PlannedStep> =
        plan.steps.iter().filter(|s| diff || s.op != StepOp::Same || depth(&s.urn) == 0).collect();
    let width = rows.iter().map(|s| 2 * depth(&s.urn) + s.urn.type_token().len()).max().unwrap_or(0);
    let name_width = rows.iter().map(|s| s.urn.name().len()).max().unwrap_or(0);
    out.push_str(&format!("     {:<width$}  {:<name_width$}  Plan\n", "Type", "Name"));
    for s in &rows {
        let ty = format!("{}{}", "  ".repeat(depth(&s.urn)), s.urn.type_token());
        let mut plan = s.op.as_str().to_string();
        if s.op == StepOp::Replace {
            plan.push_str(if s.delete_before_replace { " (delete first)" } else { "" });
            plan.push_str(&format!(" [diff: {}]", s.replace_keys.join(", ")));
        }
        out.push_str(&format!(" {:<3} {:<width$}  {:<name_width$}  {}\n", s.op.symbol(), ty, s.urn.name(), plan));
        if diff {
            for d in &s.diffs {
                out.push_str(&format!("         {}\n", diff_line(d)));
            }
        }
    }
    out.push('\n');
    out.push_str(&summary_text(&plan.summary(), "to "));
    out
}

fn summary_text(s: &ChangeSummary, tense: &str) -> String {
    let mut out = String::from("Resources:\n");
    let verb = |base: &str, past: &str| if tense.is_empty() { past.to_string() } else { format!("{tense}{base}") };
    for (n, sym, base, past) in [
        (s.create, "+", "create", "created"),
        (s.update, "~", "update", "updated"),
        (s.replace, "+-", "replace", "replaced"),
        (s.delete, "-", "delete", "deleted"),
    ] {
        if n > 0 {
            out.push_str(&format!("    {sym} {n} {}\n", verb(base, past)));
        }
    }
    if s.same > 0 {
        out.push_str(&format!("    {} unchanged\n", s.same));
    }
    if !s.has_changes() && s.same == 0 {
        out.push_str("    no resources\n");
    }
    out
}

fn summary_json(s: &ChangeSummary) -> Json {
    json!({"create": s.create, "update": s.update, "replace": s.replace, "delete": s.delete, "same": s.same})
}

/// `preview --json`: Pulumi's `steps` and `changeSummary` (every key present).
pub fn plan_json(plan: &Plan) -> Json {
    let steps: Vec<Json> = plan
        .steps
        .iter()
        .map(|s| {
            let mut o = Map::new();
            o.insert("op".into(), json!(s.op.as_str()));
            o.insert("urn".into(), json!(s.urn.as_str()));
            o.insert("type".into(), json!(s.urn.type_token()));
            if !s.diffs.is_empty() {
                o.insert("diffs".into(), json!(s.diffs.iter().map(|d| d.path.clone()).collect::<Vec<_>>()));
            }
            if !s.replace_keys.is_empty() {
                o.insert("replaceReasons".into(), json!(s.replace_keys));
            }
            Json::Object(o)
        })
        .collect();
    json!({"steps": steps, "changeSummary": summary_json(&plan.summary())})
}

fn outputs_json(outputs: &PropertyMap, show_secrets: bool) -> Json {
    Json::Object(
        outputs
            .iter()
            .map(|(k, v)| {
                let shown = if v.contains_secret() && !show_secrets { json!("[secret]") } else { v.to_plain_json() };
                (k.clone(), shown)
            })
            .collect(),
    )
}

/// `up --json`.
pub fn run_json(summary: &RunSummary, steps: &[StepRecord], outputs: &PropertyMap) -> Json {
    let steps: Vec<Json> = steps
        .iter()
        .map(|s| {
            json!({
                "op": s.op.map(StepOp::as_str),
                "urn": s.urn.as_str(),
                "type": s.urn.type_token(),
                "status": s.status,
                "detail": s.detail,
            })
        })
        .collect();
    json!({
        "steps": steps,
        "changeSummary": summary_json(&summary.changes),
        "failures": summary
            .failures
            .iter()
            .map(|f| json!({"urn": f.urn.as_str(), "kind": f.kind.as_str(), "code": f.code, "error": f.message}))
            .collect::<Vec<_>>(),
        "skipped": summary.skipped.iter().map(|(u, e)| json!({"urn": u.as_str(), "reason": e})).collect::<Vec<_>>(),
        "cancelled": summary.cancelled,
        "durationSeconds": summary.elapsed.as_secs_f64(),
        "outputs": outputs_json(outputs, false),
    })
}

/// The end-of-run report: outputs, resources, failures, duration.
pub fn run_text(summary: &RunSummary, outputs: &PropertyMap) -> String {
    let mut out = String::from("\n");
    if !outputs.is_empty() {
        out.push_str(&self::outputs(outputs, false, false));
        out.push('\n');
    }
    out.push_str(&summary_text(&summary.changes, ""));
    if !summary.failures.is_empty() {
        out.push_str(&format!("\n{} failed:\n", summary.failures.len()));
        for f in &summary.failures {
            let (u, e) = (&f.urn, &f.message);
            out.push_str(&format!("    {u}\n        {e}\n"));
        }
    }
    if !summary.skipped.is_empty() {
        out.push_str(&format!("\n{} not attempted:\n", summary.skipped.len()));
        for (u, why) in &summary.skipped {
            out.push_str(&format!("    {u}: {why}\n"));
        }
    }
    if summary.cancelled {
        out.push_str("\nThe run was cancelled; the state records every step that finished.\n");
    }
    out.push_str(&format!("\nDuration: {:.1}s\n", summary.elapsed.as_secs_f64()));
    out
}

/// The end of a refresh.
pub fn refresh_summary(summary: &RunSummary) -> String {
    let s = &summary.changes;
    format!(
        "\nRefresh: {} unchanged, {} changed outside tapctl, {} deleted outside tapctl{}",
        s.same,
        s.update,
        s.delete,
        if summary.failures.is_empty() {
            String::new()
        } else {
            format!(", {} could not be read", summary.failures.len())
        }
    )
}

/// `stack output`.
pub fn outputs(outputs: &PropertyMap, json: bool, show_secrets: bool) -> String {
    if json {
        return format!("{}\n", serde_json::to_string_pretty(&outputs_json(outputs, show_secrets)).unwrap_or_default());
    }
    let width = outputs.keys().map(String::len).max().unwrap_or(0);
    let mut out = format!("Outputs ({}):\n", outputs.len());
    for (k, v) in outputs {
        let shown = if v.contains_secret() && !show_secrets {
            "[secret]".to_string()
        } else {
            match v.as_str() {
                Some(s) => s.to_string(),
                None => v.to_plain_json().to_string(),
            }
        };
        out.push_str(&format!("    {k:<width$}  {shown}\n"));
    }
    out
}

/// `stack ls`.
pub fn stack_list(names: &[String], summaries: &[StackSummary], current: &str) -> String {
    let mut out = String::from("NAME        RESOURCES  LAST UPDATE\n");
    for name in names {
        let s = summaries.iter().find(|s| &s.name == name);
        out.push_str(&format!(
            "{:<11} {:<10} {}\n",
            if name == current { format!("{name}*") } else { name.clone() },
            s.map_or("n/a".to_string(), |s| s.resource_count.to_string()),
            s.and_then(|s| s.last_update.clone()).unwrap_or_else(|| "never".into())
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Urn, Value};
    use crate::plan::PlannedStep;

    fn step(op: StepOp, urn: &str, diffs: Vec<PropertyDiff>) -> PlannedStep {
        PlannedStep { op, urn: Urn::parse(urn).unwrap(), diffs, replace_keys: vec![], delete_before_replace: false }
    }

    fn plan() -> Plan {
        let change = |path: &str, old: Option<Value>, new: Option<Value>| PropertyDiff { path: path.into(), old, new };
        let mut replace = step(
            StepOp::Replace,
            "urn:pulumi:dev::tap::tap:components:Networking$aws:ec2/vpc:Vpc::vpc",
            vec![change("cidrBlock", Some("10.0.0.0/16".into()), Some("10.1.0.0/16".into()))],
        );
        replace.replace_keys = vec!["cidrBlock".into()];
        Plan {
            steps: vec![
                step(StepOp::Same, "urn:pulumi:dev::tap::pulumi:pulumi:Stack::tap-dev", vec![]),
                replace,
                step(
                    StepOp::Update,
                    "urn:pulumi:dev::tap::tap:components:Ecs$aws:lb/listener:Listener::http-listener",
                    vec![change("defaultActions[0].forward.targetGroups[1].weight", Some(0.into()), Some(10.into()))],
                ),
                step(
                    StepOp::Create,
                    "urn:pulumi:dev::tap::tap:components:Monitoring$aws:sns/topicSubscription:TopicSubscription::alerts-email",
                    vec![change("endpoint", None, Some(Value::secret("ops@example.com"))), change("topic", None, Some(Value::Unknown))],
                ),
                step(StepOp::Delete, "urn:pulumi:dev::tap::aws:s3/bucket:Bucket::old-logs", vec![]),
            ],
        }
    }

    #[test]
    fn plans_render_like_pulumi_with_secrets_masked() {
        insta::assert_snapshot!(plan_text(&plan(), true));
    }

    #[test]
    fn preview_json_has_every_summary_key() {
        insta::assert_json_snapshot!(plan_json(&plan()));
    }
}
