//! The TOML collection configuration.
//!
//! ```toml
//! [[collections]]
//! id = "SENTINEL2_L2A_SAMPLE"
//! title = "Sentinel-2 L2A sample"
//! source = { kind = "files", glob = "s2/*.tif", pattern = '_(?P<date>\d{8})_(?P<band>[A-Z0-9]+)\.tif$' }
//! bands = [{ name = "B04", common_name = "red", wavelength = 0.665, nodata = 0 }]
//! ```
//! Source kinds: `files` (one band per file; date and band from the file name), `multiband` (all bands in each
//! file, matched by band description or position; date from the file name or the `DATETIME` tag), `netcdf`
//! (variables are bands, time from the CF time dimension), `zarr` (a Zarr store, `path = "cube.zarr"`: arrays are
//! bands, coordinates and CRS as xarray writes them), `stac` (`url` of a static STAC catalog, collection or item, or of
//! a STAC API search: items with one asset per band, as `load_stac` reads them) and `synthetic` (no files: the values of
//! `openeo-local generate`, computed while reading, on a grid and dates given in the configuration).

use serde::Deserialize;

use crate::{BandInfo, Error, Result};

/// A collection-level property value.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum PropertyValue {
    /// A boolean.
    Bool(bool),
    /// A number.
    Number(f64),
    /// A string.
    Text(String),
}

#[derive(Debug, Deserialize)]
struct ConfigFile {
    #[serde(default)]
    collections: Vec<CollectionConfig>,
    #[serde(default)]
    storage: Option<StorageSection>,
}

/// The `[storage]` table: how objects in buckets and on HTTP servers are reached (see [`crate::StorageConfig`]).
///
/// ```toml
/// [storage]
/// s3_endpoint = "http://127.0.0.1:9000"   # an S3-compatible server; default AWS_ENDPOINT_URL, else AWS
/// s3_region = "us-east-1"                 # default AWS_REGION
/// s3_access_key_id = "..."                # default AWS_ACCESS_KEY_ID (and AWS_SECRET_ACCESS_KEY)
/// s3_secret_access_key = "..."
/// s3_anonymous = false                    # unsigned requests (public buckets)
/// timeout_seconds = 30                    # each request
/// retries = 3                             # transient failures, with backoff
/// cache_dir = "/var/cache/openeo-local"   # objects read whole (netCDF)
/// max_object_mib = 2048
/// max_cache_mib = 8192
/// ```
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StorageSection {
    #[serde(default)]
    s3_endpoint: Option<String>,
    #[serde(default)]
    s3_region: Option<String>,
    #[serde(default)]
    s3_access_key_id: Option<String>,
    #[serde(default)]
    s3_secret_access_key: Option<String>,
    #[serde(default)]
    s3_anonymous: bool,
    #[serde(default)]
    timeout_seconds: Option<f64>,
    #[serde(default)]
    retries: Option<usize>,
    #[serde(default)]
    cache_dir: Option<std::path::PathBuf>,
    #[serde(default)]
    max_object_mib: Option<u64>,
    #[serde(default)]
    max_cache_mib: Option<u64>,
}

impl StorageSection {
    /// The storage configuration this table gives, relative paths resolved against `base`.
    ///
    /// # Errors
    /// A timeout that is not a positive number of seconds.
    pub(crate) fn resolve(self, base: &std::path::Path) -> Result<crate::StorageConfig> {
        let mut c = crate::StorageConfig {
            s3_endpoint: self.s3_endpoint,
            s3_region: self.s3_region,
            s3_access_key_id: self.s3_access_key_id,
            s3_secret_access_key: self.s3_secret_access_key,
            s3_anonymous: self.s3_anonymous,
            ..Default::default()
        };
        if let Some(t) = self.timeout_seconds {
            c.timeout = std::time::Duration::try_from_secs_f64(t)
                .ok()
                .filter(|d| !d.is_zero())
                .ok_or_else(|| Error::Config {
                    message: format!("storage timeout_seconds must be a positive number, not {t}"),
                })?;
        }
        c.retries = self.retries.unwrap_or(c.retries);
        if let Some(d) = self.cache_dir {
            c.cache_dir = base.join(d);
        }
        c.max_object_bytes = self.max_object_mib.map_or(c.max_object_bytes, |m| m << 20);
        c.max_cache_bytes = self.max_cache_mib.map_or(c.max_cache_bytes, |m| m << 20);
        Ok(c)
    }
}

/// One `[[collections]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CollectionConfig {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) title: Option<String>,
    #[serde(default)]
    pub(crate) description: Option<String>,
    #[serde(default)]
    pub(crate) license: Option<String>,
    #[serde(default)]
    pub(crate) keywords: Vec<String>,
    #[serde(default)]
    pub(crate) attribution: Vec<String>,
    pub(crate) source: SourceConfig,
    pub(crate) bands: Vec<BandInfo>,
    /// Pixel size of the collection grid; default: the first file's.
    #[serde(default)]
    pub(crate) resolution: Option<[f64; 2]>,
    /// CRS of the collection grid; default: the first file's.
    #[serde(default)]
    pub(crate) crs: Option<String>,
    #[serde(default)]
    pub(crate) properties: std::collections::BTreeMap<String, PropertyValue>,
}

/// Where a collection's files are and how their names encode date and band.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum SourceConfig {
    /// One band per file.
    Files { glob: String, pattern: String },
    /// Several bands per file.
    Multiband {
        glob: String,
        #[serde(default)]
        pattern: Option<String>,
    },
    /// CF netCDF files; variables are bands.
    Netcdf { glob: String },
    /// A Zarr store (a directory, V2 as xarray writes it or V3); arrays are bands.
    Zarr { path: String },
    /// A static STAC catalog, collection or item, or a STAC API item search (read by the caller's STAC reader).
    Stac { url: String },
    /// No files: the generator's values, computed on the fly.
    Synthetic(SyntheticConfig),
}

/// A `synthetic` source: the grid and dates of `openeo-local generate` (its bands are the collection's).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SyntheticConfig {
    /// CRS of the grid (an EPSG code or WKT).
    pub(crate) crs: String,
    /// Upper-left corner `[x, y]` of the grid.
    pub(crate) origin: [f64; 2],
    /// Pixel size (square pixels).
    pub(crate) resolution: f64,
    /// `[width, height]` in pixels.
    pub(crate) size: [usize; 2],
    /// Acquisition dates (`2022-06-01`, optionally with a time); their order gives the date index.
    pub(crate) dates: Vec<String>,
    /// Seed of the values.
    pub(crate) seed: u64,
}

/// The collections and the `[storage]` table of a configuration.
pub(crate) fn parse(text: &str) -> Result<(Vec<CollectionConfig>, Option<StorageSection>)> {
    let cfg: ConfigFile = toml::from_str(text).map_err(|e| Error::Config { message: e.to_string() })?;
    Ok((cfg.collections, cfg.storage))
}
