//! Building a [`Collection`] from its configuration: find the files, read their headers in parallel, group
//! assets into items, and derive the collection grid and extents.

use std::path::Path;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rayon::prelude::*;
use regex::Regex;

use super::config::{CollectionConfig, SourceConfig};
use super::{Asset, Collection, Item};
use crate::io::gdal::{GdalInfo, crs_from_user, read_info, transform_bbox};
use crate::{BandInfo, Bbox, Error, Grid, Result};

/// A file found by the glob with what its name says.
struct Found {
    path: String,
    /// Relative path used for pattern matching.
    rel: String,
}

/// Builds a collection from what a STAC document at `url` lists (the caller's STAC reader), for `id`.
pub type StacReader<'a> = &'a dyn Fn(&str, &str) -> Result<Collection>;

pub(crate) fn build(cfg: CollectionConfig, base: &Path, stac: StacReader<'_>) -> Result<Collection> {
    if let SourceConfig::Stac { url } = &cfg.source {
        return stac_collection(&cfg, url, base, stac);
    }
    if cfg.bands.is_empty() {
        return Err(Error::Config {
            message: "no bands configured".into(),
        });
    }
    let items = match &cfg.source {
        SourceConfig::Files { glob, pattern } => files_items(&cfg, &find(base, glob)?, pattern)?,
        SourceConfig::Multiband { glob, pattern } => multiband_items(&cfg, &find(base, glob)?, pattern.as_deref())?,
        SourceConfig::Netcdf { glob } => netcdf_items(&cfg, &find(base, glob)?)?,
        SourceConfig::Zarr { path } => zarr_items(&cfg, &located(base, path))?,
        SourceConfig::Synthetic(src) => super::synthetic::items(&cfg, src)?,
        SourceConfig::Stac { .. } => return Err(Error::internal("stac sources are built by stac_collection")),
    };
    if items.is_empty() {
        return Err(Error::Config {
            message: "no file matched the source glob and pattern".into(),
        });
    }
    let grid = collection_grid(cfg.crs.as_deref(), cfg.resolution, &items)?;
    let wgs84 = crs_from_user("EPSG:4326")?;
    let extent_wgs84 = transform_bbox(&grid.bounds(), &grid.crs, &wgs84)?;
    Ok(Collection {
        title: cfg.title.clone().unwrap_or_else(|| cfg.id.clone()),
        description: cfg
            .description
            .clone()
            .unwrap_or_else(|| format!("Collection {}", cfg.id)),
        license: cfg.license.clone().unwrap_or_else(|| "proprietary".into()),
        keywords: cfg.keywords.clone(),
        attribution: cfg.attribution.clone(),
        properties: cfg.properties.clone().into_iter().collect(),
        bands: cfg.bands.clone(),
        id: cfg.id,
        grid,
        items,
        extent_wgs84,
        timeless: false,
    })
}

/// `location` as it is read: a URL (`s3://…`, http(s), `file://…`) as it is, a relative path below `base`.
fn located(base: &Path, location: &str) -> String {
    if location.contains("://") {
        location.to_string()
    } else {
        base.join(location).to_string_lossy().to_string()
    }
}

/// The files matching `pattern`: a glob below `base`, an `s3://bucket/…` glob listed in the bucket (`rel` is then
/// the key), or one http(s) URL (HTTP servers cannot be listed; `rel` is its path).
fn find(base: &Path, pattern: &str) -> Result<Vec<Found>> {
    if crate::io::store::is_http(pattern) {
        if pattern.contains(['*', '?', '[']) {
            return Err(Error::Config {
                message: format!("{pattern}: HTTP servers cannot be listed, so a URL names one file, not a glob"),
            });
        }
        let after = pattern.find("://").map_or(0, |i| i + 3);
        let rel = pattern[after..].split_once('/').map_or("", |(_, p)| p).to_string();
        return Ok(vec![Found {
            path: pattern.to_string(),
            rel,
        }]);
    }
    if let Some(rest) = pattern.strip_prefix("s3://") {
        let bucket = rest.split('/').next().unwrap_or_default();
        let prefix = format!("s3://{bucket}/");
        return Ok(crate::io::store::list(pattern)?
            .into_iter()
            .map(|path| Found {
                rel: path.strip_prefix(&prefix).unwrap_or(&path).to_string(),
                path,
            })
            .collect());
    }
    let full = base.join(pattern);
    let full = full.to_string_lossy();
    let paths = glob::glob(&full).map_err(|e| Error::Config {
        message: format!("invalid glob '{pattern}': {e}"),
    })?;
    let mut out = Vec::new();
    for p in paths.flatten() {
        let rel = p.strip_prefix(base).unwrap_or(&p).to_string_lossy().to_string();
        out.push(Found {
            path: p.to_string_lossy().to_string(),
            rel,
        });
    }
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(out)
}

