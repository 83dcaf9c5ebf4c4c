//! Collection configuration: bytes as TOML → `Catalog::from_toml` with an empty temporary base directory. With no
//! data files there, every input must either fail with an error or give a catalog of synthetic collections only (whose
//! values are computed), never panic.
//! Inputs whose strings could reach outside the base directory (absolute paths, `..`, `~`, backslashes) are
//! skipped, so the globs only ever look inside the empty directory.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use openeo_engine::Catalog;

fn base_dir() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("a temporary directory"))
}

/// True when a string in the TOML document could name something outside the base directory.
fn escapes_base(v: &toml::Value) -> bool {
    match v {
        toml::Value::String(s) => s.starts_with('/') || s.contains("..") || s.starts_with('~') || s.contains('\\'),
        toml::Value::Array(a) => a.iter().any(escapes_base),
        toml::Value::Table(t) => t.iter().any(|(k, v)| k.contains("..") || escapes_base(v)),
        _ => false,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(doc) = toml::from_str::<toml::Table>(text)
        && doc.values().any(escapes_base)
    {
        return;
    }
    if let Ok(catalog) = Catalog::from_toml(text, base_dir().path()) {
        // only synthetic collections exist without files: their values are computed
        let from_files = catalog
            .collections()
            .iter()
            .flat_map(|c| c.items.iter())
            .flat_map(|i| i.assets.iter().flatten())
            .any(|a| a.synthetic.is_none());
        assert!(!from_files, "a collection was built without any data file");
    }
});
