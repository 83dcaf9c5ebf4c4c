//! `openeo-local generate`: deterministic synthetic Sentinel-2-like data.

use std::path::PathBuf;

use chrono::NaiveDate;
use openeo_engine::{SyntheticSpec, crs_from_user};

use crate::RunError;

/// Arguments of `generate`.
#[derive(Debug, clap::Args)]
pub(crate) struct GenerateArgs {
    /// Output directory.
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// File name prefix.
    #[arg(long, default_value = "SYNTH")]
    pub(crate) name: String,
    /// CRS of the grid.
    #[arg(long, default_value = "EPSG:32632")]
    pub(crate) crs: String,
    /// Upper-left corner `X,Y` of the grid.
    #[arg(long, value_delimiter = ',', default_values_t = [600000.0, 5200000.0])]
    pub(crate) origin: Vec<f64>,
    /// Pixel size.
    #[arg(long, default_value_t = 10.0)]
    pub(crate) resolution: f64,
    /// Width and height in pixels.
    #[arg(long, value_delimiter = ',', default_values_t = [1024usize, 1024])]
    pub(crate) size: Vec<usize>,
    /// Band names.
    #[arg(long, value_delimiter = ',', default_value = "B02,B03,B04,B08")]
    pub(crate) bands: Vec<String>,
    /// Dates (YYYY-MM-DD).
    #[arg(long, value_delimiter = ',', default_value = "2022-06-01,2022-06-11,2022-06-21")]
    pub(crate) dates: Vec<NaiveDate>,
    /// Seed of the values.
    #[arg(long, default_value_t = 42)]
    pub(crate) seed: u64,
    /// Skip the netCDF file.
    #[arg(long)]
    pub(crate) no_netcdf: bool,
}

fn engine_err(e: openeo_engine::Error) -> RunError {
    RunError {
        code: "Internal".into(),
        message: e.to_string(),
        client: false,
    }
}

pub(crate) fn spec(a: &GenerateArgs) -> Result<SyntheticSpec, RunError> {
    let (&[west, north], &[width, height]) = (a.origin.as_slice(), a.size.as_slice()) else {
        return Err(RunError {
            code: "ArgumentInvalid".into(),
            message: "--origin takes X,Y and --size takes W,H".into(),
            client: true,
        });
    };
    let crs = crs_from_user(&a.crs).map_err(engine_err)?;
    let mut s = SyntheticSpec::new(
        &a.name,
        crs,
        west,
        north,
        a.resolution,
        (width, height),
        a.bands.clone(),
        a.dates.clone(),
        a.seed,
    );
    s.netcdf = !a.no_netcdf;
    Ok(s)
}

pub(crate) fn generate(a: &GenerateArgs) -> Result<(), RunError> {
    openeo_engine::init_gdal(64).map_err(engine_err)?;
    for f in openeo_engine::generate(&spec(a)?, &a.out).map_err(engine_err)? {
        println!("{}", f.display());
    }
    Ok(())
}
