//! The redaction property: for random secrets (quotes, backslashes, percent signs, non-ASCII)
//! and random server bodies up to 100 KB that embed the secret (raw, JSON-escaped,
//! percent-encoded, split by escape sequences) at random offsets, no 8-character window of the
//! secret survives any output path: error messages, snippets, sanitised and truncated text,
//! JSON lines, tables, dry-run text. One test in this binary: the secret is a process global.

use proptest::prelude::*;
use serde_json::{Value, json};

use keyctl::error::Error;
use keyctl::key::{Key, Known};
use keyctl::output::{self, KeyResult, Outcome};
use keyctl::provider::{BaseUrl, ProviderKind, all};
use keyctl::request::Response;

/// Characters a secret is made of; none of them is in `FILLER`, so a window of the secret in
/// the output can only come from the secret itself.
const SECRET_CHARS: &[char] = &[
    'a', 'b', 'k', 'q', 'z', 'A', 'K', 'Z', '0', '7', '9', '-', '_', '"', '\\', '%', '/', '?', '#',
    '\'', '<', '&', '=', '+', 'é', '中', '😀',
];

/// What a hostile server surrounds it with: JSON punctuation, white space, control characters
/// and terminal escapes, other scripts.
const FILLER: &[&str] = &[
    " ",
    "\n",
    "\t",
    "\r",
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    ".",
    ";",
    "!",
    "~",
    "^",
    "|",
    "(",
    ")",
    "ж",
    "€",
    "\u{1b}[31m",
    "\u{1b}]0;t\u{7}",
    "\u{7}",
    "\u{0}",
    "\u{202e}",
    "<p>",
    "</p>",
    "x",
];

fn secret() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(SECRET_CHARS), 8..48)
        .prop_map(|v| v.into_iter().collect())
}

/// How the secret is planted in the body.
#[derive(Debug, Clone)]
enum Form {
    Raw,
    JsonEscaped,
    Percent,
    /// An ANSI escape sequence inside it: stripping controls must not reassemble it unmasked.
    SplitByEscape(usize),
    /// Invisible characters (zero-width space, soft hyphen, DEL, a bidi override, a word
    /// joiner) every few characters: a terminal shows the secret whole.
    Interleaved(usize, usize),
}

fn form() -> impl Strategy<Value = Form> {
    prop_oneof![
        Just(Form::Raw),
        Just(Form::JsonEscaped),
        Just(Form::Percent),
        (1usize..40).prop_map(Form::SplitByEscape),
        (1usize..6, 0usize..5).prop_map(|(every, which)| Form::Interleaved(every, which)),
    ]
}

fn planted(secret: &str, form: &Form) -> String {
    match form {
        Form::Raw => secret.to_string(),
        Form::JsonEscaped => serde_json::to_string(secret)
            .unwrap()
            .trim_matches('"')
            .to_string(),
        Form::Percent => {
            percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC)
                .to_string()
        }
        Form::SplitByEscape(at) => {
            let chars: Vec<char> = secret.chars().collect();
            let at = (*at).min(chars.len());
            let (a, b) = chars.split_at(at);
            format!(
                "{}\u{1b}[0m{}",
                a.iter().collect::<String>(),
                b.iter().collect::<String>()
            )
        }
        Form::Interleaved(every, which) => {
            let sep = ["\u{200b}", "\u{ad}", "\u{7f}", "\u{202e}", "\u{2060}"][*which];
            let mut out = String::new();
            for (i, c) in secret.chars().enumerate() {
                if i > 0 && i % every == 0 {
                    out.push_str(sep);
                }
                out.push(c);
            }
            out
        }
    }
}

/// A body of `len` filler pieces with the secret planted at each of `offsets`.
fn body(secret: &str, form: &Form, pieces: &[usize], offsets: &[usize]) -> String {
    let mut parts: Vec<String> = pieces.iter().map(|i| FILLER[*i].to_string()).collect();
    for o in offsets {
        let at = o % (parts.len() + 1);
        parts.insert(at, planted(secret, form));
    }
    parts.concat()
}

/// No 8-character window of `secret` appears in `text`.
fn assert_no_window(secret: &str, text: &str, what: &str) {
    let chars: Vec<char> = secret.chars().collect();
    for w in chars.windows(8) {
        let w: String = w.iter().collect();
        assert!(
            !text.contains(&w),
            "{what}: window {w:?} of the secret {secret:?} leaked in:\n{}",
            text.chars().take(2000).collect::<String>()
        );
    }
}

/// Text as it is printed: the last pass of `write_out`/`write_err` is `output::redact`. JSON
/// lines are printed as `result_json` serialises them, with no last pass (masking the line
/// would cut into numbers), so they are checked as they are.
fn printed(texts: Vec<String>) -> Vec<String> {
    texts.iter().map(|t| keyctl::text::redact(t)).collect()
}

