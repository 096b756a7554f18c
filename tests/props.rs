//! Property tests: no flag value, base URL, response body or error body makes keyctl panic, and
//! text shown from a server never carries control characters.

use keyctl::http::Response;
use keyctl::output::{sanitize, snippet};
use keyctl::patch::{Amount, ExpirySpec, LimitArg, ModelList, Name};
use keyctl::provider::{ALL, BaseUrl, ProviderKind};
use proptest::prelude::*;
use serde_json::Value;

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("data".to_string()),
                    Just("error".to_string()),
                    Just("detail".to_string()),
                    Just("message".to_string()),
                    Just("issues".to_string()),
                    Just("loc".to_string()),
                    Just("msg".to_string()),
                    Just("status".to_string()),
                    Just("success".to_string()),
                    Just("limit".to_string()),
                    Just("consumptionLimits".to_string()),
                    "[a-z]{1,8}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn flag_values_never_panic(s in ".{0,40}") {
        let _ = s.parse::<Amount>();
        let _ = s.parse::<LimitArg>();
        let _ = s.parse::<ModelList>();
        let _ = s.parse::<Name>();
        let _ = s.parse::<ProviderKind>();
        let _ = BaseUrl::parse(&s);
        if let Ok(e) = s.parse::<ExpirySpec>() {
            let _ = e.resolve(chrono::Utc::now());
        }
    }

    #[test]
    fn numeric_looking_values_never_panic(s in "[-+0-9.eE]{0,400}") {
        if let Ok(a) = s.parse::<Amount>() {
            prop_assert!(a.as_f64().is_finite() && a.as_f64() >= 0.0);
        }
    }

    #[test]
    fn durations_never_panic(n in any::<u64>(), unit in prop::sample::select(vec!["s", "m", "h", "d", "w", "y", "ms"])) {
        if let Ok(e) = format!("{n}{unit}").parse::<ExpirySpec>() {
            let _ = e.resolve(chrono::Utc::now());
        }
    }

    #[test]
    fn response_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..300), status in 100u16..600) {
        for p in ALL {
            let _ = p.parse_update("k", &Value::Null, &body);
            let e = p.error_for(&Response { status, body: body.clone(), too_large: false, wait_refused: None });
            prop_assert!(!e.to_string().chars().any(|c| c.is_control()));
        }
        prop_assert!(!snippet(&body).chars().any(|c| c.is_control()));
    }

    #[test]
    fn json_responses_never_panic(v in json_value(), status in 100u16..600) {
        let body = serde_json::to_vec(&v).unwrap();
        for p in ALL {
            let _ = p.parse_update("k", &v, &body);
            let _ = p.error_message(&v);
            let e = p.error_for(&Response { status, body: body.clone(), too_large: false, wait_refused: None });
            prop_assert!(!e.to_string().chars().any(|c| c.is_control()));
        }
    }

    #[test]
    fn sanitize_removes_every_control_character(s in any::<String>()) {
        prop_assert!(!sanitize(&s).chars().any(|c| c.is_control()));
    }
}
