//! Requests under the outbound policy: ureq with no proxy, no automatic redirects and a name resolver that refuses
//! addresses the policy does not allow; redirects followed hop by hop, each target checked; size and time caps;
//! `https` with rustls and the system's trust store.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::time::Instant;

use ureq::config::Config;
use ureq::http::{Response, Uri};
use ureq::tls::{RootCerts, TlsConfig};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};
use ureq::{Agent, Body};

use super::OutboundPolicy;
use super::url::{HttpUrl, resolve_href};
use crate::{Error, Result};

/// A refusal by the resolver, carried through ureq inside an `io::Error`.
#[derive(Debug)]
struct Refusal(String);

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refusal {}

/// Resolves host names and refuses the request when an address is not allowed, right before ureq connects.
#[derive(Debug)]
struct PolicyResolver(OutboundPolicy);

impl Resolver for PolicyResolver {
    fn resolve(&self, uri: &Uri, config: &Config, timeout: NextTimeout) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let refuse = |reason: String| {
            ureq::Error::Io(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                Refusal(reason),
            ))
        };
        let url = HttpUrl::parse(&uri.to_string()).map_err(refuse)?;
        let addrs = DefaultResolver::default().resolve(uri, config, timeout)?;
        if !self.0.trusts(&url) {
            for a in addrs.iter() {
                self.0.check_ip(a.ip()).map_err(|kind| {
                    refuse(format!(
                        "{} resolves to {}, {}, which the outbound policy does not allow",
                        url.host,
                        a.ip(),
                        kind.describe()
                    ))
                })?;
            }
        }
        Ok(addrs)
    }
}

fn fetch_error(location: &str, message: impl Into<String>) -> Error {
    Error::Fetch {
        location: location.to_string(),
        message: message.into(),
    }
}

fn too_large(location: &str, max: u64) -> Error {
    fetch_error(
        location,
        format!("the document is larger than the limit of {max} bytes"),
    )
}

/// An agent for one request that may take `remaining`.
fn agent(policy: &OutboundPolicy, remaining: std::time::Duration) -> Agent {
    let config = Agent::config_builder()
        .timeout_global(Some(remaining))
        .max_redirects(0)
        .http_status_as_error(false)
        .proxy(None)
        .user_agent("openeo-local")
        // the system's trust store (`SSL_CERT_FILE` / `SSL_CERT_DIR` when set), as for rasters read over https
        .tls_config(TlsConfig::builder().root_certs(RootCerts::PlatformVerifier).build())
        .build();
    Agent::with_parts(config, DefaultConnector::default(), PolicyResolver(policy.clone()))
}

/// Turns a ureq error for `target` into an engine error (refusals by the resolver stay refusals).
fn request_error(policy: &OutboundPolicy, target: &str, e: ureq::Error) -> Error {
    match e {
        ureq::Error::Io(io) if io.get_ref().is_some_and(|r| r.is::<Refusal>()) => Error::Refused {
            location: target.to_string(),
            reason: io.get_ref().map(ToString::to_string).unwrap_or_default(),
        },
        ureq::Error::Timeout(_) => fetch_error(
            target,
            format!("no complete answer within {} s", policy.timeout.as_secs_f64()),
        ),
        ureq::Error::HostNotFound => fetch_error(target, "the host name does not resolve"),
        ureq::Error::BodyExceedsLimit(_) => too_large(target, policy.max_bytes),
        other => fetch_error(target, other.to_string()),
    }
}

/// GETs `url`, following redirects hop by hop through the policy; returns the final URL and its (2xx) response.
/// With `probe`, only the first byte is asked for.
fn follow(policy: &OutboundPolicy, url: &HttpUrl, probe: bool) -> Result<(HttpUrl, Response<Body>)> {
    let deadline = Instant::now() + policy.timeout;
    let mut current = url.clone();
    let mut hops = 0;
    loop {
        let target = current.to_string();
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(request_error(
                policy,
                &target,
                ureq::Error::Timeout(ureq::Timeout::Global),
            ));
        }
        let mut request = agent(policy, remaining).get(&target);
        if probe {
            request = request.header("Range", "bytes=0-0");
        }
        let response = request.call().map_err(|e| request_error(policy, &target, e))?;
        let status = response.status();
        if status.is_redirection() {
            let location = response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| fetch_error(&target, format!("HTTP {status} without a Location")))?;
            hops += 1;
            if hops > policy.max_redirects {
                return Err(fetch_error(
                    &url.to_string(),
                    format!("more than {} redirects", policy.max_redirects),
                ));
            }
            let next = resolve_href(&target, location).and_then(|next| policy.check_url(&next));
            current = next.map_err(|e| match e {
                Error::Refused { location, reason } => Error::Refused {
                    location,
                    reason: format!("{reason} (redirected to from {target})"),
                },
                e => e,
            })?;
            continue;
        }
        if !status.is_success() {
            return Err(fetch_error(&target, format!("HTTP {status}")));
        }
        return Ok((current, response));
    }
}

