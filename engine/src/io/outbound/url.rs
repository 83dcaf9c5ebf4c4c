//! Strict parsing of the http(s) URLs the outbound policy lets through, and resolving links (`href`s, redirect
//! `Location`s) against the document they appear in.
//!
//! The parser accepts less than RFC 3986 on purpose: no user info, no percent-encoded or non-ASCII host names, no
//! spaces, control characters or backslashes anywhere. What it accepts is written back in one canonical form, and
//! only that form is requested (by ureq here or by libcurl inside GDAL), so the host that was checked is the host
//! that is contacted: no two parsers can disagree about it.

use std::net::IpAddr;

use crate::{Error, Result};

/// An `http://` or `https://` URL in canonical form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HttpUrl {
    /// `http` or `https`.
    pub(crate) scheme: &'static str,
    /// Host name (lower case, no trailing dot) or IP address (without brackets).
    pub(crate) host: String,
    /// Port (the scheme's default when none is written).
    pub(crate) port: u16,
    /// Path and query, starting with `/`.
    pub(crate) path: String,
}

impl HttpUrl {
    /// Parses an absolute http(s) URL; the reason for a refusal otherwise. A fragment is dropped.
    pub(crate) fn parse(s: &str) -> std::result::Result<HttpUrl, String> {
        if let Some(c) = s.chars().find(|c| !c.is_ascii_graphic() || *c == '\\') {
            return Err(format!("the URL contains the character {c:?}; encode it"));
        }
        let s = s.split('#').next().unwrap_or(s);
        let (scheme, rest) = s.split_once("://").ok_or_else(|| "not an absolute URL".to_string())?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "http" => "http",
            "https" => "https",
            other => return Err(format!("the scheme '{other}' is not allowed (only http and https)")),
        };
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(end);
        if authority.contains('@') {
            return Err("user names and passwords in URLs are not allowed".into());
        }
        let (host, port) = split_host_port(authority)?;
        let port = port.unwrap_or(if scheme == "https" { 443 } else { 80 });
        let path = match path {
            "" => "/".to_string(),
            p if p.starts_with('?') => format!("/{p}"),
            p => p.to_string(),
        };
        Ok(HttpUrl {
            scheme,
            host,
            port,
            path,
        })
    }

    /// The host as an IP address, when it is one.
    pub(crate) fn ip(&self) -> Option<IpAddr> {
        self.host.parse().ok()
    }

    /// True when `path` is this URL's path or lies below it (`/a` covers `/a`, `/a/b` and `/a?x`, not `/ab`).
    pub(crate) fn path_covers(&self, path: &str) -> bool {
        let prefix = self.path.as_str();
        match path.strip_prefix(prefix) {
            Some(rest) => prefix.ends_with('/') || rest.is_empty() || rest.starts_with(['/', '?']),
            None => false,
        }
    }
}

impl std::fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let default = if self.scheme == "https" { 443 } else { 80 };
        let host = match self.ip() {
            Some(IpAddr::V6(v6)) => format!("[{v6}]"),
            _ => self.host.clone(),
        };
        if self.port == default {
            write!(f, "{}://{host}{}", self.scheme, self.path)
        } else {
            write!(f, "{}://{host}:{}{}", self.scheme, self.port, self.path)
        }
    }
}

/// Splits `host[:port]` / `[v6][:port]`; host names are checked and lower-cased.
pub(crate) fn split_host_port(authority: &str) -> std::result::Result<(String, Option<u16>), String> {
    let bracketed = authority.starts_with('[');
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (v6, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("'{authority}' has an unclosed '['"))?;
        let v6: std::net::Ipv6Addr = v6.parse().map_err(|_| format!("'{v6}' is not an IPv6 address"))?;
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or_else(|| format!("'{authority}' is not host:port"))?,
            ),
        };
        (v6.to_string(), port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_ascii_lowercase(), Some(p)),
            None => (authority.to_ascii_lowercase(), None),
        }
    };
    let host = host.strip_suffix('.').map(String::from).unwrap_or(host);
    if host.is_empty() {
        return Err("the URL has no host".into());
    }
    if !bracketed
        && !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_')
    {
        return Err(format!(
            "the host name '{host}' contains characters that are not allowed"
        ));
    }
    let port = match port {
        None => None,
        Some(p) => Some(
            p.parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| format!("'{p}' is not a valid port"))?,
        ),
    };
    Ok((host, port))
}

