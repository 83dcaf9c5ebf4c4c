//! Everything that calls GDAL: dataset cache, header reads, CRS handling, window reads and the writers.
//!
//! Threading rule (GDAL's own): a dataset handle is used by one thread at a time. Read-only datasets live in a pool
//! ([`with_dataset`]) from which a thread checks one out for the duration of a read; the pool and the HDF5
//! error-printing switch ([`silence_hdf5_errors`]) are the only global state of the engine.
#![allow(unsafe_code)]

mod gtiff;
mod info;
mod netcdf;
mod netcdf_vector;
mod srs;

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use gdal::Dataset;

pub(crate) use gtiff::{GtiffSink, temp_name, unravel};
pub(crate) use info::decode_cf_time;
pub use info::{GdalInfo, read_info};
pub(crate) use netcdf::{NetcdfLayout, create_netcdf};
pub(crate) use netcdf_vector::write_vector_netcdf;
pub use srs::{crs_from_user, transform_bbox, transform_points};
pub(crate) use srs::{crs_of, srs_of};

use crate::{Error, Result};

/// Open read-only datasets by path and file version, each checked out by one thread at a time.
static DATASETS: OnceLock<Mutex<HashMap<String, Vec<Dataset>>>> = OnceLock::new();

/// The most datasets the pool keeps open (further ones are closed when their thread is done with them).
const POOL_MAX: usize = 256;

/// The pool key of a dataset name: the name, and for a local file (also inside `NETCDF:"file":var`) its size and
/// modification time, so a replaced file is opened afresh.
fn pool_key(path: &str) -> String {
    let file = crate::io::netcdf_chunks::split_name(path).map_or(path, |(file, _)| file);
    if crate::io::store::is_remote(file) || file.starts_with("/vsi") {
        return path.to_string();
    }
    format!("{path}|{}", super::codec::file_version(std::path::Path::new(file)))
}

fn pool() -> std::sync::MutexGuard<'static, HashMap<String, Vec<Dataset>>> {
    DATASETS
        .get_or_init(|| Mutex::new(HashMap::new()))
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Runs `f` with an open dataset for `path`: one from the pool when a thread returned one, else a new one. The
/// dataset is used by this thread alone and goes back to the pool afterwards (while it holds fewer than
/// [`POOL_MAX`]), so a file is open about once per thread that reads it at the same time rather than once per read.
pub(crate) fn with_dataset<T>(path: &str, f: impl FnOnce(&Dataset) -> Result<T>) -> Result<T> {
    let key = pool_key(path);
    let pooled = pool().get_mut(&key).and_then(Vec::pop);
    let ds = match pooled {
        Some(ds) => ds,
        None => {
            silence_hdf5_errors();
            open_read_only(path)?
        }
    };
    let out = f(&ds);
    let mut pool = pool();
    pool.retain(|_, open| !open.is_empty());
    if pool.values().map(Vec::len).sum::<usize>() < POOL_MAX {
        pool.entry(key).or_default().push(ds);
    }
    out
}

/// Opens a dataset for reading. Remote files (`/vsicurl…`, named by users' STAC documents) are opened with the
/// GeoTIFF driver only, so a remote file cannot make GDAL open further files (as a VRT could).
///
/// # Errors
/// GDAL failing to open the file.
pub(crate) fn open_read_only(location: &str) -> Result<Dataset> {
    let name = dataset_name(location);
    let path = name.as_str();
    let opened = if path.starts_with("/vsicurl") || path.starts_with("/vsis3/") {
        let options = gdal::DatasetOptions {
            open_flags: gdal::GdalOpenFlags::GDAL_OF_RASTER | gdal::GdalOpenFlags::GDAL_OF_READONLY,
            allowed_drivers: Some(&["GTiff"]),
            ..gdal::DatasetOptions::default()
        };
        Dataset::open_ex(path, options)
    } else {
        Dataset::open(path)
    };
    opened.map_err(|e| {
        // GDAL says little about remote failures: the object store names the reason (missing, denied, down)
        match crate::io::store::is_remote(location).then(|| crate::io::store::object(location)) {
            Some(Err(clear)) => clear,
            _ => Error::gdal(format!("opening {path}"))(e),
        }
    })
}

