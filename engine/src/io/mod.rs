//! Raster I/O: reading assets (synthetic ones computed, local tiled GeoTIFFs and netCDF-4 variables directly,
//! everything else through GDAL) and writing results (GeoTIFF/COG, netCDF).
//!
//! Readers are functions over an [`crate::Asset`]; writers implement [`TileSink`], which receives finished tiles in any
//! order from the executor and produces the output files when finished.

mod cache;
mod codec;
pub(crate) mod gdal;
mod netcdf_chunks;
pub(crate) mod netcdf_sink;
mod outbound;
mod read;
pub(crate) mod store;
mod synthetic;
mod tiled_tiff;
pub(crate) mod zarr;
mod zarr_sink;

pub(crate) use cache::{BlockCache, Reads};
pub use outbound::{DEFAULT_MAX_BYTES, DEFAULT_MAX_REDIRECTS, DEFAULT_TIMEOUT, Location, OutboundPolicy, resolve_href};
pub(crate) use read::{DecodedWindow, block_lattice, covers, decode_window, forget_prefetched, prefetch, read_asset};
pub use store::{StorageConfig, configure_storage, delete_prefix, remote_reads, stream_object, upload_file};
pub use tiled_tiff::measure_inflate;

/// Forgets open files and parsed headers (call when files may have changed).
pub(crate) fn clear_caches() {
    gdal::clear_dataset_cache();
    tiled_tiff::clear();
    netcdf_chunks::clear();
    zarr::clear();
}

use std::path::{Path, PathBuf};

use crate::{CubeMeta, Result, Window};

/// An output file format the engine can write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// Tiled GeoTIFF; one file per date when the cube keeps a temporal dimension.
    GTiff {
        /// Write Cloud Optimized GeoTIFF (with overviews) instead of a plain tiled GeoTIFF.
        cog: bool,
        /// Compression of the tiles (COGs are always compressed, DEFLATE when `None` is asked for).
        compress: Compression,
    },
    /// CF netCDF-4: `y`, `x` and up to two more coordinates, one variable per band, a grid mapping.
    NetCdf {
        /// The zlib level (1–9) of the variables (with shuffle), or `None` for uncompressed variables.
        deflate: Option<u8>,
    },
    /// A Zarr V3 store (a directory): one array per band, coordinates and CRS as xarray reads them.
    Zarr,
}

/// GeoTIFF tile compression.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Compression {
    /// Uncompressed (fastest to write; the default for plain GeoTIFF).
    #[default]
    None,
    /// DEFLATE.
    Deflate,
    /// ZSTD.
    Zstd,
    /// LZW.
    Lzw,
}

impl Compression {
    /// Parses `none`, `deflate`, `zstd`, `lzw` (case-insensitive).
    pub fn parse(s: &str) -> Option<Compression> {
        match s.to_ascii_lowercase().as_str() {
            "none" => Some(Compression::None),
            "deflate" => Some(Compression::Deflate),
            "zstd" => Some(Compression::Zstd),
            "lzw" => Some(Compression::Lzw),
            _ => None,
        }
    }

    pub(crate) fn gdal_name(self) -> &'static str {
        match self {
            Compression::None => "NONE",
            Compression::Deflate => "DEFLATE",
            Compression::Zstd => "ZSTD",
            Compression::Lzw => "LZW",
        }
    }
}

/// Receives finished tiles of a cube and writes them out.
pub trait TileSink: Send {
    /// Stores the block of `window` (shape: non-spatial lengths, rows, columns).
    ///
    /// # Errors
    /// Any write failure.
    fn write_tile(&mut self, window: &Window, block: &crate::Block) -> Result<()>;

    /// Completes the output and returns the files written, in a stable order.
    ///
    /// # Errors
    /// Any failure while closing or converting the output.
    fn finish(self: Box<Self>) -> Result<Vec<PathBuf>>;
}

/// Creates a sink writing `meta`-shaped cubes to `path` in `format`.
///
/// For GeoTIFF output of a cube with a temporal dimension, one file per date is written next to `path`, named
/// `<stem>_<date>.tif`; otherwise `path` itself is written. Files appear only when complete (temp name + rename).
///
/// # Errors
/// [`crate::Error::Unsupported`] for cubes the format cannot hold, or GDAL errors while creating files.
pub fn create_sink(meta: &CubeMeta, path: &Path, format: OutputFormat) -> Result<Box<dyn TileSink>> {
    match format {
        OutputFormat::GTiff { cog, compress } => Ok(Box::new(gdal::GtiffSink::create(meta, path, cog, compress)?)),
        OutputFormat::NetCdf { deflate } => Ok(Box::new(netcdf_sink::NetcdfSink::create(meta, path, false, deflate)?)),
        OutputFormat::Zarr => Ok(Box::new(zarr_sink::ZarrSink::create(meta, path)?)),
    }
}
