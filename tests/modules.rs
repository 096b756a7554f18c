//! The crate's module graph has no cycle, and the layers hold: `provider/` depends on neither
//! the HTTP layer nor output, and the leaf modules import nothing that could import them back.
//! The graph is read from the source: every `crate::name` path in a module's files is an edge.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level module -> the top-level modules its files name through `crate::`.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut files = Vec::new();
    let mut dirs = vec![src.clone()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                files.push(p);
            }
        }
    }
    for f in files {
        let rel = f.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        if module == "main" || module == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let deps = g.entry(module.clone()).or_default();
        for (i, _) in text.match_indices("crate::") {
            let rest = &text[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            // `use crate::{a, b}` groups are not used in this crate; a name is required.
            assert!(
                !name.is_empty(),
                "{}: `crate::` without a module name",
                f.display()
            );
            if name != module {
                deps.insert(name);
            }
        }
    }
    g
}

/// A cycle in `g`, if there is one, as the list of modules along it.
fn find_cycle(g: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(n) {
            Some(2) => return None,
            Some(1) => {
                let from = stack.iter().position(|s| s == n).unwrap_or(0);
                let mut c = stack[from..].to_vec();
                c.push(n.to_string());
                return Some(c);
            }
            _ => {}
        }
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for d in g.get(n).into_iter().flatten() {
            if let Some(c) = visit(d, g, state, stack) {
                return Some(c);
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in g.keys() {
        if let Some(c) = visit(n, g, &mut state, &mut Vec::new()) {
            return Some(c);
        }
    }
    None
}

#[test]
fn the_module_graph_has_no_cycle() {
    let g = graph();
    assert!(g.len() >= 10, "read too few modules: {g:?}");
    if let Some(c) = find_cycle(&g) {
        panic!("module cycle: {}", c.join(" -> "));
    }
}

#[test]
fn layers_hold() {
    let g = graph();
    let deps = |m: &str| g.get(m).cloned().unwrap_or_default();
    for forbidden in ["http", "output", "session", "commands", "settings", "cli"] {
        assert!(
            !deps("provider").contains(forbidden),
            "provider/ imports {forbidden}"
        );
    }
    for leaf in ["visible", "request", "error", "duration"] {
        assert!(deps(leaf).is_empty(), "{leaf} imports {:?}", deps(leaf));
    }
    assert_eq!(
        deps("text"),
        BTreeSet::from(["mask".into(), "visible".into()])
    );
    assert!(!deps("output").contains("http"), "output imports http");
    // The key model is pure data over the normalized change: no provider, no I/O, no printing.
    assert_eq!(deps("key"), BTreeSet::from(["patch".into()]));
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    g.entry("c".into()).or_default();
    assert_eq!(find_cycle(&g), None);
    g.entry("c".into()).or_default().insert("a".into());
    assert_eq!(
        find_cycle(&g).unwrap(),
        ["a", "b", "c", "a"].map(String::from).to_vec()
    );
}

/// Every `.rs` file under src/, with its path relative to src/ (`/`-separated) and its text.
fn sources() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    let mut dirs = vec![src.clone()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p
                    .strip_prefix(&src)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// The most lines a file in src/ may have, unit tests included.
const MAX_LINES: usize = 800;

/// Files over [`MAX_LINES`] when the rule came in, being split now: this list only shrinks (a
/// file split below the limit comes off it; the goal is an empty list).
const OVER_TODAY: &[&str] = &[];

#[test]
fn no_file_in_src_passes_800_lines() {
    let files = sources();
    let over: Vec<String> = files
        .iter()
        .filter(|(_, text)| text.lines().count() > MAX_LINES)
        .map(|(name, text)| format!("{name} ({} lines)", text.lines().count()))
        .collect();
    let new: Vec<&String> = over
        .iter()
        .filter(|o| !OVER_TODAY.iter().any(|a| o.starts_with(&format!("{a} ("))))
        .collect();
    assert!(
        new.is_empty(),
        "src/ files over {MAX_LINES} lines (unit tests included): {new:?}; split them by job \
         (all over the limit: {over:?})"
    );
}

/// The text of each `env::var(...)` / `var_os(...)` call's argument in `text`.
fn env_reads(text: &str) -> Vec<String> {
    let mut args = Vec::new();
    for call in ["env::var(", "var_os("] {
        for (i, _) in text.match_indices(call) {
            let rest = &text[i + call.len()..];
            let mut depth = 1;
            let end = rest
                .char_indices()
                .find(|&(_, c)| {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map_or(rest.len(), |(j, _)| j);
            args.push(rest[..end].trim().to_string());
        }
    }
    args
}

/// Modules that may read a variable whose name is computed, and why.
const COMPUTED_NAMES: &[(&str, &str)] = &[
    (
        "env.rs",
        "KEYCTL_<ID>_BASE_URL, from the snapshot of the process",
    ),
    ("http/mod.rs", "the proxy variables, a fixed list"),
    ("audit/who.rs", "the user's name, a fixed list of variables"),
];

#[test]
fn only_the_credential_module_reads_a_credential_variable() {
    let names: Vec<&str> = keyctl::provider::all()
        .iter()
        .map(|p| p.info().credential_env)
        .filter(|n| !n.is_empty())
        .collect();
    assert!(names.len() >= 5, "{names:?}");
    let mut found = Vec::new();
    for (file, text) in sources() {
        if file.starts_with("credential/") {
            continue;
        }
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for arg in env_reads(code) {
            let literal = arg.starts_with('"');
            let credential = names.iter().any(|n| arg.contains(n)) || arg.contains("credential");
            let computed_here = COMPUTED_NAMES.iter().any(|(f, _)| *f == file);
            if credential || (!literal && !computed_here) {
                found.push(format!("{file}: env::var({arg})"));
            }
        }
    }
    assert!(
        found.is_empty(),
        "only src/credential/ reads a credential variable ({names:?}, a source's variable), and \
         a variable read by a computed name is one of {COMPUTED_NAMES:?}; found {found:?}"
    );
}