/// True for `http://…` and `https://…` (any case).
pub(crate) fn is_http(s: &str) -> bool {
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// True when `s` starts with a URL scheme (`name:`), e.g. `file:`, `s3:`, `http:`.
fn has_scheme(s: &str) -> bool {
    match s.split_once(':') {
        Some((scheme, _)) => {
            scheme.len() > 1
                && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        }
        None => false,
    }
}

/// Resolves a link `href` found in the document at `base` (a URL or a local path), as a browser would: absolute
/// URLs stay, `//host/…`, `/path`, `?query` and relative paths are taken relative to `base`.
///
/// A document read over HTTP may only link to http(s) URLs: a `file://` URL or another scheme in it is refused, and
/// `/path` means a path on the same server, never a local file.
///
/// # Errors
/// [`Error::Refused`] for a link from an http(s) document to anything but http(s).
pub fn resolve_href(base: &str, href: &str) -> Result<String> {
    let remote_base = is_http(base);
    if has_scheme(href) {
        if remote_base && !is_http(href) {
            return Err(Error::Refused {
                location: href.to_string(),
                reason: format!("the document {base}, read over HTTP, may only link to http(s) URLs"),
            });
        }
        return Ok(href.to_string());
    }
    if remote_base {
        let (scheme, rest) = base.split_once("://").unwrap_or(("http", base));
        let origin_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let origin = format!("{scheme}://{}", &rest[..origin_end]);
        let base_path = rest[origin_end..].split(['?', '#']).next().unwrap_or("");
        return Ok(if let Some(net) = href.strip_prefix("//") {
            format!("{scheme}://{net}")
        } else if href.starts_with('/') {
            format!("{origin}{}", normalize_path(href))
        } else if href.starts_with('?') {
            format!("{origin}{}{href}", if base_path.is_empty() { "/" } else { base_path })
        } else {
            let dir = &base_path[..base_path.rfind('/').map_or(0, |i| i + 1)];
            let dir = if dir.is_empty() { "/" } else { dir };
            format!("{origin}{}", normalize_path(&format!("{dir}{href}")))
        });
    }
    if href.starts_with('/') {
        return Ok(href.to_string());
    }
    // a local document: relative to its directory (`..` is resolved when the path is checked)
    let dir = base.split('?').next().unwrap_or(base);
    let dir = &dir[..dir.rfind('/').map_or(0, |i| i + 1)];
    Ok(format!("{dir}{}", href.strip_prefix("./").unwrap_or(href)))
}

/// Removes `.` and `..` segments of a URL path (the query is left alone).
fn normalize_path(path: &str) -> String {
    let (p, query) = match path.find('?') {
        Some(i) => path.split_at(i),
        None => (path, ""),
    };
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = p.split('/').skip(1).collect();
    for (i, seg) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        match *seg {
            "." => {
                if last {
                    out.push("");
                }
            }
            ".." => {
                out.pop();
                if last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    format!("/{}{query}", out.join("/"))
}

/// Decodes `%XX` escapes (of a `file://` URL's path); `None` for malformed escapes or non-UTF-8 results.
pub(crate) fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Encodes everything but unreserved characters (for a URL inside a GDAL `/vsicurl?…&url=` name).
pub(crate) fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_into_canonical_form() {
        let u = HttpUrl::parse("HTTP://Example.COM./a/b?x=1#frag").unwrap();
        assert_eq!(
            (u.scheme, u.host.as_str(), u.port, u.path.as_str()),
            ("http", "example.com", 80, "/a/b?x=1")
        );
        assert_eq!(u.to_string(), "http://example.com/a/b?x=1");
        let u = HttpUrl::parse("https://[::1]:8443").unwrap();
        assert_eq!((u.host.as_str(), u.port, u.path.as_str()), ("::1", 8443, "/"));
        assert_eq!(u.to_string(), "https://[::1]:8443/");
        assert_eq!(HttpUrl::parse("http://h:80?q").unwrap().to_string(), "http://h/?q");
        for bad in [
            "file:///etc/passwd",
            "ftp://h/x",
            "http://user:pw@h/",
            "http://h@169.254.169.254/",
            "http://h:0/",
            "http://h:99999/",
            "http://h:/",
            "http:///x",
            "http://a b/",
            "http://h/a b",
            "http://h\\@evil/",
            "http://h%2e/",
            "http://[::1/",
            "http://h:1:2/",
            "/etc/passwd",
        ] {
            assert!(HttpUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn paths_cover_only_whole_segments() {
        let p = HttpUrl::parse("http://h/openeo").unwrap();
        assert!(p.path_covers("/openeo"));
        assert!(p.path_covers("/openeo/jobs"));
        assert!(p.path_covers("/openeo?x"));
        assert!(!p.path_covers("/openeo-evil"));
        assert!(HttpUrl::parse("http://h").unwrap().path_covers("/anything"));
    }

    #[test]
    fn hrefs_resolve_against_the_document() -> Result<()> {
        assert_eq!(
            resolve_href("http://h/a/b/collection.json", "./item.json")?,
            "http://h/a/b/item.json"
        );
        assert_eq!(
            resolve_href("http://h/a/b/c.json?x=1", "c/d.tif")?,
            "http://h/a/b/c/d.tif"
        );
        assert_eq!(resolve_href("http://h/a/b/c.json", "../x.json")?, "http://h/a/x.json");
        assert_eq!(
            resolve_href("http://h:8/a/c.json", "/etc/passwd")?,
            "http://h:8/etc/passwd"
        );
        assert_eq!(resolve_href("https://h/a/c.json", "//o/x.tif")?, "https://o/x.tif");
        assert_eq!(
            resolve_href("http://h/a/c.json", "?page=2")?,
            "http://h/a/c.json?page=2"
        );
        assert_eq!(resolve_href("http://h", "x.json")?, "http://h/x.json");
        assert_eq!(
            resolve_href("http://h/a/collection.json", "https://o/x.tif")?,
            "https://o/x.tif"
        );
        assert_eq!(
            resolve_href("/data/stac/collection.json", "item.json")?,
            "/data/stac/item.json"
        );
        assert_eq!(
            resolve_href("/data/stac/c.json?limit=1", "./i.json")?,
            "/data/stac/i.json"
        );
        assert_eq!(resolve_href("/data/c.json", "/other/i.json")?, "/other/i.json");
        assert_eq!(resolve_href("file:///data/c.json", "i.json")?, "file:///data/i.json");
        assert_eq!(resolve_href("/data/c.json", "http://h/i.json")?, "http://h/i.json");
        for local in ["file:///etc/passwd", "s3://bucket/x.tif", "FILE:/etc/passwd"] {
            assert!(
                matches!(resolve_href("http://h/c.json", local), Err(Error::Refused { .. })),
                "{local}"
            );
        }
        Ok(())
    }

    #[test]
    fn percent_coding_round_trips() {
        let url = "http://h:8/a b?x=1&y=%2F";
        assert_eq!(percent_decode(&percent_encode(url)).as_deref(), Some(url));
        assert_eq!(percent_decode("/a%20b").as_deref(), Some("/a b"));
        assert_eq!(percent_decode("/a%2"), None);
    }
}
