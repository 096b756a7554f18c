//! Stand-ins for provider listings and reads (a ModelGates key, its get and list, a Venice
//! key's get) and readers of what a run printed and sent (TSV cells, the request log).

use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{Keyctl, Out, VENICE_KEY};

pub(crate) const MG: &str = "MODELGATES_MANAGEMENT_KEY";

pub(crate) const VENICE: &str = "VENICE_ADMIN_KEY";

/// Not a panic: neither Rust's panic exit (101) nor an abort (134), nor a signal.
pub(crate) fn no_panic(out: &Out, what: &str) {
    assert!(
        ![101, 134, -1].contains(&out.code),
        "{what}: exit {} looks like a panic:\n{out:?}",
        out.code
    );
    assert!(!out.stderr.contains("panicked"), "{what}: {out:?}");
}

/// `GET /api/v1/keys/{hash}` answers 200 `{"data": data}`.
pub(crate) async fn gates_get(server: &MockServer, hash: &str, data: Value) {
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/keys/{hash}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": data })))
        .mount(server)
        .await;
}

/// `GET /api/v1/keys?offset=0` answers 200 `{"data": keys}` (a short page: the last).
pub(crate) async fn gates_list(server: &MockServer, keys: Value) {
    Mock::given(method("GET"))
        .and(path("/api/v1/keys"))
        .and(query_param("offset", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": keys })))
        .mount(server)
        .await;
}

/// A ModelGates key object: `hash`, `name`, the name as its label, not disabled. Add or replace
/// fields with [`With::with`].
pub fn gates_key(hash: &str, name: &str) -> Value {
    json!({"hash": hash, "name": name, "label": name, "disabled": false})
}

/// Adds fields to a JSON object.
pub trait With {
    /// `self` with every field of `fields` (an object): a field it has keeps its place and takes
    /// the new value, a new one goes at the end (serde_json keeps the order).
    fn with(self, fields: Value) -> Value;
}

impl With for Value {
    fn with(mut self, fields: Value) -> Value {
        let (Some(obj), Value::Object(add)) = (self.as_object_mut(), fields) else {
            panic!("with: both sides must be JSON objects");
        };
        for (k, v) in add {
            obj.insert(k, v);
        }
        self
    }
}

/// A ModelGates key object at a `limit`, 1 left of it, 2 used, reset daily.
pub fn gates_key_at(hash: &str, name: &str, limit: Value) -> Value {
    gates_key(hash, name).with(
        json!({"limit": limit, "limit_remaining": 1, "limit_reset": "daily",
        "usage": 2}),
    )
}

/// `GET /api/v1/api_keys/{VENICE_KEY}` answers 200 with `data`.
pub(crate) async fn venice_get(server: &MockServer, data: Value) {
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/api_keys/{VENICE_KEY}")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": data, "success": true})),
        )
        .mount(server)
        .await;
}

pub(crate) fn mg(server: &MockServer, args: &[&str]) -> Keyctl {
    Keyctl::new(MG, &["-p", "modelgates"])
        .base(server)
        .args(args)
}

pub(crate) fn venice(server: &MockServer, args: &[&str]) -> Keyctl {
    Keyctl::new(VENICE, &["-p", "venice"])
        .base(server)
        .args(args)
}

/// The TSV on stdout: header cells, then each row's cells.
pub(crate) fn tsv(out: &Out) -> (Vec<String>, Vec<Vec<String>>) {
    let mut lines = out.stdout.lines();
    let header = lines
        .next()
        .unwrap_or_else(|| panic!("no TSV header: {out:?}"))
        .split('\t')
        .map(str::to_string)
        .collect();
    let rows = lines
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect();
    (header, rows)
}

/// The cell of column `name` in `row`.
pub(crate) fn cell<'a>(header: &[String], row: &'a [String], name: &str) -> &'a str {
    let i = header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name:?} in {header:?}"));
    &row[i]
}