/// Reads the document at `url` as text.
pub(super) fn get_text(policy: &OutboundPolicy, url: &HttpUrl) -> Result<String> {
    let (last, mut response) = follow(policy, url, false)?;
    let target = last.to_string();
    response
        .body_mut()
        .with_config()
        .limit(policy.max_bytes)
        .read_to_string()
        .map_err(|e| request_error(policy, &target, e))
}

/// Where `url`'s redirects end (checked hop by hop), asking for one byte at each hop.
pub(super) fn probe(policy: &OutboundPolicy, url: &HttpUrl) -> Result<HttpUrl> {
    // the answer's body is not read: dropping it closes the connection
    follow(policy, url, true).map(|(last, _)| last)
}

/// Reads a document in a bucket (already checked) with the size cap.
pub(super) fn read_object(policy: &OutboundPolicy, location: &str) -> Result<String> {
    let object = crate::io::store::object(location)?;
    if object.size() > policy.max_bytes {
        return Err(too_large(location, policy.max_bytes));
    }
    let bytes = object.read_all()?;
    String::from_utf8(bytes.to_vec()).map_err(|_| fetch_error(location, "the document is not UTF-8 text"))
}

/// Reads a local document (already checked) with the size cap.
pub(super) fn read_local(policy: &OutboundPolicy, path: &Path, location: &str) -> Result<String> {
    let fail = |e: std::io::Error| fetch_error(location, e.to_string());
    let file = File::open(path).map_err(fail)?;
    let mut text = String::new();
    file.take(policy.max_bytes.saturating_add(1))
        .read_to_string(&mut text)
        .map_err(fail)?;
    if text.len() as u64 > policy.max_bytes {
        return Err(too_large(location, policy.max_bytes));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::stub::{Reply, Stub};
    use super::*;

    fn refused(r: &Result<impl std::fmt::Debug>, location: &str) -> bool {
        matches!(r, Err(Error::Refused { location: l, .. }) if l == location)
    }

    #[test]
    fn loopback_needs_permission() -> Result<()> {
        let stub = Stub::start(|_| Reply::Ok(b"{\"a\": 1}".to_vec()));
        let url = format!("{}/doc.json", stub.base);
        let r = OutboundPolicy::new().fetch_text(&url);
        assert!(refused(&r, &url), "{r:?}");
        assert!(stub.requests().is_empty());
        assert_eq!(
            OutboundPolicy::new().allow_loopback(true).fetch_text(&url)?,
            "{\"a\": 1}"
        );
        assert!(OutboundPolicy::new().try_allow("127.0.0.1")?.fetch_text(&url).is_ok());
        assert!(OutboundPolicy::new().try_allow(&stub.base)?.fetch_text(&url).is_ok());
        let other = OutboundPolicy::new().try_allow(&format!("{}/other", stub.base))?;
        assert!(refused(&other.fetch_text(&url), &url));
        assert_eq!(stub.requests().len(), 3);
        Ok(())
    }

    #[test]
    fn redirects_to_private_and_link_local_addresses_are_refused_before_connecting() -> Result<()> {
        let port = std::sync::Arc::new(std::sync::OnceLock::<u16>::new());
        let p = port.clone();
        let stub = Stub::start(move |path| match path {
            "/meta" => Reply::Redirect("http://169.254.169.254/latest/meta-data/".into()),
            "/private" => Reply::Redirect("http://10.0.0.1/stac.json".into()),
            "/v6" => Reply::Redirect("http://[fe80::1]:8080/x".into()),
            "/file" => Reply::Redirect("file:///etc/passwd".into()),
            "/by-name" => Reply::Redirect(format!("http://localhost:{}/doc", p.get().copied().unwrap_or(1))),
            "/hop1" => Reply::Redirect("/hop2".into()),
            "/hop2" => Reply::Redirect("doc".into()),
            "/loop" => Reply::Redirect("/loop".into()),
            _ => Reply::Ok(b"final".to_vec()),
        });
        port.set(stub.port()).unwrap();
        let loopback = OutboundPolicy::new().allow_loopback(true);
        for (path, target) in [
            ("/meta", "http://169.254.169.254/latest/meta-data/"),
            ("/private", "http://10.0.0.1/stac.json"),
            ("/v6", "http://[fe80::1]:8080/x"),
            ("/file", "file:///etc/passwd"),
        ] {
            let r = loopback.fetch_text(&format!("{}{path}", stub.base));
            assert!(refused(&r, target), "{path}: {r:?}");
            let r = loopback.raster_source(&format!("{}{path}", stub.base));
            assert!(refused(&r, target), "{path}: {r:?}");
        }
        // a host name is checked after resolution: localhost is loopback, which only 127.0.0.1:port is allowed
        let by_port = OutboundPolicy::new().try_allow(&format!("127.0.0.1:{}", stub.port()))?;
        let target = format!("http://localhost:{}/doc", stub.port());
        let r = by_port.fetch_text(&format!("{}/by-name", stub.base));
        assert!(refused(&r, &target), "{r:?}");
        assert!(r.unwrap_err().to_string().contains("resolves to"));
        // followed hop by hop when allowed
        assert_eq!(loopback.fetch_text(&format!("{}/hop1", stub.base))?, "final");
        let r = loopback.fetch_text(&format!("{}/loop", stub.base));
        assert!(
            matches!(&r, Err(Error::Fetch { message, .. }) if message.contains("redirects")),
            "{r:?}"
        );
        let hits = stub.requests();
        assert!(
            hits.iter()
                .all(|h| !h.contains("meta-data") && !h.contains("stac.json")),
            "{hits:?}"
        );
        assert_eq!(hits.iter().filter(|h| *h == "/doc").count(), 1, "{hits:?}");
        Ok(())
    }

    #[test]
    fn size_cap_timeout_and_errors_are_fetch_errors() -> Result<()> {
        let stub = Stub::start(|path| match path {
            "/big" => Reply::Ok(vec![b'x'; 10_000]),
            "/stall" => Reply::Stall,
            "/slow-redirect" => Reply::Redirect("/stall".into()),
            _ => Reply::Status(404),
        });
        let p = OutboundPolicy::new()
            .allow_loopback(true)
            .with_max_bytes(1000)
            .with_timeout(Duration::from_millis(700));
        let r = p.fetch_text(&format!("{}/big", stub.base));
        assert!(
            matches!(&r, Err(Error::Fetch { message, .. }) if message.contains("1000 bytes")),
            "{r:?}"
        );
        for path in ["/stall", "/slow-redirect"] {
            let t0 = Instant::now();
            let r = p.fetch_text(&format!("{}{path}", stub.base));
            assert!(
                matches!(&r, Err(Error::Fetch { message, .. }) if message.contains("within 0.7 s")),
                "{r:?}"
            );
            assert!(t0.elapsed() < Duration::from_secs(3));
        }
        let r = p.fetch_text(&format!("{}/missing.json", stub.base));
        assert!(
            matches!(&r, Err(Error::Fetch { message, .. }) if message.contains("404")),
            "{r:?}"
        );
        Ok(())
    }

    #[test]
    fn raster_assets_go_to_gdal_at_their_final_url() -> Result<()> {
        let tif = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/synthetic/utm/SYNTH_20220602_B04.tif"),
        )
        .unwrap();
        let stub = Stub::start(move |path| match path {
            "/assets/a.tif" => Reply::Redirect("/store/a.tif".into()),
            "/store/a.tif" => Reply::Ok(tif.clone()),
            _ => Reply::Status(404),
        });
        let p = OutboundPolicy::new().allow_loopback(true);
        let name = p.raster_source(&format!("{}/assets/a.tif", stub.base))?;
        assert_eq!(name, format!("{}/store/a.tif", stub.base));
        let info = crate::read_info(&name)?;
        assert!(info.grid.width > 0);
        assert!(stub.requests().iter().any(|r| r == "/store/a.tif"));
        let r = OutboundPolicy::new().raster_source(&format!("{}/assets/a.tif", stub.base));
        assert!(matches!(r, Err(Error::Refused { .. })));
        Ok(())
    }
}
