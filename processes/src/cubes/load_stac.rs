//! load_stac (<https://processes.openeo.org/#load_stac>): static STAC (Collection with assets or item links,
//! Catalog, Item), openEO batch job results (signed links, `openeo:status`), and STAC API item search results.
//! Bands are asset keys, or the names in an asset's `eo:bands`. Departures: `properties` conditions are not
//! evaluated; only GeoTIFF/COG assets are read.
//!
//! Every document and asset goes through the context's [`openeo_engine::OutboundPolicy`]: links resolve like a
//! browser's, a document read over HTTP may only link to http(s) URLs, remote assets are handed to GDAL at the end
//! of their redirects, local ones as canonical paths under the local roots. A refused or failing read is
//! `ProcessParameterInvalid` for `url`, naming what could not be read.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use openeo_engine::{AssetRef, BandInfo, Collection, Cube, Grid, OutboundPolicy, resolve_href as resolve};
use serde_json::Value as Json;

use super::load::spatial_extent;
use crate::graph::Args;
use crate::graph::args::parse_instant;
use crate::{Ctx, Error, Result, Value};

/// How many linked items are followed at most.
const MAX_ITEMS: usize = 10_000;
/// The most STAC documents one `load_stac` reads (items, children, pages).
const MAX_DOCUMENTS: usize = 10_000;

pub(super) fn load_stac(args: &mut Args, ctx: &Ctx) -> Result<Value> {
    let url = args.string("url")?;
    let bbox = spatial_extent(args, "spatial_extent")?;
    let interval = match args.get("temporal_extent")? {
        Value::Null => (None, None),
        _ => args.interval("temporal_extent")?,
    };
    let wanted = args.opt_strings("bands")?;
    let policy = &ctx.outbound;
    let fetch = |u: &str| fetch_json(policy, u);
    let doc = fetch(&url).map_err(|e| unreadable(args, &url, e))?;
    match doc.get("openeo:status").and_then(Json::as_str) {
        Some("running") => {
            return Err(args.invalid(
                "url",
                format!("the results at {url} are not finished yet (openeo:status running)"),
            ));
        }
        Some(s @ ("error" | "canceled")) => {
            return Err(args.invalid("url", format!("the job behind {url} ended with status {s}")));
        }
        _ => {}
    }
    let search = Search::new(bbox.as_ref(), interval)?;
    let (bands, mut refs) = find_assets(&doc, &url, &search, &fetch).map_err(|e| unreadable(args, &url, e))?;
    let mut sources: HashMap<String, String> = HashMap::new();
    for r in &mut refs {
        let source = match sources.get(&r.path) {
            Some(s) => s.clone(),
            None => {
                let s = policy
                    .raster_source(&r.path)
                    .map_err(|e| unreadable(args, &url, e.into()))?;
                sources.insert(r.path.clone(), s.clone());
                s
            }
        };
        r.path = source;
    }
    let collection = Collection::from_assets(&url, bands, refs).map_err(|e| match e {
        openeo_engine::Error::Gdal { .. } => {
            args.invalid("url", format!("the assets listed at {url} cannot be read: {e}"))
        }
        e => e.into(),
    })?;
    let cube = Cube::load(std::sync::Arc::new(collection), bbox, interval, wanted.as_deref())?;
    Ok(Value::Cube(Box::new(cube)))
}

/// The collection `id` of what the STAC document at `url` lists (a `stac` source of the collections
/// configuration), read like `load_stac` reads it, through `policy`.
///
/// # Errors
/// A document or asset that cannot be read, or no raster asset.
pub fn stac_collection(id: &str, url: &str, policy: &OutboundPolicy) -> openeo_engine::Result<Collection> {
    let config = |m: String| openeo_engine::Error::Config { message: m };
    let fetch = |u: &str| fetch_json(policy, u);
    let doc = fetch(url).map_err(|e| config(format!("{url}: {e}")))?;
    let (bands, mut refs) = stac_assets(&doc, url, &fetch).map_err(|e| config(format!("{url}: {e}")))?;
    for r in &mut refs {
        r.path = policy.raster_source(&r.path)?;
    }
    Collection::from_assets(id, bands, refs)
}

