//! Outbound requests and local paths: one [`OutboundPolicy`] decides every URL or path a user can make the engine
//! read (`load_stac` documents, the links and assets in them, dependency polling), and does the reading.
//!
//! The policy is a value, passed in by whoever evaluates a graph (the server builds it from its configuration, the
//! `run` command from the working directory); nothing here is global.
//!
//! Rules, in order:
//! - **Syntax.** Only `http://` and `https://` URLs, plain paths and `file://` URLs (local host) are accepted, in the
//!   strict form of [`url`]; user info, odd characters and other schemes are refused. `s3://bucket/key` locations
//!   are read with the server's storage credentials, so only those under an allow entry `s3://bucket[/prefix]` are
//!   accepted. The canonical form of a URL is
//!   what gets requested, so the checked host is the contacted host.
//! - **Allow list.** An entry is a URL prefix (`https://data.example/stac`, whole path segments), a host
//!   (`minio.internal`, `minio.internal:9000`) or an address range (`10.1.0.0/16`, `fd00::1`). A URL matching a
//!   prefix or host entry is trusted whatever its host resolves to; range entries permit addresses.
//! - **Addresses.** Otherwise the host is resolved and every address must be public: private (10/8, 172.16/12,
//!   192.168/16, 100.64/10, fc00::/7), link-local (169.254/16 with the cloud metadata address, fe80::/10),
//!   unspecified, multicast and reserved addresses are refused, and loopback too unless the policy allows it
//!   ([`OutboundPolicy::allow_loopback`]). The check runs inside the HTTP client's name resolver, right before it
//!   connects, so a refused address is never connected to and DNS answers cannot change between check and use;
//!   IP literals are refused before any request.
//! - **Redirects** are followed here, hop by hop (at most [`OutboundPolicy::with_max_redirects`]), each target
//!   checked like the first URL. A document read over HTTP may only link to http(s) URLs ([`resolve_href`]).
//! - **Local paths** must lie under one of the local roots after resolving `..` and symbolic links, and outside
//!   the excluded directories; without roots no local file is readable. GDAL virtual file names (`/vsi…`) are
//!   refused.
//! - **Caps.** Documents larger than [`OutboundPolicy::with_max_bytes`] and requests (all hops together) taking
//!   longer than [`OutboundPolicy::with_timeout`] fail.
//!
//! **Raster assets.** Remote assets are read by the object store (range requests) or, for layouts the direct
//! readers do not cover, by GDAL's `/vsicurl/` (libcurl). Both would follow redirects on their own (GDAL 3.6 has no
//! option to stop libcurl), so [`OutboundPolicy::raster_source`] first follows the asset URL's redirects itself
//! with a one-byte range GET through the policy and hands the readers the final URL; GDAL gets it as
//! `/vsicurl?max_retry=0&empty_dir=yes&low_speed_time=…&low_speed_limit=1&url=…` (no retries, no directory
//! listings or side-car probes, and a transfer that stalls for the timeout is aborted). What remains outside the
//! policy's reach: the readers resolve the host again themselves, and a server that answers the probe directly but
//! redirects later range requests is followed. Remote assets are opened with the GeoTIFF driver only, so a remote
//! file cannot make GDAL open further files (as a VRT could).

mod addr;
mod fetch;
#[cfg(test)]
mod stub;
mod url;

use std::net::IpAddr;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

pub(crate) use url::percent_encode;
pub use url::resolve_href;

use crate::{Error, Result};
use addr::{IpNet, Special, classify};
use url::{HttpUrl, is_http, percent_decode};

/// Documents larger than this are refused unless configured otherwise (64 MiB).
pub const DEFAULT_MAX_BYTES: u64 = 64 << 20;
/// Time allowed for one document request, all redirects included, unless configured otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Redirects followed at most, unless configured otherwise.
pub const DEFAULT_MAX_REDIRECTS: u32 = 5;

/// One entry of the allow list.
#[derive(Clone, Debug)]
enum Rule {
    /// `http(s)://host[:port][/path]`: URLs at or below it are trusted.
    Prefix(HttpUrl),
    /// `host` or `host:port`: URLs on that host are trusted.
    Host { host: String, port: Option<u16> },
    /// An address or address range that may be connected to.
    Net(IpNet),
    /// `s3://bucket[/prefix]`: objects at or below it may be read.
    Bucket(String),
}