/// GDAL's name for a location: `/vsis3/bucket/key` for `s3://bucket/key`, for an http(s) URL a `/vsicurl?…` name
/// without retries, directory listings or side-car probes that aborts a transfer stalling for the storage timeout;
/// anything else unchanged.
pub(crate) fn dataset_name(location: &str) -> String {
    if let Some(rest) = location.strip_prefix("s3://") {
        return format!("/vsis3/{rest}");
    }
    if crate::io::store::is_http(location) {
        let stall = crate::io::store::timeout().as_secs().max(1);
        return format!(
            "/vsicurl?max_retry=0&empty_dir=yes&low_speed_time={stall}&low_speed_limit=1&url={}",
            crate::io::outbound::percent_encode(location)
        );
    }
    location.to_string()
}

/// Points GDAL's `/vsis3/` at the configured S3-compatible endpoint and credentials (unset ones come from the
/// environment, as GDAL reads it).
///
/// # Errors
/// GDAL refusing a configuration option.
pub(crate) fn configure_s3(cfg: &crate::StorageConfig) -> Result<()> {
    let set = |k: &str, v: &str| gdal::config::set_config_option(k, v).map_err(Error::gdal(format!("setting {k}")));
    let endpoint = cfg.endpoint();
    if let Some(e) = endpoint {
        let host = e.split_once("://").map_or(e.as_str(), |(_, h)| h).trim_end_matches('/');
        set("AWS_S3_ENDPOINT", host)?;
        set("AWS_HTTPS", if e.starts_with("http://") { "NO" } else { "YES" })?;
        set("AWS_VIRTUAL_HOSTING", "FALSE")?;
    }
    for (key, value) in [
        ("AWS_REGION", &cfg.s3_region),
        ("AWS_ACCESS_KEY_ID", &cfg.s3_access_key_id),
        ("AWS_SECRET_ACCESS_KEY", &cfg.s3_secret_access_key),
    ] {
        if let Some(v) = value {
            set(key, v)?;
        }
    }
    if cfg.s3_anonymous {
        set("AWS_NO_SIGN_REQUEST", "YES")?;
    }
    set("GDAL_HTTP_TIMEOUT", &cfg.timeout.as_secs().max(1).to_string())?;
    set("GDAL_HTTP_MAX_RETRY", &cfg.retries.to_string())
}

/// Closes the pooled datasets (call when files may have changed).
pub(crate) fn clear_dataset_cache() {
    pool().clear();
}

/// Reads the rectangle `(col, row, width, height)` of the asset's band through GDAL into `buf` (exactly
/// `width * height` values) as f32, with the asset's nodata turned into NaN.
///
/// # Errors
/// GDAL failing to open or read the asset.
pub(crate) fn read_band_rect(
    asset: &crate::Asset,
    (col, row, width, height): (usize, usize, usize, usize),
    buf: &mut [f32],
) -> Result<()> {
    with_dataset(&asset.path, |ds| {
        let band = ds
            .rasterband(asset.band)
            .map_err(Error::gdal(format!("opening band {} of {}", asset.band, asset.path)))?;
        band.read_into_slice::<f32>(
            (col as isize, row as isize),
            (width, height),
            (width, height),
            buf,
            None,
        )
        .map_err(Error::gdal(format!("reading {} band {}", asset.path, asset.band)))?;
        if let Some(nd) = asset.nodata {
            let nd = nd as f32;
            if !nd.is_nan() {
                // a branch-free select, so the loop vectorises
                for v in buf.iter_mut() {
                    *v = if *v == nd { f32::NAN } else { *v };
                }
            }
        }
        Ok(())
    })
}

/// Sets process-wide GDAL options: the block cache size (MiB) and no directory listings on open.
///
/// # Errors
/// GDAL refusing a configuration option.
pub fn init(cache_mib: usize) -> Result<()> {
    let set = |k: &str, v: &str| gdal::config::set_config_option(k, v).map_err(Error::gdal(format!("setting {k}")));
    set("GDAL_CACHEMAX", &cache_mib.to_string())?;
    set("GDAL_DISABLE_READDIR_ON_OPEN", "EMPTY_DIR")?;
    silence_hdf5_errors();
    Ok(())
}

#[link(name = "hdf5_serial")]
unsafe extern "C" {
    fn H5Eset_auto2(estack: i64, func: *const std::ffi::c_void, data: *mut std::ffi::c_void) -> i32;
}

/// Turns off HDF5's automatic error printing on the calling thread. libhdf5 keeps this setting per thread and
/// libnetcdf only turns it off on the thread that opened the library first, so every pool thread calls this.
pub(crate) fn silence_hdf5_errors() {
    // SAFETY: H5E_DEFAULT (0) with a null callback is the documented way to disable automatic printing; the call
    // touches only the calling thread's HDF5 error state.
    unsafe {
        H5Eset_auto2(0, std::ptr::null(), std::ptr::null_mut());
    }
}