fn outputs_for(p: ProviderKind, status: u16, body: &str, secret: &str) -> Vec<String> {
    let resp = Response::new(status, body.as_bytes().to_vec());
    let err: Error = p.error_for(&resp);
    let failed = KeyResult {
        provider: p,
        key: "k1".into(),
        outcome: Outcome::Failed(err.clone()),
    };
    // A key whose fields the server filled with the body (names, models, dates are echoed).
    let view = Key {
        provider: p.info().id,
        id: format!("id-{body}"),
        name: Known::Value(body.to_string()),
        expires: Known::Value(secret.to_string()),
        models: Known::Value(vec![body.to_string(), secret.to_string()]),
        privacy: Known::Value(secret.to_string()),
        raw: json!({"echo": body, "secret": secret}),
        ..Default::default()
    };
    let shown = KeyResult {
        provider: p,
        key: secret.to_string(),
        outcome: Outcome::Shown(Box::new(view.clone())),
    };
    // A dry run whose URL and body carry the secret (a key id or a name the user pasted).
    let base = BaseUrl::parse("https://example.test/gw").unwrap();
    let patch = keyctl::patch::Patch {
        name: Some(format!("n{secret}")),
        ..Default::default()
    };
    let mut json_lines = vec![
        output::result_json(&failed, true).to_string(),
        output::result_json(&shown, true).to_string(),
    ];
    let mut texts = vec![
        err.to_string(),
        keyctl::text::snippet(body.as_bytes()),
        keyctl::text::server_text(body),
        keyctl::text::sanitize(body),
        keyctl::text::truncate(body, 24),
        keyctl::text::truncate(body, 200),
    ];
    let cols: Vec<&output::Column> = output::COLUMNS.iter().collect();
    texts.push(output::columns::fields_text(&shown));
    texts.push(output::columns::tsv_row(&cols, &shown));
    texts.push(output::columns::tsv_row(&cols, &failed));
    if let Ok(req) = p.build_update(&base, &format!("k{secret}"), &patch) {
        let dry = KeyResult {
            provider: p,
            key: format!("k{secret}"),
            outcome: Outcome::DryRun {
                req: Box::new(req.clone()),
                after: Box::new(view.apply(&patch)),
                changes: keyctl::key::changes(Some(&view), &view.apply(&patch), &patch.touched()),
                before: Some(Box::new(view.clone())),
                notes: vec![format!("then the old key: {secret}")],
            },
        };
        texts.push(output::plan_text(&dry, true));
        texts.push(output::request_json(&req).to_string());
        json_lines.push(output::result_json(&dry, true).to_string());
        texts.push(output::columns::table(
            &cols,
            &[dry],
            Some(80),
            true,
            true,
            false,
        ));
    }
    texts.push(output::columns::table(
        &cols,
        &[failed, shown],
        Some(60),
        true,
        true,
        true,
    ));
    let mut all = printed(texts);
    all.extend(json_lines);
    all
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn no_window_of_the_secret_survives_any_output(
        secret in secret(),
        form in form(),
        pieces in proptest::collection::vec(0..FILLER.len(), 0..4000),
        offsets in proptest::collection::vec(any::<usize>(), 1..4),
        big in proptest::bool::weighted(0.25),
        p in proptest::sample::select(all().to_vec()),
        status in proptest::sample::select(vec![400u16, 401, 403, 404, 422, 429, 500, 502]),
        as_json in any::<bool>(),
    ) {
        keyctl::mask::register_text(&secret);
        let mut pieces = pieces;
        if big {
            // Up to ~100 KB of filler.
            let n = pieces.len();
            pieces.extend((0..40_000).map(|i| (i * 7 + n) % FILLER.len()));
        }
        // JSON-encoding would turn a planted ESC into the printable text `\u001b`, leaving two
        // fragments of the secret rather than the secret: escape splits go in raw bodies only.
        let as_json =
            as_json && !matches!(form, Form::SplitByEscape(_) | Form::Interleaved(_, _));
        let raw = body(&secret, &form, &pieces, &offsets);
        // The server's own error shapes, with the body as the provider's message.
        let text = if as_json {
            json!({"error": {"message": raw, "code": status}, "detail": [{"msg": raw}]}).to_string()
        } else {
            raw.clone()
        };
        for (i, out) in outputs_for(p, status, &text, &secret).iter().enumerate() {
            assert_no_window(&secret, out, &format!("{} output #{i}", p.info().id));
        }
        // The converse: text that shares no character with the secret is left exactly as it
        // is (masking must not eat what is not the secret). Filler minus controls, whole.
        let clean: String = pieces
            .iter()
            .map(|i| FILLER[*i])
            .filter(|f| !f.chars().any(|c| c.is_control() || keyctl::visible::is_invisible(c)))
            .collect();
        let masked = keyctl::mask::mask(&clean).into_owned();
        prop_assert_eq!(masked, clean.clone());
        prop_assert_eq!(keyctl::text::sanitize(&clean), clean.clone());
        // A JSON value holding the secret in keys and values, serialised after masking.
        let mut v: Value = json!({raw.clone(): [raw.clone(), {"k": secret.clone()}]});
        keyctl::mask::mask_json(&mut v);
        assert_no_window(&secret, &v.to_string(), "mask_json");
    }
}