fn regex(pattern: &str) -> Result<Regex> {
    Regex::new(pattern).map_err(|e| Error::Config {
        message: format!("invalid pattern '{pattern}': {e}"),
    })
}

/// Parses `20220612`, `2022-06-12`, or either followed by a time (`T103021`, `T10:30:21Z`).
pub(crate) fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim().trim_end_matches('Z');
    for fmt in ["%Y%m%dT%H%M%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(n.and_utc());
        }
    }
    ["%Y%m%d", "%Y-%m-%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|n| n.and_utc())
}

pub(crate) fn headers(paths: &[String]) -> Result<Vec<GdalInfo>> {
    paths.par_iter().map(|p| read_info(p)).collect()
}

fn asset(cfg: &CollectionConfig, band: usize, path: &str, file_band: usize, info: &GdalInfo) -> Asset {
    let nodata = cfg.bands[band]
        .nodata
        .or_else(|| info.nodata.get(file_band - 1).copied().flatten());
    Asset {
        path: path.to_string(),
        band: file_band,
        grid: info.grid.clone(),
        nodata,
        synthetic: None,
    }
}

fn band_of(cfg: &CollectionConfig, name: &str) -> Option<usize> {
    cfg.bands.iter().position(|b| b.name == name)
}

fn files_items(cfg: &CollectionConfig, found: &[Found], pattern: &str) -> Result<Vec<Item>> {
    let re = regex(pattern)?;
    if re.capture_names().flatten().all(|n| n != "band") || re.capture_names().flatten().all(|n| n != "date") {
        return Err(Error::Config {
            message: "the pattern of a 'files' source needs the groups (?P<date>…) and (?P<band>…)".into(),
        });
    }
    // (scene key, time, band, path)
    let mut matched = Vec::new();
    for f in found {
        let Some(c) = re.captures(&f.rel) else {
            continue;
        };
        let (Some(date), Some(band)) = (c.name("date"), c.name("band")) else {
            continue;
        };
        let Some(b) = band_of(cfg, band.as_str()) else {
            continue;
        };
        let time = parse_date(date.as_str()).ok_or_else(|| Error::Config {
            message: format!("cannot parse the date '{}' in {}", date.as_str(), f.rel),
        })?;
        let scene = c.name("scene").map(|m| m.as_str().to_string()).unwrap_or_else(|| {
            let parent = Path::new(&f.rel)
                .parent()
                .map(|p| p.to_string_lossy().to_string())
                .unwrap_or_default();
            format!("{parent}|{}", date.as_str())
        });
        matched.push((scene, time, b, f.path.clone()));
    }
    let infos = headers(&matched.iter().map(|m| m.3.clone()).collect::<Vec<_>>())?;
    let mut items: Vec<(String, Item)> = Vec::new();
    for ((scene, time, b, path), info) in matched.into_iter().zip(&infos) {
        let a = asset(cfg, b, &path, 1, info);
        match items.iter_mut().find(|(s, i)| *s == scene && i.time == time) {
            Some((_, item)) => item.assets[b] = Some(a),
            None => {
                let mut assets = vec![None; cfg.bands.len()];
                assets[b] = Some(a);
                items.push((scene, Item { time, assets }));
            }
        }
    }
    let mut items: Vec<Item> = items.into_iter().map(|(_, i)| i).collect();
    items.sort_by_key(|i| i.time);
    Ok(items)
}

