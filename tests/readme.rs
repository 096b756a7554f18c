//! The documented per-provider support tables (docs/providers.md) are the ones the adapters
//! generate.

#[test]
fn readme_support_table_matches_the_code() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/providers.md"))
        .expect("docs/providers.md");
    let start = doc
        .find("<!-- support-table:start -->\n")
        .expect("start marker");
    let end = doc.find("<!-- support-table:end -->").expect("end marker");
    let in_doc = &doc[start + "<!-- support-table:start -->\n".len()..end];
    assert_eq!(
        in_doc,
        keyctl::support_table::markdown(),
        "docs/providers.md's support tables are stale: paste the output of `keyctl support -o md`"
    );
}
