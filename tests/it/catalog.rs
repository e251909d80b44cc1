//! The generated kind catalog is what its generator makes of the checked-in
//! schema and facts: `scripts/gen_catalog.py --check` fails when
//! `src/provider/catalog.rs` was edited by hand or not regenerated.

#[test]
fn the_catalog_is_what_its_generator_writes() {
    let out = std::process::Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/gen_catalog.py"))
        .arg("--check")
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "src/provider/catalog.rs is stale: run `python3 scripts/gen_catalog.py`\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
