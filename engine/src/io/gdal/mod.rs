//! Everything that calls GDAL: dataset cache, header reads, CRS handling, window reads and the writers.
//!
//! Threading rule (GDAL's own): a dataset handle is used by one thread at a time. Every worker thread therefore keeps
//! its own read-only datasets in a thread-local cache ([`with_dataset`]); this cache and the HDF5 error-printing
//! switch ([`silence_hdf5_errors`]) are the only global state of the engine.
#![allow(unsafe_code)]

mod gtiff;
mod info;
mod netcdf;
mod read;
mod srs;

use std::cell::RefCell;
use std::collections::HashMap;

use gdal::Dataset;

pub(crate) use gtiff::{GtiffSink, temp_name, unravel};
pub use info::{GdalInfo, read_info};
pub(crate) use netcdf::NetcdfSink;
pub(crate) use read::read_asset;
pub use srs::{crs_from_user, transform_bbox, transform_points};
pub(crate) use srs::{crs_of, srs_of};

use crate::{Error, Result};

thread_local! {
    static DATASETS: RefCell<HashMap<String, Dataset>> = RefCell::new(HashMap::new());
}

/// Runs `f` with this thread's open dataset for `path`, opening it on first use.
pub(crate) fn with_dataset<T>(path: &str, f: impl FnOnce(&Dataset) -> Result<T>) -> Result<T> {
    DATASETS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if !cache.contains_key(path) {
            silence_hdf5_errors();
            let ds = Dataset::open(path).map_err(Error::gdal(format!("opening {path}")))?;
            cache.insert(path.to_string(), ds);
        }
        match cache.get(path) {
            Some(ds) => f(ds),
            None => Err(Error::internal("dataset missing from cache after insertion")),
        }
    })
}

/// Closes this thread's cached datasets (call on every pool thread when files may have changed).
pub(crate) fn clear_dataset_cache() {
    DATASETS.with(|cache| cache.borrow_mut().clear());
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