/// A linked STAC document by URL.
type Fetch<'a> = &'a dyn Fn(&str) -> Result<Json>;

/// The raster assets of the STAC document `doc` (read from `url`) as `load_stac` finds them, without opening any
/// file: the bands, and one [`AssetRef`] per band of a file (its `path` is the asset's resolved href; `load_stac`
/// passes it through the outbound policy). Linked documents (items, children, item searches,
/// `next` pages) are obtained from `fetch`, so the parsing can be tested and fuzzed without network or file access.
///
/// # Errors
/// Errors of `fetch`.
pub fn stac_assets(doc: &Json, url: &str, fetch: Fetch<'_>) -> Result<(Vec<BandInfo>, Vec<AssetRef>)> {
    let search = Search {
        bbox: None,
        datetime: None,
    };
    find_assets(doc, url, &search, fetch)
}

fn find_assets(doc: &Json, url: &str, search: &Search, fetch: Fetch<'_>) -> Result<(Vec<BandInfo>, Vec<AssetRef>)> {
    // each linked document is fetched once (a repeat reads as an empty document), and at most MAX_DOCUMENTS in
    // all: links back to a catalog or between children cannot multiply the requests
    let fetched = RefCell::new(HashSet::from([url.to_string()]));
    let once = |u: &str| -> Result<Json> {
        let mut seen = fetched.borrow_mut();
        if !seen.insert(u.to_string()) {
            return Ok(Json::Null);
        }
        if seen.len() > MAX_DOCUMENTS {
            return Err(Error::invalid(
                "load_stac",
                "url",
                format!("the STAC document {url} links more than {MAX_DOCUMENTS} documents"),
            ));
        }
        drop(seen);
        fetch(u)
    };
    let mut found = Vec::new();
    collect(doc, url, search, &once, &mut found, 0)?;
    let mut bands: Vec<BandInfo> = Vec::new();
    let mut refs = Vec::new();
    let mut crses: HashMap<String, Option<openeo_engine::Crs>> = HashMap::new();
    for f in found {
        let idx = match bands.iter().position(|b| b.name == f.band.name) {
            Some(i) => i,
            None => {
                bands.push(f.band.clone());
                bands.len() - 1
            }
        };
        let grid = f.projection.and_then(|p| {
            let crs = crses
                .entry(p.crs.clone())
                .or_insert_with(|| openeo_engine::crs_from_user(&p.crs).ok())
                .clone()?;
            Some(Grid {
                crs,
                transform: p.transform,
                width: p.shape[1],
                height: p.shape[0],
            })
        });
        refs.push(AssetRef {
            item: f.item,
            time: f.time,
            band: idx,
            path: f.href,
            file_band: f.file_band,
            grid,
            nodata: f.nodata,
        });
    }
    Ok((bands, refs))
}

/// An asset's grid as the STAC projection extension states it.
#[derive(Clone, Debug, PartialEq)]
struct Projection {
    /// `EPSG:n` (from `proj:epsg` or `proj:code`) or WKT (`proj:wkt2`).
    crs: String,
    /// GDAL order, from `proj:transform`.
    transform: [f64; 6],
    /// Rows and columns (`proj:shape`).
    shape: [usize; 2],
}

/// The projection of an asset: its own `proj:*` fields, else those of its item's `properties`; `None` unless the
/// CRS, the shape and the transform are all given (a north-up grid of positive size).
fn projection(asset: &Json, item: Option<&Json>) -> Option<Projection> {
    let field = |k: &str| asset.get(k).or_else(|| item.and_then(|p| p.get(k)));
    let crs = match (field("proj:code"), field("proj:epsg"), field("proj:wkt2")) {
        (Some(Json::String(code)), _, _) => code.clone(),
        (_, Some(Json::Number(n)), _) => format!("EPSG:{}", n.as_u64()?),
        (_, _, Some(Json::String(wkt))) => wkt.clone(),
        _ => return None,
    };
    let shape: Vec<usize> = field("proj:shape")?
        .as_array()?
        .iter()
        .map(|v| v.as_u64().and_then(|n| usize::try_from(n).ok()))
        .collect::<Option<_>>()?;
    let t: Vec<f64> = field("proj:transform")?
        .as_array()?
        .iter()
        .map(Json::as_f64)
        .collect::<Option<_>>()?;
    let (&[rows, cols], &[a, b, c, d, e, f, ..]) = (shape.as_slice(), t.as_slice()) else {
        return None;
    };
    let sane = rows > 0 && cols > 0 && rows <= 1 << 20 && cols <= 1 << 20 && a > 0.0 && e < 0.0;
    sane.then_some(Projection {
        crs,
        transform: [c, a, b, f, d, e],
        shape: [rows, cols],
    })
}

