//! The `[outbound]` table of the server configuration and the [`OutboundPolicy`] built from it: what `load_stac`
//! and the dependency polling of batch jobs may read on behalf of users.
//!
//! Besides public http(s) URLs, the policy allows the `allow` entries, the configured remotes' URLs and the
//! server's own public URL; loopback addresses when the server itself listens on loopback (so local testing and
//! federations on one machine need no configuration); local files under `local_roots`, by default the working
//! directory and the directory of the collections configuration when listening on loopback and none otherwise.
//! The data directory (job database, results, signing secret) is never readable.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use openeo_engine::OutboundPolicy;
use serde::Deserialize;

use super::ServerConfig;

/// `[outbound]`: what users may make the server read.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboundConfig {
    /// URL prefixes (`https://data.example/stac`), hosts (`minio.internal`, `minio.internal:9000`) or address ranges
    /// (`10.1.0.0/16`, `127.0.0.1`) that may be read besides public http(s) URLs. Private, link-local and loopback
    /// addresses are only reachable when listed here (loopback also when the server listens on loopback).
    #[serde(default)]
    pub allow: Vec<String>,
    /// Directories local files may be read from (relative to the configuration file). Default: the working
    /// directory and the collections' directory when the server listens on loopback, none otherwise.
    #[serde(default)]
    pub local_roots: Option<Vec<PathBuf>>,
    /// Largest document read, bytes (default 64 MiB).
    #[serde(default)]
    pub max_bytes: Option<u64>,
    /// Time one request may take, redirects included, seconds (default 60); also the time a raster transfer may
    /// stall.
    #[serde(default)]
    pub timeout_seconds: Option<f64>,
    /// Redirects followed at most (default 5).
    #[serde(default)]
    pub max_redirects: Option<u32>,
}

/// True when `listen` (`127.0.0.1:8080`, `[::1]:0`, `localhost:8080`) is a loopback address.
fn listens_on_loopback(listen: &str) -> bool {
    match listen.parse::<SocketAddr>() {
        Ok(a) => a.ip().is_loopback(),
        Err(_) => listen
            .rsplit_once(':')
            .map_or(listen, |(host, _)| host)
            .eq_ignore_ascii_case("localhost"),
    }
}

