//! The README's per-provider support table is the one the adapters generate.

#[test]
fn readme_support_table_matches_the_code() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("<!-- support-table:start -->\n")
        .expect("start marker");
    let end = readme
        .find("<!-- support-table:end -->")
        .expect("end marker");
    let in_readme = &readme[start + "<!-- support-table:start -->\n".len()..end];
    assert_eq!(
        in_readme,
        keyctl::support::markdown(),
        "README table is stale: paste the output of `keyctl support`"
    );
}