/// The nodata value of band `index` (0-based) of an asset: `raster:bands[index].nodata` (or `bands[index].nodata`).
fn band_nodata(asset: &Json, index: usize) -> Option<f64> {
    let bands = asset.get("raster:bands").or_else(|| asset.get("bands"))?.as_array()?;
    match bands.get(index)?.get("nodata")? {
        Json::Number(n) => n.as_f64(),
        Json::String(s) if s == "nan" => Some(f64::NAN),
        _ => None,
    }
}

/// The extents of the request, as STAC API item-search parameters (`bbox` in WGS84, `datetime` interval).
struct Search {
    bbox: Option<[f64; 4]>,
    datetime: Option<String>,
}

impl Search {
    fn new(
        bbox: Option<&(openeo_engine::Bbox, openeo_engine::Crs)>,
        interval: (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
    ) -> Result<Search> {
        let bbox = match bbox {
            Some((b, crs)) => {
                let w = openeo_engine::transform_bbox(b, crs, &openeo_engine::crs_from_user("EPSG:4326")?)?;
                Some([w.west, w.south, w.east, w.north])
            }
            None => None,
        };
        let end = |t: Option<DateTime<Utc>>| {
            t.map_or("..".to_string(), |t| {
                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            })
        };
        let datetime =
            (interval.0.is_some() || interval.1.is_some()).then(|| format!("{}/{}", end(interval.0), end(interval.1)));
        Ok(Search { bbox, datetime })
    }

    /// `bbox=…&datetime=…&limit=100` (only the parts that are set).
    fn query(&self) -> String {
        let mut q = vec!["limit=100".to_string()];
        if let Some([w, s, e, n]) = self.bbox {
            q.push(format!("bbox={w},{s},{e},{n}"));
        }
        if let Some(d) = &self.datetime {
            q.push(format!("datetime={d}"));
        }
        q.join("&")
    }
}

/// Appends query parameters to a URL.
fn with_query(url: &str, query: &str) -> String {
    if url.contains('?') {
        format!("{url}&{query}")
    } else {
        format!("{url}?{query}")
    }
}

/// One band of one file.
struct Found {
    item: String,
    time: Option<DateTime<Utc>>,
    band: BandInfo,
    href: String,
    file_band: usize,
    /// The file's grid, when the STAC metadata states it.
    projection: Option<Projection>,
    /// The band's nodata value, when the STAC metadata states it.
    nodata: Option<f64>,
}

fn fetch_json(policy: &OutboundPolicy, url: &str) -> Result<Json> {
    let text = policy.fetch_text(url)?;
    serde_json::from_str(&text)
        .map_err(|e| Error::invalid("load_stac", "url", format!("{url} is not a JSON document: {e}")))
}

/// A refused or failing read of `url` or of something it links to, as `ProcessParameterInvalid` for `url`.
fn unreadable(args: &Args, url: &str, e: Error) -> Error {
    use openeo_engine::Error as E;
    match e {
        Error::Engine(inner @ (E::Fetch { .. } | E::Refused { .. })) => {
            let linked = !matches!(&inner, E::Fetch { location, .. } | E::Refused { location, .. } if location == url);
            if linked {
                args.invalid("url", format!("reading {url}: {inner}"))
            } else {
                args.invalid("url", inner.to_string())
            }
        }
        e => e,
    }
}

fn instant(v: Option<&Json>) -> Option<DateTime<Utc>> {
    v.and_then(Json::as_str).and_then(parse_instant)
}

/// The raster assets of an asset map; `time` applies to all of them unless an asset has its own `datetime`.
fn assets(
    assets: &serde_json::Map<String, Json>,
    item: &str,
    (time, props): (Option<DateTime<Utc>>, Option<&Json>),
    base: &str,
    out: &mut Vec<Found>,
) -> Result<()> {
    for (key, a) in assets {
        let media = a.get("type").and_then(Json::as_str).unwrap_or("");
        let data_role = a
            .get("roles")
            .and_then(Json::as_array)
            .is_none_or(|r| r.iter().any(|x| x == "data"));
        if !(media.contains("tiff") || (media.is_empty() && data_role)) {
            continue;
        }
        let Some(href) = a.get("href").and_then(Json::as_str) else {
            continue;
        };
        let href = resolve(base, href)?;
        let time = instant(a.get("datetime")).or(time);
        let projection = projection(a, props);
        // one item per asset when assets carry their own times (openEO results with one file per date)
        let item = if a.get("datetime").is_some() {
            format!("{item}/{key}")
        } else {
            item.to_string()
        };
        let eo = a.get("eo:bands").or_else(|| a.get("bands")).and_then(Json::as_array);
        match eo {
            Some(list) if !list.is_empty() => {
                for (i, b) in list.iter().enumerate() {
                    let name = b
                        .get("name")
                        .and_then(Json::as_str)
                        .map_or_else(|| format!("{key}_{}", i + 1), String::from);
                    let band = BandInfo {
                        name,
                        common_name: b.get("common_name").and_then(Json::as_str).map(String::from),
                        wavelength: b.get("center_wavelength").and_then(Json::as_f64),
                        ..BandInfo::default()
                    };
                    out.push(Found {
                        item: item.clone(),
                        time,
                        band,
                        href: href.clone(),
                        file_band: i + 1,
                        projection: projection.clone(),
                        nodata: band_nodata(a, i),
                    });
                }
            }
            _ => out.push(Found {
                item: item.clone(),
                time,
                band: BandInfo::named(key.as_str()),
                href,
                file_band: 1,
                projection,
                nodata: band_nodata(a, 0),
            }),
        }
    }
    Ok(())
}

fn item(doc: &Json, base: &str, out: &mut Vec<Found>) -> Result<()> {
    let id = doc.get("id").and_then(Json::as_str).unwrap_or(base).to_string();
    let props = doc.get("properties");
    let time =
        instant(props.and_then(|p| p.get("datetime"))).or_else(|| instant(props.and_then(|p| p.get("start_datetime"))));
    if let Some(a) = doc.get("assets").and_then(Json::as_object) {
        assets(a, &id, (time, props), base, out)?;
    }
    Ok(())
}

fn links<'a>(doc: &'a Json, rel: &str) -> Vec<&'a str> {
    doc.get("links")
        .and_then(Json::as_array)
        .map(|l| {
            l.iter()
                .filter(|x| x.get("rel").and_then(Json::as_str) == Some(rel))
                .filter_map(|x| x.get("href").and_then(Json::as_str))
                .collect()
        })
        .unwrap_or_default()
}

