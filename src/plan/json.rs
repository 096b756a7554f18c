//! The plan's JSON Lines form (`schemas/plan.schema.json`): one object per key action, one per
//! scope that could not be read, then the summary.

use serde_json::{Map, Value, json};

use super::{Action, Drift, KeyPlan, ScopePlan, Summary};
use crate::error::Error;
use crate::keyfile::{Scope, Sink};
use crate::provider::ProviderKind;

fn scope_fields(o: &mut Map<String, Value>, scope: &Scope, p: ProviderKind) {
    o.insert("profile".into(), json!(scope.profile()));
    o.insert("provider".into(), json!(p.info().id));
}

fn drift_json(d: &Drift) -> Value {
    let mut o = Map::new();
    o.insert("field".into(), json!(d.field));
    o.insert("from".into(), d.from.clone().unwrap_or(Value::Null));
    o.insert("known".into(), json!(d.from.is_some()));
    o.insert("to".into(), d.to.clone());
    Value::Object(o)
}

fn sink_json(s: &Option<Sink>) -> Value {
    match s {
        None => Value::Null,
        Some(Sink::File(f)) => json!({ "file": f.display().to_string() }),
        Some(Sink::Command(c)) => json!({ "command": c }),
    }
}

/// One key's action as a JSON object.
pub fn key_json(scope: &Scope, p: ProviderKind, k: &KeyPlan) -> Value {
    let mut o = Map::new();
    scope_fields(&mut o, scope, p);
    o.insert("name".into(), json!(k.name));
    o.insert("action".into(), json!(k.word()));
    o.insert("id".into(), json!(k.action.id()));
    o.insert("line".into(), json!(k.line));
    o.insert(
        "changes".into(),
        Value::Array(k.drift.iter().map(drift_json).collect()),
    );
    match &k.action {
        Action::Replace { fields, sink, .. } => {
            o.insert("replace_fields".into(), json!(fields));
            o.insert("sink".into(), sink_json(sink));
        }
        Action::Create { sink, .. } => {
            o.insert("sink".into(), sink_json(sink));
        }
        Action::Invalid { error, .. } => {
            o.insert("error".into(), error_json(error));
        }
        _ => {}
    }
    if let Some(a) = &k.adopt {
        let id = k.action.id().unwrap_or_default();
        let rotate = format!("keyctl rotate {} {id}", scope.selector(p));
        let message = super::adopt_message(a, &rotate);
        o.insert("adopt".into(), json!({ "run": a.run, "message": message }));
    }
    Value::Object(o)
}

fn error_json(e: &Error) -> Value {
    json!({
        "kind": e.kind(),
        "message": e.to_string(),
        "exit_code": e.exit_code(),
    })
}

/// A scope whose listing could not be read.
pub fn scope_error_json(plan: &ScopePlan, e: &Error) -> Value {
    let mut o = Map::new();
    scope_fields(&mut o, &plan.scope, plan.provider);
    o.insert("action".into(), json!("error"));
    o.insert("error".into(), error_json(e));
    Value::Object(o)
}

/// The last line: the counts and the exit code.
pub fn summary_json(s: &Summary, exit_code: i32) -> Value {
    json!({
        "summary": {
            "create": s.create,
            "update": s.update,
            "replace": s.replace,
            "unchanged": s.unchanged,
            "unmanaged": s.unmanaged,
            "adopt": s.adopt,
            "invalid": s.invalid,
            "failed_scopes": s.failed + s.unplanned,
        },
        "changes": s.has_changes(),
        "exit_code": exit_code,
    })
}