/// A local directory files may be read from, as configured (absolute) and with links resolved.
#[derive(Clone, Debug)]
struct Root {
    given: PathBuf,
    real: PathBuf,
}

/// Where a checked location points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A local file: its canonical path, under one of the local roots.
    File(PathBuf),
    /// An http(s) URL in canonical form (its host's addresses are checked when it is connected to).
    Http(String),
    /// An object in a bucket (`s3://bucket/key`) an allow entry covers.
    Bucket(String),
}

/// A checked location, as the fetching code uses it.
enum Checked {
    Http(HttpUrl),
    File(PathBuf),
    Bucket(String),
}

/// What the engine may fetch for a user: which URLs, which local files, how much and how long. See the module
/// documentation for the rules.
///
/// ```
/// use openeo_engine::{Location, OutboundPolicy};
/// let policy = OutboundPolicy::new().try_allow("10.1.0.0/16")?;
/// assert!(policy.check("http://169.254.169.254/latest/meta-data/").is_err());
/// assert!(policy.check("http://10.1.2.3/stac/item.json").is_ok());
/// assert!(policy.check("/etc/passwd").is_err()); // no local roots
/// assert_eq!(policy.check("HTTP://Example.org")?, Location::Http("http://example.org/".into()));
/// # Ok::<(), openeo_engine::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct OutboundPolicy {
    rules: Vec<Rule>,
    loopback: bool,
    roots: Vec<Root>,
    excluded: Vec<PathBuf>,
    max_bytes: u64,
    timeout: Duration,
    max_redirects: u32,
}

impl Default for OutboundPolicy {
    fn default() -> OutboundPolicy {
        OutboundPolicy::new()
    }
}

impl OutboundPolicy {
    /// The strictest policy: public http(s) URLs only, no loopback, no local files, default caps.
    pub fn new() -> OutboundPolicy {
        OutboundPolicy {
            rules: Vec::new(),
            loopback: false,
            roots: Vec::new(),
            excluded: Vec::new(),
            max_bytes: DEFAULT_MAX_BYTES,
            timeout: DEFAULT_TIMEOUT,
            max_redirects: DEFAULT_MAX_REDIRECTS,
        }
    }

    /// Adds an allow-list entry: a URL prefix (`http(s)://host[:port][/path]`), a host (`name`, `name:port`,
    /// `[v6]:port`), an address or range (`10.0.0.5`, `10.0.0.0/8`, `fd00::/8`) or a bucket or bucket prefix
    /// (`s3://bucket`, `s3://bucket/prefix`).
    ///
    /// # Errors
    /// [`Error::Invalid`] for an entry that is none of these.
    pub fn try_allow(mut self, entry: &str) -> Result<OutboundPolicy> {
        let bad = |reason: String| Error::invalid(format!("outbound allow entry '{entry}': {reason}"));
        let entry = entry.trim();
        let rule = if let Some(rest) = entry.strip_prefix("s3://") {
            if rest.is_empty() || rest.starts_with('/') || rest.contains(['?', '#', ' ']) {
                return Err(bad("an s3:// entry names a bucket and optionally a key prefix".into()));
            }
            Rule::Bucket(rest.trim_end_matches('/').to_string())
        } else if entry.contains("://") {
            Rule::Prefix(HttpUrl::parse(entry).map_err(bad)?)
        } else if entry.contains('/') || entry.parse::<IpAddr>().is_ok() {
            Rule::Net(entry.parse().map_err(bad)?)
        } else {
            let (host, port) = url::split_host_port(entry).map_err(bad)?;
            Rule::Host { host, port }
        };
        self.rules.push(rule);
        Ok(self)
    }

    /// Lets loopback addresses (127/8, ::1) be connected to, e.g. when the server itself listens on loopback.
    pub fn allow_loopback(mut self, allow: bool) -> OutboundPolicy {
        self.loopback = allow;
        self
    }

