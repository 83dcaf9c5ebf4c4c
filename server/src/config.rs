//! Finding and loading the configuration.

use std::path::{Path, PathBuf};

use openeo_engine::{Catalog, OutboundPolicy};

/// The configuration used when none is given: `testdata/collections.toml` in the working directory, else the
/// bundled one of the source tree this binary was built from.
pub fn default_config_path() -> PathBuf {
    let local = PathBuf::from("testdata/collections.toml");
    if local.exists() {
        return local;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/collections.toml")
}

/// Loads the catalog from `path` (or the default configuration); `stac` sources are read through `outbound`.
///
/// # Errors
/// Configuration or file errors.
pub fn load_catalog(path: Option<&Path>, outbound: &OutboundPolicy) -> openeo_engine::Result<Catalog> {
    let p = path.map_or_else(default_config_path, Path::to_path_buf);
    Catalog::load_with(&p, &stac_reader(outbound))
}

/// The reader of `stac` collection sources: the documents and assets read like `load_stac` reads them.
pub(crate) fn stac_reader(
    outbound: &OutboundPolicy,
) -> impl Fn(&str, &str) -> openeo_engine::Result<openeo_engine::Collection> + '_ {
    move |id, url| openeo_processes::stac_collection(id, url, outbound)
}
