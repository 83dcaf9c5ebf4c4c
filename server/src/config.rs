//! Finding and loading the configuration.

use std::path::{Path, PathBuf};

use openeo_engine::Catalog;

/// The configuration used when none is given: `testdata/collections.toml` in the working directory, else the
/// bundled one of the source tree this binary was built from.
pub fn default_config_path() -> PathBuf {
    let local = PathBuf::from("testdata/collections.toml");
    if local.exists() {
        return local;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/collections.toml")
}

/// Loads the catalog from `path` (or the default configuration).
///
/// # Errors
/// Configuration or file errors.
pub fn load_catalog(path: Option<&Path>) -> openeo_engine::Result<Catalog> {
    let p = path.map_or_else(default_config_path, Path::to_path_buf);
    Catalog::load(&p)
}