fn multiband_items(cfg: &CollectionConfig, found: &[Found], pattern: Option<&str>) -> Result<Vec<Item>> {
    let re = pattern.map(regex).transpose()?;
    let paths: Vec<String> = found.iter().map(|f| f.path.clone()).collect();
    let infos = headers(&paths)?;
    let mut items = Vec::new();
    for (f, info) in found.iter().zip(&infos) {
        let from_name = re
            .as_ref()
            .and_then(|r| r.captures(&f.rel))
            .and_then(|c| c.name("date").and_then(|d| parse_date(d.as_str())));
        let Some(time) = from_name.or(info.datetime) else {
            return Err(Error::Config {
                message: format!("no date for {} (neither in the name nor in a DATETIME tag)", f.rel),
            });
        };
        let mut assets = vec![None; cfg.bands.len()];
        for (b, band) in cfg.bands.iter().enumerate() {
            let by_name = info
                .band_names
                .iter()
                .position(|n| n.as_deref() == Some(band.name.as_str()));
            let file_band = match by_name {
                Some(i) => i + 1,
                None if b < info.band_names.len() && info.band_names.iter().all(Option::is_none) => b + 1,
                None => continue,
            };
            assets[b] = Some(asset(cfg, b, &f.path, file_band, info));
        }
        items.push(Item { time, assets });
    }
    items.sort_by_key(|i| i.time);
    Ok(items)
}

/// Puts asset `a` of band `b` into the first item of `time` that lacks that band, or into a new item.
fn place(items: &mut Vec<Item>, time: DateTime<Utc>, b: usize, a: Asset, bands: usize) {
    match items.iter_mut().find(|it| it.time == time && it.assets[b].is_none()) {
        Some(item) => item.assets[b] = Some(a),
        None => {
            let mut assets = vec![None; bands];
            assets[b] = Some(a);
            items.push(Item { time, assets });
        }
    }
}

fn netcdf_items(cfg: &CollectionConfig, found: &[Found]) -> Result<Vec<Item>> {
    let mut items: Vec<Item> = Vec::new();
    for f in found {
        // the HDF5 library reads local files only: a remote file is copied into the object cache first
        let local = crate::io::store::local_copy(&f.path)?;
        let names: Vec<String> = cfg
            .bands
            .iter()
            .map(|b| format!("NETCDF:\"{}\":{}", local.display(), b.name))
            .collect();
        let infos = headers(&names)?;
        for (b, (name, info)) in names.iter().zip(&infos).enumerate() {
            let times = info.times.clone().ok_or_else(|| Error::Config {
                message: format!("{name} has no time dimension"),
            })?;
            for (i, time) in times.into_iter().enumerate() {
                place(&mut items, time, b, asset(cfg, b, name, i + 1, info), cfg.bands.len());
            }
        }
    }
    items.sort_by_key(|i| i.time);
    Ok(items)
}

/// The collection the STAC document at `url` (relative to `base` when it is a path) describes, with the
/// configuration's metadata: its title and the like, and for bands it names, their common name, wavelength, nodata
/// and unit; with configured bands, only those are kept, in their order.
fn stac_collection(cfg: &CollectionConfig, url: &str, base: &Path, stac: StacReader<'_>) -> Result<Collection> {
    let location = located(base, url);
    let mut col = stac(&cfg.id, &location)?;
    if !cfg.bands.is_empty() {
        let mut bands = Vec::with_capacity(cfg.bands.len());
        let mut index = Vec::with_capacity(cfg.bands.len());
        for b in &cfg.bands {
            let i = col.band_index(&b.name).ok_or_else(|| Error::Config {
                message: format!("{location} has no band {}", b.name),
            })?;
            let found = &col.bands[i];
            bands.push(BandInfo {
                name: b.name.clone(),
                common_name: b.common_name.clone().or_else(|| found.common_name.clone()),
                wavelength: b.wavelength.or(found.wavelength),
                nodata: b.nodata.or(found.nodata),
                unit: b.unit.clone().or_else(|| found.unit.clone()),
            });
            index.push(i);
        }
        for item in &mut col.items {
            let nodata = |k: usize| cfg.bands[k].nodata;
            item.assets = index
                .iter()
                .enumerate()
                .map(|(k, &i)| {
                    item.assets[i].clone().map(|mut a| {
                        a.nodata = nodata(k).or(a.nodata);
                        a
                    })
                })
                .collect();
        }
        col.bands = bands;
    }
    col.id = cfg.id.clone();
    col.title = cfg.title.clone().unwrap_or_else(|| cfg.id.clone());
    if let Some(d) = &cfg.description {
        col.description = d.clone();
    }
    if let Some(l) = &cfg.license {
        col.license = l.clone();
    }
    col.keywords = cfg.keywords.clone();
    col.attribution = cfg.attribution.clone();
    col.properties = cfg.properties.clone().into_iter().collect();
    Ok(col)
}

