//! The synthetic data generator: Sentinel-2-like UInt16 COGs (DEFLATE, 512 tiles, overviews), one per band and
//! date, and the same values as one CF netCDF. Values are a deterministic function of the seed, band, date and
//! pixel, with blocky "cloud" areas of nodata (0) that move from date to date.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use gdal::raster::{Buffer, RasterCreationOptions};
use gdal::{DriverManager, Metadata};
use rayon::prelude::*;

use crate::io::gdal::srs_of;
use crate::io::netcdf_sink::NetcdfSink;
use crate::{BandInfo, Block, Crs, CubeMeta, Dimension, Error, Grid, Labels, Result, TileSink, Window};

/// What to generate.
#[derive(Clone, Debug)]
pub struct SyntheticSpec {
    /// File name prefix.
    pub name: String,
    /// The grid of every file.
    pub grid: Grid,
    /// Band names.
    pub bands: Vec<String>,
    /// Acquisition dates.
    pub dates: Vec<NaiveDate>,
    /// Seed of the deterministic values.
    pub seed: u64,
    /// Also write `<name>.nc`.
    pub netcdf: bool,
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The value of band `b`, date `t` at pixel (`x`, `y`); 0 means nodata.
pub fn synthetic_value(seed: u64, b: usize, t: usize, x: usize, y: usize) -> u16 {
    let cloud = mix(seed ^ ((t as u64) << 40) ^ (((y / 32) as u64) << 20) ^ (x / 32) as u64).is_multiple_of(7);
    if cloud {
        return 0;
    }
    let smooth = ((x * 3 + y * 2 + t * 97) % 1000) as u64;
    let noise = mix(seed ^ ((b as u64) << 56) ^ ((t as u64) << 44) ^ ((y as u64) << 22) ^ x as u64) & 15;
    (300 + 400 * b as u64 + smooth + noise) as u16
}

fn date_label(d: &NaiveDate) -> String {
    d.format("%Y%m%d").to_string()
}

/// Writes the files of `spec` into `dir` and returns their paths.
///
/// # Errors
/// GDAL or file-system errors.
pub fn generate(spec: &SyntheticSpec, dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let jobs: Vec<(usize, usize)> = (0..spec.dates.len())
        .flat_map(|t| (0..spec.bands.len()).map(move |b| (t, b)))
        .collect();
    let mut files: Vec<PathBuf> = jobs
        .par_iter()
        .map(|&(t, b)| write_cog(spec, dir, t, b))
        .collect::<Result<_>>()?;
    if spec.netcdf {
        files.push(write_netcdf(spec, dir)?);
    }
    Ok(files)
}

fn write_cog(spec: &SyntheticSpec, dir: &Path, t: usize, b: usize) -> Result<PathBuf> {
    let g = &spec.grid;
    let target = dir.join(format!(
        "{}_{}_{}.tif",
        spec.name,
        date_label(&spec.dates[t]),
        spec.bands[b]
    ));
    let mem = DriverManager::get_driver_by_name("MEM").map_err(Error::gdal("loading the MEM driver"))?;
    let mut ds = mem
        .create_with_band_type::<u16, _>("", g.width, g.height, 1)
        .map_err(Error::gdal("creating a MEM dataset"))?;
    ds.set_geo_transform(&g.transform)
        .map_err(Error::gdal("setting the geotransform"))?;
    ds.set_spatial_ref(&srs_of(&g.crs)?)
        .map_err(Error::gdal("setting the CRS"))?;
    let date = spec.dates[t].format("%Y:%m:%d 00:00:00").to_string();
    ds.set_metadata_item("TIFFTAG_DATETIME", &date, "")
        .map_err(Error::gdal("setting the date"))?;
    let data: Vec<u16> = (0..g.height)
        .flat_map(|y| (0..g.width).map(move |x| synthetic_value(spec.seed, b, t, x, y)))
        .collect();
    {
        let mut band = ds.rasterband(1).map_err(Error::gdal("opening a band"))?;
        band.set_no_data_value(Some(0.0))
            .map_err(Error::gdal("setting nodata"))?;
        band.set_description(&spec.bands[b])
            .map_err(Error::gdal("naming a band"))?;
        let mut buf = Buffer::new((g.width, g.height), data);
        band.write((0, 0), (g.width, g.height), &mut buf)
            .map_err(Error::gdal("filling a band"))?;
    }
    let cog = DriverManager::get_driver_by_name("COG").map_err(Error::gdal("loading the COG driver"))?;
    let opts =
        RasterCreationOptions::from_iter(["COMPRESS=DEFLATE", "BLOCKSIZE=512", "OVERVIEWS=AUTO", "NUM_THREADS=1"]);
    let temp = crate::io::gdal::temp_name(&target);
    ds.create_copy(&cog, &temp, &opts)
        .map_err(Error::gdal(format!("writing {}", target.display())))?;
    std::fs::rename(&temp, &target).map_err(|source| Error::Io {
        path: target.clone(),
        source,
    })?;
    Ok(target)
}

fn write_netcdf(spec: &SyntheticSpec, dir: &Path) -> Result<PathBuf> {
    let g = &spec.grid;
    let target = dir.join(format!("{}.nc", spec.name));
    let times = spec
        .dates
        .iter()
        .filter_map(|d| d.and_hms_opt(0, 0, 0))
        .map(|n| n.and_utc())
        .collect();
    let dims = vec![
        Dimension::new("t", Labels::Time(times)),
        Dimension::new("bands", Labels::Bands(spec.bands.iter().map(BandInfo::named).collect())),
    ];
    let meta = CubeMeta::new(dims, g.clone());
    let mut sink = Box::new(NetcdfSink::create(&meta, &target, true, Some(1))?);
    let (nt, nb) = (spec.dates.len(), spec.bands.len());
    let rows = 512usize;
    for y0 in (0..g.height).step_by(rows) {
        let h = rows.min(g.height - y0);
        let w = Window {
            x0: 0,
            y0,
            width: g.width,
            height: h,
        };
        let mut data = Vec::with_capacity(nt * nb * w.cells());
        for t in 0..nt {
            for b in 0..nb {
                for y in y0..y0 + h {
                    data.extend((0..g.width).map(|x| match synthetic_value(spec.seed, b, t, x, y) {
                        0 => f32::NAN,
                        v => f32::from(v),
                    }));
                }
            }
        }
        sink.write_tile(&w, &Block::new(vec![nt, nb, h, g.width], data)?)?;
    }
    sink.finish()?;
    Ok(target)
}

impl SyntheticSpec {
    /// A spec on a north-up grid with origin (`west`, `north`) and square pixels of `resolution`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        name: &str,
        crs: Crs,
        west: f64,
        north: f64,
        resolution: f64,
        size: (usize, usize),
        bands: Vec<String>,
        dates: Vec<NaiveDate>,
        seed: u64,
    ) -> SyntheticSpec {
        let grid = Grid {
            crs,
            transform: [west, resolution, 0.0, north, 0.0, -resolution],
            width: size.0,
            height: size.1,
        };
        SyntheticSpec {
            name: name.to_string(),
            grid,
            bands,
            dates,
            seed,
            netcdf: true,
        }
    }
}