    /// Lets files under `dir` (relative paths: the working directory's) be read.
    ///
    /// # Errors
    /// [`Error::Invalid`] when `dir` is not an accessible directory.
    pub fn try_local_root(mut self, dir: &Path) -> Result<OutboundPolicy> {
        let given = absolute(dir);
        let real = std::fs::canonicalize(&given)
            .ok()
            .filter(|p| p.is_dir())
            .ok_or_else(|| {
                Error::invalid(format!(
                    "outbound local root {} is not an accessible directory",
                    dir.display()
                ))
            })?;
        self.roots.push(Root { given, real });
        Ok(self)
    }

    /// Keeps files under `dir` unreadable even when a local root contains them (e.g. the server's data directory).
    pub fn exclude_local(mut self, dir: &Path) -> OutboundPolicy {
        let abs = absolute(dir);
        self.excluded.push(std::fs::canonicalize(&abs).unwrap_or(abs));
        self
    }

    /// Sets the largest document that is read, in bytes.
    pub fn with_max_bytes(mut self, bytes: u64) -> OutboundPolicy {
        self.max_bytes = bytes;
        self
    }

    /// Sets the time one request may take, redirects included (at least a millisecond).
    pub fn with_timeout(mut self, timeout: Duration) -> OutboundPolicy {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// Sets how many redirects are followed.
    pub fn with_max_redirects(mut self, hops: u32) -> OutboundPolicy {
        self.max_redirects = hops;
        self
    }

    /// The largest document that is read, in bytes.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// The time one request may take.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Checks a URL or local path without reading it. For a URL the syntax, the allow list and a literal IP address
    /// are checked; host names are checked when they are resolved, right before connecting.
    ///
    /// # Errors
    /// [`Error::Refused`] when the policy does not allow the location; [`Error::Fetch`] for a local path that does
    /// not exist.
    pub fn check(&self, location: &str) -> Result<Location> {
        Ok(match self.check_location(location)? {
            Checked::Http(url) => Location::Http(url.to_string()),
            Checked::File(path) => Location::File(path),
            Checked::Bucket(location) => Location::Bucket(location),
        })
    }

    /// Reads a text document (a STAC document, a job's results) from a URL or a local path.
    ///
    /// # Errors
    /// [`Error::Refused`] when the location, a redirect target or an address is not allowed; [`Error::Fetch`] when
    /// the document cannot be read, is larger than the size cap or takes longer than the timeout.
    pub fn fetch_text(&self, location: &str) -> Result<String> {
        match self.check_location(location)? {
            Checked::Http(url) => fetch::get_text(self, &url),
            Checked::File(path) => fetch::read_local(self, &path, location),
            Checked::Bucket(location) => fetch::read_object(self, &location),
        }
    }

    /// The location under which the raster asset `href` may be read: its canonical local path, or for a URL where
    /// its redirects end (see the module documentation).
    ///
    /// # Errors
    /// As [`OutboundPolicy::fetch_text`].
    pub fn raster_source(&self, href: &str) -> Result<String> {
        match self.check_location(href)? {
            Checked::Http(url) => Ok(fetch::probe(self, &url)?.to_string()),
            Checked::Bucket(location) => Ok(location),
            Checked::File(path) => path.to_str().map(String::from).ok_or_else(|| Error::Refused {
                location: href.to_string(),
                reason: "the path is not valid UTF-8".into(),
            }),
        }
    }

    fn check_location(&self, location: &str) -> Result<Checked> {
        if is_http(location) {
            return Ok(Checked::Http(self.check_url(location)?));
        }
        if let Some(rest) = location.strip_prefix("s3://") {
            let covered = self.rules.iter().any(|r| match r {
                Rule::Bucket(prefix) => {
                    rest == prefix
                        || rest
                            .strip_prefix(prefix.as_str())
                            .is_some_and(|tail| tail.starts_with('/'))
                }
                _ => false,
            });
            if !covered || rest.contains(['?', '#']) || rest.split('/').any(|seg| seg == "..") {
                return Err(Error::Refused {
                    location: location.to_string(),
                    reason: "objects in buckets are read with the server's credentials: only buckets listed in the \
                             outbound allow list (s3://bucket[/prefix]) may be read"
                        .into(),
                });
            }
            return Ok(Checked::Bucket(location.to_string()));
        }
        Ok(Checked::File(self.check_path(location)?))
    }

    /// Parses and checks a URL (syntax, allow list, literal address).
    fn check_url(&self, location: &str) -> Result<HttpUrl> {
        let refuse = |reason: String| Error::Refused {
            location: location.to_string(),
            reason,
        };
        let url = HttpUrl::parse(location).map_err(refuse)?;
        if !self.trusts(&url)
            && let Some(ip) = url.ip()
        {
            self.check_ip(ip).map_err(|kind| {
                refuse(format!(
                    "{ip} is {}, which the outbound policy does not allow",
                    kind.describe()
                ))
            })?;
        }
        Ok(url)
    }

    /// True when a prefix or host entry covers `url` (its addresses are then not checked).
    fn trusts(&self, url: &HttpUrl) -> bool {
        self.rules.iter().any(|rule| match rule {
            Rule::Prefix(p) => {
                p.scheme == url.scheme && p.host == url.host && p.port == url.port && p.path_covers(&url.path)
            }
            Rule::Host { host, port } => *host == url.host && port.is_none_or(|p| p == url.port),
            Rule::Net(_) | Rule::Bucket(_) => false,
        })
    }

    /// Whether an address may be connected to; the kind of address when not.
    fn check_ip(&self, ip: IpAddr) -> std::result::Result<(), Special> {
        if self.rules.iter().any(|r| matches!(r, Rule::Net(n) if n.contains(ip))) {
            return Ok(());
        }
        match classify(ip) {
            None => Ok(()),
            Some(Special::Loopback) if self.loopback => Ok(()),
            Some(kind) => Err(kind),
        }
    }

    /// Checks a plain path or `file://` URL; returns the canonical path.
    fn check_path(&self, location: &str) -> Result<PathBuf> {
        let refuse = |reason: &str| Error::Refused {
            location: location.to_string(),
            reason: reason.to_string(),
        };
        let lower = location.get(..7).unwrap_or("").to_ascii_lowercase();
        let path = if lower == "file://" {
            let rest = &location[7..];
            let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            if !(host.is_empty() || host.eq_ignore_ascii_case("localhost")) {
                return Err(refuse("file URLs must name a file on this machine"));
            }
            let path = path.split(['?', '#']).next().unwrap_or(path);
            percent_decode(path).ok_or_else(|| refuse("the URL has a malformed %-escape"))?
        } else if location.contains("://") || location.starts_with("file:") {
            return Err(refuse("only http(s) URLs, file:// URLs and local paths are allowed"));
        } else {
            // item-search parameters appended to a local document mean nothing for a file
            location.split('?').next().unwrap_or(location).to_string()
        };
        if path.is_empty() {
            return Err(refuse("the path is empty"));
        }
        if path.starts_with("/vsi") {
            return Err(refuse("GDAL virtual file names are not allowed"));
        }
        if self.roots.is_empty() {
            return Err(refuse("reading local files is not allowed here"));
        }
        let abs = absolute(Path::new(&path));
        if !self
            .roots
            .iter()
            .any(|r| abs.starts_with(&r.given) || abs.starts_with(&r.real))
        {
            return Err(refuse(
                "the path is outside the directories local files may be read from",
            ));
        }
        let real = std::fs::canonicalize(&abs).map_err(|e| Error::Fetch {
            location: location.to_string(),
            message: e.to_string(),
        })?;
        if !self.roots.iter().any(|r| real.starts_with(&r.real)) {
            return Err(refuse(
                "the path leads outside the directories local files may be read from (through a symbolic link)",
            ));
        }
        if self.excluded.iter().any(|x| real.starts_with(x)) {
            return Err(refuse("the server's own data directory is not readable"));
        }
        Ok(real)
    }
}

impl std::fmt::Display for OutboundPolicy {
    /// One line for logs: allow list, loopback, local roots and caps.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let allow: Vec<String> = self
            .rules
            .iter()
            .map(|r| match r {
                Rule::Prefix(u) => u.to_string(),
                Rule::Host { host, port: Some(p) } => format!("{host}:{p}"),
                Rule::Host { host, port: None } => host.clone(),
                Rule::Net(n) => n.to_string(),
                Rule::Bucket(b) => format!("s3://{b}"),
            })
            .collect();
        let roots: Vec<String> = self.roots.iter().map(|r| r.real.display().to_string()).collect();
        write!(
            f,
            "public http(s); allowed besides: [{}]; loopback: {}; local roots: [{}]; max {} bytes, {} s, {} redirects",
            allow.join(", "),
            if self.loopback { "yes" } else { "no" },
            roots.join(", "),
            self.max_bytes,
            self.timeout.as_secs_f64(),
            self.max_redirects
        )
    }
}

