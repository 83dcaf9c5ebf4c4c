//! Fetching small documents (STAC JSON) over HTTP or from local files. Raster assets are read by GDAL itself
//! (`/vsicurl/` with range requests).

use std::time::Duration;

use crate::{Error, Result};

/// Fetches a text document: `http://` and `https://` URLs over HTTP, anything else (a path or `file://`) from disk.
///
/// # Errors
/// [`Error::Http`] for network failures and non-2xx answers; [`Error::Io`] for unreadable files.
pub fn fetch_text(url: &str) -> Result<String> {
    if url.starts_with("http://") || url.starts_with("https://") {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let http = |message: String| Error::Http {
            url: url.to_string(),
            message,
        };
        let mut resp = agent.get(url).call().map_err(|e| http(e.to_string()))?;
        resp.body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_string()
            .map_err(|e| http(e.to_string()))
    } else {
        // a query (item-search parameters) means nothing for a file
        let path = url.strip_prefix("file://").unwrap_or(url);
        let path = path.split('?').next().unwrap_or(path);
        std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.into(),
            source,
        })
    }
}