/// The directory of the collections configuration the server uses.
fn collections_dir(cfg: &ServerConfig) -> PathBuf {
    let file = match &cfg.collections_file {
        Some(f) => cfg.base_dir.join(f),
        None if cfg.raw.contains("[[collections]]") => cfg.base_dir.join("server.toml"),
        None => crate::default_config_path(),
    };
    file.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Builds the outbound policy of a server from its configuration (call after `public_url` is known).
///
/// # Errors
/// An invalid `allow` entry or remote URL, a local root that is not a directory, a non-positive timeout.
pub fn outbound_policy(cfg: &ServerConfig) -> Result<OutboundPolicy, String> {
    let o = &cfg.outbound;
    let loopback = listens_on_loopback(&cfg.listen);
    let mut p = OutboundPolicy::new().allow_loopback(loopback);
    let remotes = cfg.remotes.iter().map(|r| r.url.clone());
    for entry in o.allow.iter().cloned().chain(remotes) {
        p = p.try_allow(&entry).map_err(|e| e.to_string())?;
    }
    // the server's own links (`public_url` is set once the listening address is known)
    let own = cfg
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", cfg.listen));
    p = match p.clone().try_allow(&own) {
        Ok(with_own) => with_own,
        Err(e) => {
            tracing::debug!("the server's own URL is not on the outbound allow list: {e}");
            p
        }
    };
    let roots = match &o.local_roots {
        Some(list) => list.iter().map(|r| cfg.base_dir.join(r)).collect(),
        None if loopback => {
            let cwd = std::env::current_dir().map_err(|e| format!("cannot read the working directory: {e}"))?;
            vec![cwd, collections_dir(cfg)]
        }
        None => Vec::new(),
    };
    for r in &roots {
        p = p.try_local_root(r).map_err(|e| e.to_string())?;
    }
    p = p.exclude_local(&cfg.data_dir);
    if let Some(b) = o.max_bytes {
        p = p.with_max_bytes(b);
    }
    if let Some(t) = o.timeout_seconds {
        if !(t > 0.0 && t.is_finite()) {
            return Err(format!("outbound timeout_seconds must be positive, not {t}"));
        }
        p = p.with_timeout(Duration::from_secs_f64(t));
    }
    if let Some(n) = o.max_redirects {
        p = p.with_max_redirects(n);
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use openeo_engine::{Error, Location};

    use super::*;

    fn config(text: &str) -> (tempfile::TempDir, ServerConfig) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.toml");
        std::fs::write(&path, text).unwrap();
        let cfg = ServerConfig::load(&path).unwrap();
        (dir, cfg)
    }

    fn refused(r: openeo_engine::Result<Location>) -> bool {
        matches!(r, Err(Error::Refused { .. }))
    }

    #[test]
    fn loopback_listener_reaches_loopback_and_local_files() {
        let (dir, cfg) = config("listen = \"127.0.0.1:0\"\ncollections_file = \"c.toml\"\n");
        std::fs::write(dir.path().join("item.json"), "{}").unwrap();
        let p = outbound_policy(&cfg).unwrap();
        assert!(p.check("http://127.0.0.1:9/x").is_ok());
        assert!(p.check(dir.path().join("item.json").to_str().unwrap()).is_ok());
        assert!(refused(p.check("http://10.0.0.1/x")));
        assert!(refused(p.check("file:///etc/passwd")));
        // the data directory stays closed although it lies under the configuration's directory
        std::fs::create_dir_all(dir.path().join("openeo-local-data")).unwrap();
        std::fs::write(dir.path().join("openeo-local-data/secret.json"), "{}").unwrap();
        let p = outbound_policy(&cfg).unwrap();
        assert!(refused(
            p.check(dir.path().join("openeo-local-data/secret.json").to_str().unwrap())
        ));
    }

    #[test]
    fn other_listeners_need_the_allow_list() {
        let (dir, cfg) = config(
            "listen = \"0.0.0.0:8080\"\npublic_url = \"http://10.0.0.7:8080\"\n\
             [[remotes]]\nid = \"b2\"\nurl = \"http://127.0.0.1:8082/openeo/1.2\"\n\
             [outbound]\nallow = [\"192.168.5.0/24\", \"minio.internal:9000\"]\nmax_bytes = 1000\ntimeout_seconds = 2.5\n",
        );
        std::fs::write(dir.path().join("item.json"), "{}").unwrap();
        let p = outbound_policy(&cfg).unwrap();
        assert!(refused(p.check("http://127.0.0.1:9/x")));
        assert!(refused(p.check("http://169.254.169.254/latest/meta-data/")));
        assert!(refused(p.check(dir.path().join("item.json").to_str().unwrap())));
        assert!(p.check("http://127.0.0.1:8082/openeo/1.2/jobs/j-1/results").is_ok());
        assert!(refused(p.check("http://127.0.0.1:8082/other")));
        assert!(p.check("http://10.0.0.7:8080/openeo/1.2/jobs/j-1/results").is_ok());
        assert!(p.check("http://192.168.5.20/stac.json").is_ok());
        assert!(p.check("http://minio.internal:9000/b/k.json").is_ok());
        assert_eq!(p.max_bytes(), 1000);
        assert_eq!(p.timeout(), Duration::from_millis(2500));
    }

    #[test]
    fn configured_roots_replace_the_defaults() {
        let (dir, cfg) = config("listen = \"0.0.0.0:0\"\n[outbound]\nlocal_roots = [\"stac\"]\n");
        assert!(outbound_policy(&cfg).is_err()); // stac/ does not exist yet
        std::fs::create_dir(dir.path().join("stac")).unwrap();
        std::fs::write(dir.path().join("stac/c.json"), "{}").unwrap();
        std::fs::write(dir.path().join("other.json"), "{}").unwrap();
        let p = outbound_policy(&cfg).unwrap();
        assert!(p.check(dir.path().join("stac/c.json").to_str().unwrap()).is_ok());
        assert!(refused(p.check(dir.path().join("other.json").to_str().unwrap())));
        let (_d, bad) = config("[outbound]\nallow = [\"ftp://x\"]\n");
        assert!(outbound_policy(&bad).is_err());
        std::fs::write(dir.path().join("typo.toml"), "[outbound]\nallowed = []\n").unwrap();
        assert!(ServerConfig::load(&dir.path().join("typo.toml")).is_err());
    }

    #[test]
    fn loopback_listeners_are_recognised() {
        for l in ["127.0.0.1:8080", "[::1]:0", "localhost:8080", "127.1.2.3:1"] {
            assert!(listens_on_loopback(l), "{l}");
        }
        for l in ["0.0.0.0:8080", "[::]:8080", "10.0.0.1:80", "example.org:80"] {
            assert!(!listens_on_loopback(l), "{l}");
        }
    }
}