/// `path` made absolute against the working directory, with `.` and `..` removed lexically.
fn absolute(path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(r: Result<impl std::fmt::Debug>) -> bool {
        matches!(r, Err(Error::Refused { .. }))
    }

    #[test]
    fn allow_entries_parse() -> Result<()> {
        let p = OutboundPolicy::new()
            .try_allow("https://data.example/stac")?
            .try_allow("minio.internal:9000")?
            .try_allow("intranet")?
            .try_allow("10.1.0.0/16")?
            .try_allow("fd00::1")?;
        assert!(p.check("https://data.example/stac/items/a.json").is_ok());
        assert!(p.check("https://DATA.example:443/stac?x").is_ok());
        assert!(p.check("http://minio.internal:9000/b/k.tif").is_ok());
        assert!(p.check("http://intranet:8080/x").is_ok());
        assert!(p.check("http://10.1.200.3/x").is_ok());
        assert!(p.check("http://[fd00::1]:81/x").is_ok());
        assert!(refused(p.check("http://10.2.0.1/x")));
        assert!(refused(p.check("http://[fd00::2]/x")));
        for bad in ["ftp://x/", "http://", "10.0.0.0/99", "a b", "http://u@h/", "h:0"] {
            assert!(
                matches!(OutboundPolicy::new().try_allow(bad), Err(Error::Invalid { .. })),
                "{bad}"
            );
        }
        Ok(())
    }

    #[test]
    fn buckets_are_read_only_where_listed() -> Result<()> {
        let p = OutboundPolicy::new().try_allow("s3://data/stac/")?;
        let item = "s3://data/stac/item.json";
        assert_eq!(p.check(item)?, Location::Bucket(item.into()));
        assert_eq!(p.raster_source("s3://data/stac/a.tif")?, "s3://data/stac/a.tif");
        for refused in [
            "s3://data/stacked/x",
            "s3://other/stac/x",
            "s3://data/stac/../secret",
            "s3://data/x?y",
        ] {
            assert!(matches!(p.check(refused), Err(Error::Refused { .. })), "{refused}");
        }
        assert!(OutboundPolicy::new().check(item).is_err());
        assert!(OutboundPolicy::new().try_allow("s3://").is_err());
        assert!(OutboundPolicy::new().try_allow("s3:///x").is_err());
        Ok(())
    }

    #[test]
    fn prefixes_and_hosts_trust_names_not_neighbours() -> Result<()> {
        let p = OutboundPolicy::new()
            .try_allow("http://127.0.0.1:8082/openeo/1.2")?
            .try_allow("localhost:9000")?;
        assert!(p.check("http://127.0.0.1:8082/openeo/1.2/jobs/j/results").is_ok());
        assert!(refused(p.check("http://127.0.0.1:8082/openeo/1.2x")));
        assert!(refused(p.check("http://127.0.0.1:8083/openeo/1.2/jobs")));
        assert!(refused(p.check("https://127.0.0.1:8082/openeo/1.2/jobs")));
        assert!(p.check("http://localhost:9000/x").is_ok());
        Ok(())
    }

    #[test]
    fn special_addresses_need_permission() -> Result<()> {
        let strict = OutboundPolicy::new();
        for url in [
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.1/",
            "http://172.16.5.4/",
            "http://192.168.0.1/",
            "http://100.64.1.1/",
            "http://[fe80::1]/",
            "http://[fc00::1]/",
            "http://[::ffff:169.254.169.254]/",
            "http://127.0.0.1:8080/",
            "http://[::1]/",
            "http://0.0.0.0:8080/",
        ] {
            assert!(refused(strict.check(url)), "{url}");
        }
        assert!(strict.check("http://8.8.8.8/x").is_ok());
        assert!(strict.check("https://example.org/x").is_ok()); // names are checked when resolved
        let loopback = OutboundPolicy::new().allow_loopback(true);
        assert!(loopback.check("http://127.0.0.1:8080/").is_ok());
        assert!(loopback.check("http://[::1]/").is_ok());
        assert!(refused(loopback.check("http://169.254.169.254/")));
        let listed = OutboundPolicy::new().try_allow("169.254.169.254")?;
        assert!(listed.check("http://169.254.169.254/").is_ok());
        Ok(())
    }

    #[test]
    fn local_paths_only_under_roots() -> Result<()> {
        let root = tempfile::tempdir().map_err(|e| Error::internal(e.to_string()))?;
        let outside = tempfile::tempdir().map_err(|e| Error::internal(e.to_string()))?;
        let inside_file = root.path().join("a b.json");
        let outside_file = outside.path().join("secret.json");
        std::fs::write(&inside_file, "{}").unwrap();
        std::fs::write(&outside_file, "{}").unwrap();
        std::fs::create_dir(root.path().join("data")).unwrap();
        std::fs::write(root.path().join("data/x.json"), "{}").unwrap();
        std::os::unix::fs::symlink(&outside_file, root.path().join("link.json")).unwrap();
        let p = OutboundPolicy::new()
            .try_local_root(root.path())?
            .exclude_local(&root.path().join("data"));
        let real = std::fs::canonicalize(&inside_file).unwrap();
        let s = |p: &Path| p.to_str().unwrap().to_string();
        assert_eq!(p.check(&s(&inside_file))?, Location::File(real.clone()));
        assert_eq!(
            p.check(&format!("{}?limit=100", s(&inside_file)))?,
            Location::File(real.clone())
        );
        let file_url = format!("file://{}", s(&inside_file).replace(' ', "%20"));
        assert_eq!(p.check(&file_url)?, Location::File(real.clone()));
        assert_eq!(
            p.check(&file_url.replace("file://", "file://localhost"))?,
            Location::File(real)
        );
        assert!(refused(p.check(&s(&outside_file))));
        assert!(refused(p.check(&format!("file://{}", s(&outside_file)))));
        assert!(refused(p.check(&format!("{}/../{}", s(root.path()), s(&outside_file)))));
        assert!(refused(p.check(&s(&root.path().join("link.json")))));
        assert!(refused(p.check(&s(&root.path().join("data/x.json")))));
        assert!(refused(p.check("file:///etc/passwd")));
        assert!(refused(p.check("/etc/passwd")));
        assert!(refused(p.check("file://otherhost/etc/passwd")));
        assert!(refused(p.check("/vsicurl/http://169.254.169.254/x")));
        assert!(refused(p.check("s3://bucket/key.tif")));
        assert!(refused(p.check("file:/etc/passwd")));
        assert!(matches!(
            p.check(&s(&root.path().join("missing.json"))),
            Err(Error::Fetch { .. })
        ));
        // no roots: nothing local
        assert!(refused(OutboundPolicy::new().check(&s(&inside_file))));
        assert!(
            OutboundPolicy::new()
                .try_local_root(&outside.path().join("nope"))
                .is_err()
        );
        Ok(())
    }

    #[test]
    fn local_documents_are_capped() -> Result<()> {
        let root = tempfile::tempdir().map_err(|e| Error::internal(e.to_string()))?;
        let f = root.path().join("big.json");
        std::fs::write(&f, vec![b' '; 2000]).unwrap();
        let p = OutboundPolicy::new().try_local_root(root.path())?;
        assert_eq!(p.fetch_text(f.to_str().unwrap())?.len(), 2000);
        let capped = p.with_max_bytes(1000);
        let err = capped.fetch_text(f.to_str().unwrap()).unwrap_err();
        assert!(
            matches!(err, Error::Fetch { .. }) && err.to_string().contains("1000 bytes"),
            "{err}"
        );
        Ok(())
    }
}
