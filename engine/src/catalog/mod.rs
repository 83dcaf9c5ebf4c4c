//! Collections: what an instance serves, described by one TOML file and completed from the files' headers.
//!
//! Extents, grids and dates are read from the data at start-up (headers only, in parallel), never copied into the
//! configuration by hand; synthetic collections take them from the configuration and touch no file. Main types:
//! [`Catalog`], [`Collection`], [`Item`] (one acquisition time) and [`Asset`] (one band of one file, or of the
//! synthetic generator).

mod adhoc;
mod config;
mod scan;

pub use scan::StacReader;
mod synthetic;

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};

pub use adhoc::AssetRef;
pub use config::PropertyValue;

use crate::{BandInfo, Bbox, Error, Grid, Result};

/// One band of one raster file, as read by GDAL, or one band and date of the synthetic generator.
#[derive(Clone, Debug)]
pub struct Asset {
    /// Where the band is read: a local path, `s3://bucket/key`, an http(s) URL, or a GDAL dataset name such as
    /// `NETCDF:"file":var` (`ZARR:…` for a Zarr array); for a synthetic asset only a name for messages.
    pub path: String,
    /// 1-based band index in that dataset.
    pub band: usize,
    /// The file's own grid (the generator's grid for a synthetic asset).
    pub grid: Grid,
    /// Value marking missing data.
    pub nodata: Option<f64>,
    /// When set, the values are computed by [`crate::synthetic_value`] and no file is read.
    pub synthetic: Option<SyntheticBand>,
}

/// One band and date of the synthetic generator: the value of pixel (`x`, `y`) of the asset's grid is
/// [`crate::synthetic_value`]`(seed, band, date, x, y)`, exactly what `generate` writes into its files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyntheticBand {
    /// Seed of the values.
    pub seed: u64,
    /// 0-based band index `b` (the band's position in the collection's band list).
    pub band: usize,
    /// 0-based date index `t` (the date's position in the configured date list).
    pub date: usize,
}

/// All assets of one acquisition time (one scene, or several scenes of the same time that are mosaicked).
#[derive(Clone, Debug)]
pub struct Item {
    /// Acquisition time.
    pub time: DateTime<Utc>,
    /// One entry per collection band (`None` when this item lacks that band).
    pub assets: Vec<Option<Asset>>,
}

/// A collection: metadata, the grid the cube is built on, and its items sorted by time.
#[derive(Clone, Debug)]
pub struct Collection {
    /// Collection id.
    pub id: String,
    /// Short title.
    pub title: String,
    /// Description (CommonMark).
    pub description: String,
    /// SPDX licence id or `proprietary`.
    pub license: String,
    /// Keywords.
    pub keywords: Vec<String>,
    /// Attribution lines.
    pub attribution: Vec<String>,
    /// Bands, in cube order.
    pub bands: Vec<BandInfo>,
    /// The grid all items are read onto.
    pub grid: Grid,
    /// Items sorted by time; items of equal time are mosaicked, first valid pixel wins.
    pub items: Vec<Item>,
    /// Spatial extent in EPSG:4326.
    pub extent_wgs84: Bbox,
    /// Collection-level properties usable in `load_collection(properties=…)`.
    pub properties: Vec<(String, PropertyValue)>,
    /// The items have no acquisition time (e.g. results reduced over time): cubes have no temporal dimension.
    pub timeless: bool,
}

impl Collection {
    /// First and last item times.
    pub fn time_range(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        Some((self.items.first()?.time, self.items.last()?.time))
    }

    /// Distinct item times, ascending.
    pub fn times(&self) -> Vec<DateTime<Utc>> {
        let mut t: Vec<DateTime<Utc>> = self.items.iter().map(|i| i.time).collect();
        t.dedup();
        t
    }

    /// Index of the band called `name`, or whose common name is `name`.
    pub fn band_index(&self, name: &str) -> Option<usize> {
        self.bands
            .iter()
            .position(|b| b.name == name)
            .or_else(|| self.bands.iter().position(|b| b.common_name.as_deref() == Some(name)))
    }
}

/// The collections an instance serves.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    collections: Vec<Arc<Collection>>,
}

impl Catalog {
    /// Reads the TOML configuration at `path` and scans the files of every collection it lists.
    ///
    /// # Errors
    /// [`Error::Config`] for an invalid file or a collection without files; GDAL errors for unreadable files.
    pub fn load(path: &Path) -> Result<Catalog> {
        let (text, base) = Catalog::read(path)?;
        Catalog::from_toml(&text, &base)
    }

    /// As [`Catalog::load`], with `stac` building the collections of `stac` sources.
    ///
    /// # Errors
    /// As [`Catalog::load`], and the errors of `stac`.
    pub fn load_with(path: &Path, stac: scan::StacReader<'_>) -> Result<Catalog> {
        let (text, base) = Catalog::read(path)?;
        Catalog::from_toml_with(&text, &base, stac)
    }

    fn read(path: &Path) -> Result<(String, std::path::PathBuf)> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Ok((text, path.parent().unwrap_or(Path::new(".")).to_path_buf()))
    }

    /// Parses a TOML configuration whose relative paths are resolved against `base`.
    ///
    /// # Errors
    /// As [`Catalog::load`].
    pub fn from_toml(text: &str, base: &Path) -> Result<Catalog> {
        let no_reader = |id: &str, _: &str| -> Result<Collection> {
            Err(Error::Config {
                message: format!("collection {id}: a stac source needs a STAC reader (the server and `run` have one)"),
            })
        };
        Catalog::from_toml_with(text, base, &no_reader)
    }

    /// As [`Catalog::from_toml`], with `stac` building the collections of `stac` sources from their URL.
    ///
    /// # Errors
    /// As [`Catalog::load`], and the errors of `stac`.
    pub fn from_toml_with(text: &str, base: &Path, stac: scan::StacReader<'_>) -> Result<Catalog> {
        let (cfg, storage) = config::parse(text)?;
        if let Some(storage) = storage {
            crate::configure_storage(storage.resolve(base)?)?;
        }
        let mut collections = Vec::new();
        for c in cfg {
            let id = c.id.clone();
            let col = scan::build(c, base, stac).map_err(|e| match e {
                Error::Config { message } => Error::Config {
                    message: format!("collection {id}: {message}"),
                },
                other => other,
            })?;
            if collections.iter().any(|x: &Arc<Collection>| x.id == col.id) {
                return Err(Error::Config {
                    message: format!("collection id {} is listed twice", col.id),
                });
            }
            collections.push(Arc::new(col));
        }
        Ok(Catalog { collections })
    }

    /// A catalog made of already built collections.
    pub fn from_collections(collections: Vec<Collection>) -> Catalog {
        Catalog {
            collections: collections.into_iter().map(Arc::new).collect(),
        }
    }

    /// All collections, in configuration order.
    pub fn collections(&self) -> &[Arc<Collection>] {
        &self.collections
    }

    /// The collection with `id`.
    pub fn get(&self, id: &str) -> Option<&Arc<Collection>> {
        self.collections.iter().find(|c| c.id == id)
    }
}
