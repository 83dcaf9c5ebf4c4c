//! Header reads: grid, bands and (for netCDF variables) decoded time values of a raster, without reading pixels.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Utc};
use gdal::{Dataset, Metadata};

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use super::crs_of;
use crate::io::tiled_tiff::{self, GeoKeys};
use crate::{Crs, Error, Grid, Result};

/// What a raster header says.
#[derive(Clone, Debug)]
pub struct GdalInfo {
    /// The raster grid; rasters without a CRS get EPSG:4326 when their coordinates look geographic.
    pub grid: Grid,
    /// Per band: its description (GDAL description, else `DESCRIPTION` metadata), if any.
    pub band_names: Vec<Option<String>>,
    /// Per band: the nodata value tagged in the file.
    pub nodata: Vec<Option<f64>>,
    /// For netCDF variables with an extra time dimension: the instant of each band.
    pub times: Option<Vec<DateTime<Utc>>>,
    /// Subdataset names (`NETCDF:"file":var`) and their variable names, for container files.
    pub subdatasets: Vec<(String, String)>,
    /// The date in the `DATETIME` TIFF tag, if present.
    pub datetime: Option<DateTime<Utc>>,
}

/// Reads the header of `path` (a file name or a GDAL dataset name such as `NETCDF:"f.nc":var`).
///
/// # Errors
/// GDAL failing to open the file, or a raster without geotransform.
pub fn read_info(path: &str) -> Result<GdalInfo> {
    super::silence_hdf5_errors();
    let ds = super::open_read_only(path)?;
    let subdatasets = subdatasets(&ds);
    let (width, height) = ds.raster_size();
    let transform = ds.geo_transform().unwrap_or([0.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
    let crs = match crs_of_file(&ds, path)? {
        Some(c) => c,
        // a container (netCDF with several variables) has no grid of its own; its subdatasets do
        None if !subdatasets.is_empty() => Crs::new(String::new(), None),
        None => geographic_default(&transform, width, height, path)?,
    };
    let grid = Grid {
        crs,
        transform,
        width,
        height,
    };
    let mut band_names = Vec::new();
    let mut nodata = Vec::new();
    for i in 1..=ds.raster_count() {
        let band = ds
            .rasterband(i)
            .map_err(Error::gdal(format!("reading band {i} of {path}")))?;
        let desc = band
            .description()
            .ok()
            .filter(|d| !d.is_empty())
            .or_else(|| band.metadata_item("DESCRIPTION", ""));
        band_names.push(desc);
        nodata.push(band.no_data_value());
    }
    let times = netcdf_times(&ds, path)?;
    let datetime = ds
        .metadata_item("TIFFTAG_DATETIME", "")
        .as_deref()
        .and_then(parse_tiff_datetime)
        .or_else(|| {
            ds.metadata_item("DATETIME", "IMAGE_STRUCTURE")
                .as_deref()
                .and_then(parse_tiff_datetime)
        });
    Ok(GdalInfo {
        grid,
        band_names,
        nodata,
        times,
        subdatasets,
        datetime,
    })
}

/// Distinct GeoTIFF keys seen and the CRS GDAL made of them (bounded: forgotten all at once when full).
static CRS_OF_KEYS: Mutex<BTreeMap<GeoKeys, Option<Crs>>> = Mutex::new(BTreeMap::new());

/// The CRS of `ds`, opened from `path`. For a local GeoTIFF it is made once per distinct set of GeoTIFF keys:
/// making it queries PROJ's database (about a third of a millisecond per file), and a collection is often hundreds
/// of files on one CRS.
fn crs_of_file(ds: &Dataset, path: &str) -> Result<Option<Crs>> {
    let tiff = (!crate::io::store::is_remote(path))
        .then(|| tiled_tiff::open(path))
        .flatten();
    let Some(keys) = tiff.as_ref().and_then(|t| t.geokeys()) else {
        return crs_of(ds);
    };
    if let Some(known) = CRS_OF_KEYS.lock().unwrap_or_else(PoisonError::into_inner).get(keys) {
        return Ok(known.clone());
    }
    // keys that name an EPSG code and nothing else: the CRS straight from PROJ's database, which costs a fraction
    // of GDAL's reading of the keys (that is a dozen milliseconds the first time)
    let crs = match keys.epsg() {
        Some(code) => Some(super::crs_from_user(&code.to_string())?),
        None => crs_of(ds)?,
    };
    let mut known = CRS_OF_KEYS.lock().unwrap_or_else(PoisonError::into_inner);
    if known.len() >= 256 {
        known.clear();
    }
    known.insert(keys.clone(), crs.clone());
    Ok(crs)
}

fn subdatasets(ds: &Dataset) -> Vec<(String, String)> {
    let items = ds.metadata_domain("SUBDATASETS").unwrap_or_default();
    items
        .iter()
        .filter_map(|kv| kv.split_once('='))
        .filter(|(k, _)| k.ends_with("_NAME"))
        .map(|(_, v)| (v.to_string(), v.rsplit(':').next().unwrap_or(v).to_string()))
        .collect()
}

/// A raster without CRS whose coordinates fit longitude/latitude ranges is taken as EPSG:4326 (CF files with
/// lat/lon coordinates and no grid mapping).
fn geographic_default(t: &[f64; 6], w: usize, h: usize, path: &str) -> Result<Crs> {
    let xs = [t[0], t[0] + t[1] * w as f64];
    let ys = [t[3], t[3] + t[5] * h as f64];
    let geographic = xs.iter().all(|x| (-180.0..=360.0).contains(x)) && ys.iter().all(|y| (-90.0..=90.0).contains(y));
    if geographic && t[1] != 1.0 {
        super::crs_from_user("EPSG:4326")
    } else {
        Err(Error::Config {
            message: format!("{path} has no coordinate reference system"),
        })
    }
}

fn parse_tiff_datetime(s: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(s.trim(), "%Y:%m:%d %H:%M:%S")
        .ok()
        .map(|n| n.and_utc())
}

/// Decodes the time values of a netCDF variable with one extra dimension (`NETCDF_DIM_EXTRA={t}`).
fn netcdf_times(ds: &Dataset, path: &str) -> Result<Option<Vec<DateTime<Utc>>>> {
    let Some(extra) = ds.metadata_item("NETCDF_DIM_EXTRA", "") else {
        return Ok(None);
    };
    let dims: Vec<&str> = extra
        .trim_matches(|c| c == '{' || c == '}')
        .split(',')
        .filter(|s| !s.is_empty())
        .collect();
    let [dim] = dims.as_slice() else {
        return Err(Error::Unsupported {
            message: format!("{path} has extra dimensions {extra}; only one (time) is supported"),
        });
    };
    let units = ds.metadata_item(&format!("{dim}#units"), "").unwrap_or_default();
    let calendar = ds
        .metadata_item(&format!("{dim}#calendar"), "")
        .unwrap_or_else(|| "standard".into());
    let mut times = Vec::new();
    for i in 1..=ds.raster_count() {
        let band = ds
            .rasterband(i)
            .map_err(Error::gdal(format!("reading band {i} of {path}")))?;
        let raw = band.metadata_item(&format!("NETCDF_DIM_{dim}"), "").unwrap_or_default();
        let value: f64 = raw.parse().map_err(|_| Error::Config {
            message: format!("{path}: band {i} has no value for dimension {dim}"),
        })?;
        times.push(
            decode_cf_time(value, &units, &calendar).map_err(|message| Error::Config {
                message: format!("{path}: {message}"),
            })?,
        );
    }
    Ok(Some(times))
}

/// Decodes a CF time value `value` in `units` (`<unit> since <reference>`) on a Gregorian calendar.
pub(crate) fn decode_cf_time(value: f64, units: &str, calendar: &str) -> std::result::Result<DateTime<Utc>, String> {
    if !matches!(
        calendar.to_ascii_lowercase().as_str(),
        "standard" | "gregorian" | "proleptic_gregorian" | ""
    ) {
        return Err(format!(
            "calendar '{calendar}' is not supported (only standard/gregorian/proleptic_gregorian)"
        ));
    }
    let (unit, reference) = units
        .split_once(" since ")
        .ok_or_else(|| format!("time units '{units}' are not '<unit> since <date>'"))?;
    let seconds_per_unit = match unit.trim().to_ascii_lowercase().as_str() {
        "seconds" | "second" | "secs" | "s" => 1.0,
        "minutes" | "minute" | "mins" | "min" => 60.0,
        "hours" | "hour" | "hrs" | "h" => 3600.0,
        "days" | "day" | "d" => 86400.0,
        other => return Err(format!("time unit '{other}' is not supported")),
    };
    let reference =
        parse_reference(reference.trim()).ok_or_else(|| format!("cannot parse the time reference '{reference}'"))?;
    let millis = (value * seconds_per_unit * 1000.0).round() as i64;
    reference
        .checked_add_signed(TimeDelta::milliseconds(millis))
        .ok_or_else(|| format!("time value {value} is out of range"))
}

fn parse_reference(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim_end_matches('Z').trim_end_matches(" UTC").replace('T', " ");
    for fmt in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(&s, fmt) {
            return Some(n.and_utc());
        }
    }
    NaiveDate::parse_from_str(&s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|n| n.and_utc())
}

#[cfg(test)]
mod tests {
    use super::decode_cf_time;

    #[test]
    fn decodes_cf_units() {
        let t = decode_cf_time(1.5, "days since 2020-01-01", "standard").unwrap();
        assert_eq!(t.to_rfc3339(), "2020-01-02T12:00:00+00:00");
        let t = decode_cf_time(3600.0, "seconds since 1970-01-01 00:00:00", "proleptic_gregorian").unwrap();
        assert_eq!(t.to_rfc3339(), "1970-01-01T01:00:00+00:00");
        assert!(decode_cf_time(1.0, "days since 2020-01-01", "360_day").is_err());
        assert!(decode_cf_time(1.0, "fortnights since 2020-01-01", "standard").is_err());
    }
}