/// Walks a STAC document: items, item collections, collections/catalogs with assets or item/child links.
fn collect(
    doc: &Json,
    base: &str,
    search: &Search,
    fetch: Fetch<'_>,
    out: &mut Vec<Found>,
    depth: usize,
) -> Result<()> {
    if depth > 3 {
        return Ok(());
    }
    match doc.get("type").and_then(Json::as_str) {
        Some("Feature") => item(doc, base, out)?,
        Some("FeatureCollection") => {
            for f in doc
                .get("features")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
                .take(MAX_ITEMS)
            {
                item(f, base, out)?;
            }
            if let Some(next) = links(doc, "next").first() {
                let url = resolve(base, next)?;
                collect(&fetch(&url)?, &url, search, fetch, out, depth + 1)?;
            }
        }
        _ => {
            let id = doc.get("id").and_then(Json::as_str).unwrap_or(base).to_string();
            if let Some(a) = doc.get("assets").and_then(Json::as_object).filter(|a| !a.is_empty()) {
                assets(a, &id, (None, None), base, out)?;
                return Ok(());
            }
            let mut seen = HashSet::new();
            for href in links(doc, "item").into_iter().take(MAX_ITEMS) {
                let url = resolve(base, href)?;
                if seen.insert(url.clone()) {
                    item(&fetch(&url)?, &url, out)?;
                }
            }
            if out.is_empty() {
                if let Some(items) = links(doc, "items").first() {
                    // a STAC API collection: search its items within the requested extents
                    let url = with_query(&resolve(base, items)?, &search.query());
                    collect(&fetch(&url)?, &url, search, fetch, out, depth + 1)?;
                }
                for child in links(doc, "child") {
                    let url = resolve(base, child)?;
                    collect(&fetch(&url)?, &url, search, fetch, out, depth + 1)?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use serde_json::json;

    use super::*;

    #[test]
    fn projection_and_nodata_come_from_the_stac_metadata() {
        let props = json!({"proj:epsg": 32632});
        let asset = json!({"proj:shape": [200, 300], "proj:transform": [10, 0, 600000, 0, -10, 5200000, 0, 0, 1],
                           "raster:bands": [{"nodata": 0}, {"nodata": "nan"}]});
        let p = projection(&asset, Some(&props)).unwrap();
        assert_eq!(p.crs, "EPSG:32632");
        assert_eq!(p.transform, [600000.0, 10.0, 0.0, 5200000.0, 0.0, -10.0]);
        assert_eq!(p.shape, [200, 300]);
        assert_eq!(band_nodata(&asset, 0), Some(0.0));
        assert!(band_nodata(&asset, 1).unwrap().is_nan());
        assert_eq!(band_nodata(&asset, 2), None);
        // proj:code (projection extension 2.0) wins over an item's proj:epsg
        let coded = json!({"proj:code": "EPSG:3035", "proj:shape": [1, 1], "proj:transform": [1, 0, 0, 0, -1, 0]});
        assert_eq!(projection(&coded, Some(&props)).unwrap().crs, "EPSG:3035");
        // incomplete or not north-up: the header is read instead
        for bad in [
            json!({"proj:shape": [200, 300]}),
            json!({"proj:shape": [200, 300], "proj:transform": [10, 0, 600000, 0, 10, 5200000]}),
            json!({"proj:shape": [0, 300], "proj:transform": [10, 0, 600000, 0, -10, 5200000]}),
            json!({"proj:shape": [200], "proj:transform": [10, 0, 600000, 0, -10, 5200000]}),
        ] {
            assert_eq!(projection(&bad, Some(&props)), None, "{bad}");
        }
        assert_eq!(projection(&asset, None), None, "no CRS");
        // the references carry the grid, so Collection::from_assets reads no header
        let mut with_href = asset.clone();
        with_href["href"] = json!("b04.tif");
        let item = json!({"type": "Feature", "id": "i", "properties": {"datetime": "2022-06-01T00:00:00Z",
                          "proj:epsg": 32632}, "assets": {"B04": with_href}});
        let (_, refs) = stac_assets(&item, "/x/item.json", &|_: &str| Ok(Json::Null)).unwrap();
        let grid = refs[0].grid.as_ref().unwrap();
        assert_eq!((grid.width, grid.height, grid.crs.epsg()), (300, 200, Some(32632)));
        assert_eq!(refs[0].nodata, Some(0.0));
    }

    #[test]
    fn linked_documents_are_fetched_once() {
        // a catalog whose 20 child links all lead back to itself, and to one other catalog that links back
        let links: Vec<Json> = (0..20)
            .map(|i| json!({"rel": "child", "href": if i % 2 == 0 { "cat.json" } else { "other.json" }}))
            .collect();
        let cat = json!({"type": "Catalog", "id": "c", "links": links});
        let fetches = Cell::new(0);
        let fetch = |u: &str| -> Result<Json> {
            fetches.set(fetches.get() + 1);
            assert!(u.ends_with("other.json") || u.ends_with("cat.json"), "{u}");
            Ok(cat.clone())
        };
        let (bands, assets) = stac_assets(&cat, "http://h/cat.json", &fetch).unwrap();
        assert!(bands.is_empty() && assets.is_empty());
        assert_eq!(fetches.get(), 1, "only other.json is fetched; cat.json was the start");
    }
}
