//! `schemas/plan.schema.json`: every `keyctl plan -o json` line the declared tests read is
//! validated against it ([`check_plan_line`]), and the schema itself refuses bad lines.

use std::sync::LazyLock;

use jsonschema::Validator;
use serde_json::{Value, json};

fn validator() -> &'static Validator {
    static V: LazyLock<Validator> = LazyLock::new(|| {
        let p = format!("{}/schemas/plan.schema.json", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
        let schema: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{p}: {e}"));
        assert_eq!(
            schema["$id"],
            "https://keyctl.invalid/schemas/plan.schema.json"
        );
        jsonschema::options()
            .should_validate_formats(true)
            .offline()
            .build(&schema)
            .unwrap_or_else(|e| panic!("plan schema compiles: {e}"))
    });
    &V
}

fn errors(l: &Value) -> Vec<String> {
    validator()
        .iter_errors(l)
        .map(|e| format!("{e} (at {}, schema {})", e.instance_path(), e.schema_path()))
        .collect()
}

/// Asserts one `plan -o json` line validates against `schemas/plan.schema.json`.
pub(crate) fn check_plan_line(l: &Value) {
    let e = errors(l);
    assert!(e.is_empty(), "line fails plan.schema.json: {e:#?}\n{l:#}");
}

/// Asserts every line validates and the last one is the summary, with `code` as its exit code.
pub(crate) fn check_plan(lines: &[Value], code: i32) {
    assert!(!lines.is_empty(), "no plan lines");
    for l in lines {
        check_plan_line(l);
    }
    let last = lines.last().unwrap();
    assert!(
        last.get("summary").is_some(),
        "the last line is not the summary: {last}"
    );
    assert_eq!(last["exit_code"], code, "{last}");
}

fn update() -> Value {
    json!({"profile": "prod", "provider": "venice", "name": "ci", "action": "update",
           "id": "k1", "line": 3,
           "changes": [{"field": "limit_diem", "from": 10, "known": true, "to": 20}]})
}

#[test]
fn the_plan_schema_refuses_bad_lines() {
    check_plan_line(&update());
    let bad = |f: &dyn Fn(&mut Value), why: &str| {
        let mut l = update();
        f(&mut l);
        assert!(!errors(&l).is_empty(), "accepted {why}: {l}");
    };
    bad(&|l| l["action"] = json!("destroy"), "an unknown action");
    bad(&|l| l["provider"] = json!("acme"), "an unknown provider");
    bad(
        &|l| l["changes"][0]["field"] = json!("colour"),
        "an unknown field",
    );
    bad(&|l| l["extra"] = json!(1), "an extra member");
    bad(&|l| l["id"] = Value::Null, "an update without an id");
    bad(
        &|l| l["replace_fields"] = json!(["expires"]),
        "replace_fields on an update",
    );
    bad(&|l| l["sink"] = Value::Null, "a sink on an update");
    bad(
        &|l| {
            l["action"] = json!("replace");
        },
        "a replace without its fields and sink",
    );
    bad(
        &|l| l["action"] = json!("invalid"),
        "an invalid key without its error",
    );
    bad(
        &|l| l["action"] = json!("adopt"),
        "an adopt without its entry",
    );
    bad(
        &|l| {
            l["action"] = json!("create");
            l["sink"] = json!({"file": "k.txt"});
        },
        "a create with an id",
    );
    check_plan_line(
        &json!({"profile": null, "provider": "openrouter", "name": "n",
        "action": "create", "id": null, "line": 1, "changes": [],
        "sink": {"command": ["gh", "secret", "set", "X"]}}),
    );
    check_plan_line(
        &json!({"profile": "p", "provider": "ionet", "action": "error",
        "error": {"kind": "credential", "message": "m", "exit_code": 3}}),
    );
    check_plan_line(&json!({"summary": {"create": 0, "update": 0, "replace": 0,
        "unchanged": 1, "unmanaged": 0, "adopt": 0, "invalid": 0, "failed_scopes": 0},
        "changes": false, "exit_code": 0}));
    assert!(!errors(&json!({"summary": {}, "changes": false, "exit_code": 0})).is_empty());
}