/// One item per instant of the store's time coordinate, one asset per band array (a store without time gives one
/// item at the Unix epoch).
fn zarr_items(cfg: &CollectionConfig, store: &str) -> Result<Vec<Item>> {
    use crate::io::zarr;
    let mut items: Vec<Item> = Vec::new();
    for (b, band) in cfg.bands.iter().enumerate() {
        let head = zarr::header(store, &band.name, cfg.crs.as_deref())?;
        let name = zarr::asset_name(store, &band.name);
        let times = head.times.clone().unwrap_or_else(|| vec![DateTime::<Utc>::UNIX_EPOCH]);
        for (i, time) in times.into_iter().enumerate() {
            let a = Asset {
                path: name.clone(),
                band: i + 1,
                grid: head.grid.clone(),
                nodata: band.nodata.or(head.nodata),
                synthetic: None,
            };
            place(&mut items, time, b, a, cfg.bands.len());
        }
    }
    items.sort_by_key(|i| i.time);
    Ok(items)
}

/// The grid all items are read onto: `crs`/`resolution` when given, else the first asset's.
pub(crate) fn collection_grid(crs: Option<&str>, resolution: Option<[f64; 2]>, items: &[Item]) -> Result<Grid> {
    let first = items
        .iter()
        .flat_map(|i| i.assets.iter().flatten())
        .next()
        .ok_or_else(|| Error::Config {
            message: "no asset found".into(),
        })?;
    let crs = match crs {
        Some(c) => crs_from_user(c)?,
        None => first.grid.crs.clone(),
    };
    let res = match resolution {
        Some([x, y]) => (x.abs(), y.abs()),
        None if first.grid.crs.same_as(&crs) => (first.grid.transform[1].abs(), first.grid.transform[5].abs()),
        None => {
            return Err(Error::Config {
                message: "'resolution' is needed when 'crs' differs from the files' CRS".into(),
            });
        }
    };
    let mut bbox: Option<Bbox> = None;
    for a in items.iter().flat_map(|i| i.assets.iter().flatten()) {
        let b = transform_bbox(&a.grid.bounds(), &a.grid.crs, &crs)?;
        bbox = Some(bbox.map_or(b, |x| x.union(&b)));
    }
    let bbox = bbox.ok_or_else(|| Error::Config {
        message: "no asset found".into(),
    })?;
    Ok(Grid::covering(crs, &bbox, res))
}

#[cfg(test)]
mod tests {
    use super::parse_date;

    #[test]
    fn parses_dates_in_file_names() {
        assert_eq!(
            parse_date("20220612").unwrap().to_rfc3339(),
            "2022-06-12T00:00:00+00:00"
        );
        assert_eq!(
            parse_date("2022-06-12").unwrap().to_rfc3339(),
            "2022-06-12T00:00:00+00:00"
        );
        assert_eq!(
            parse_date("20220612T103021").unwrap().to_rfc3339(),
            "2022-06-12T10:30:21+00:00"
        );
        assert!(parse_date("2022-13-01").is_none());
    }
}
