//! A bounding box off the 512 px tiles of the inputs: every source tile is decoded once, and the results are
//! those of plain loops over GDAL reads, bit for bit.

use std::path::Path;
use std::sync::Arc;

use openeo_engine::{Catalog, ExecOptions, RunStats, SyntheticSpec};
use serde_json::json;

use crate::util::*;

const SIZE: usize = 2048;
const DATES: [&str; 3] = ["20220605", "20220610", "20220615"];
const ORIGIN: (f64, f64) = (600_000.0, 5_200_000.0);

/// 2048² COGs with 512 px tiles (B04, B08, three dates) and the same values as netCDF, in `dir`.
fn data(dir: &Path) -> Arc<Catalog> {
    openeo_engine::init_gdal(64).unwrap();
    let spec = SyntheticSpec {
        name: "W".into(),
        grid: openeo_engine::Grid {
            crs: openeo_engine::crs_from_user("EPSG:32632").unwrap(),
            transform: [ORIGIN.0, 10.0, 0.0, ORIGIN.1, 0.0, -10.0],
            width: SIZE,
            height: SIZE,
        },
        bands: vec!["B04".into(), "B08".into()],
        dates: DATES
            .iter()
            .map(|d| chrono::NaiveDate::parse_from_str(d, "%Y%m%d").unwrap())
            .collect(),
        seed: 11,
        netcdf: true,
    };
    openeo_engine::generate(&spec, dir).unwrap();
    let bands = r#"bands = [{ name = "B04", nodata = 0 }, { name = "B08", nodata = 0 }]"#;
    let toml = format!(
        "[[collections]]\nid = \"W_COG\"\nsource = {{ kind = \"files\", glob = \"W_*.tif\", pattern = '_(?P<date>\\d{{8}})_(?P<band>B\\d\\d)\\.tif$' }}\n{bands}\n\
         [[collections]]\nid = \"W_NC\"\nsource = {{ kind = \"netcdf\", glob = \"W.nc\" }}\n{bands}\n"
    );
    Arc::new(Catalog::from_toml(&toml, dir).unwrap())
}

/// The mean over the dates of `band` at every pixel of the columns `cols` and rows `rows`, as the mean reducer
/// computes it (the sum in f64 in date order, divided by the count, as f32), from GDAL reads of the COGs.
fn expected_mean(dir: &Path, band: &str, cols: (usize, usize), rows: (usize, usize)) -> Vec<f32> {
    let rasters: Vec<Raster> = DATES
        .iter()
        .map(|d| read_band(dir.join(format!("W_{d}_{band}.tif")).to_str().unwrap(), 1))
        .collect();
    let mut out = Vec::new();
    for r in rows.0..rows.1 {
        for c in cols.0..cols.1 {
            let (mut sum, mut n) = (0f64, 0u32);
            for x in &rasters {
                let v = x.values[r * SIZE + c];
                if v != 0.0 {
                    sum += v;
                    n += 1;
                }
            }
            out.push(if n == 0 { f32::NAN } else { (sum / f64::from(n)) as f32 });
        }
    }
    out
}

#[test]
fn unaligned_windows_decode_each_source_tile_once_with_unchanged_values() {
    let dir = tempfile::tempdir().unwrap();
    let cat = data(dir.path());
    // pixel centres of columns 300..=1799 and rows 123..=1699: on no tile edge
    let bbox = json!({"west": ORIGIN.0 + 3_004.0, "east": ORIGIN.0 + 17_996.0,
        "north": ORIGIN.1 - 1_234.0, "south": ORIGIN.1 - 16_996.0, "crs": "EPSG:32632"});
    let (cols, rows) = ((300, 1800), (123, 1700));
    let tiles = |(a, b): (usize, usize)| (b - 1) / 512 - a / 512 + 1;
    let touched = (tiles(cols) * tiles(rows) * DATES.len() * 2) as u64;
    assert_eq!(touched, 96);
    let b04 = expected_mean(dir.path(), "B04", cols, rows);
    let b08 = expected_mean(dir.path(), "B08", cols, rows);
    assert!(
        b04.iter().any(|v| v.is_nan()),
        "the window holds pixels without any valid date"
    );
    for id in ["W_COG", "W_NC"] {
        for format in ["GTiff", "netCDF"] {
            let graph = seed_graph(
                (id, "B04"),
                (id, "B08"),
                ["2022-06-01", "2022-07-01"],
                bbox.clone(),
                format,
            );
            let stats = Arc::new(RunStats::default());
            let opts = ExecOptions {
                memory_budget: Some(64 << 20),
                stats: Some(stats.clone()),
                ..ExecOptions::default()
            };
            let out = dir.path().join(if format == "GTiff" { "out.tif" } else { "out.nc" });
            let run = openeo_server::run_graph(
                &graph,
                openeo_server::standard_ctx(cat.clone(), outbound()),
                &out,
                &opts,
            )
            .unwrap();
            let what = format!("{id} → {format}");
            assert_eq!(stats.blocks_decoded(), touched, "{what}: source tiles decoded");
            assert_eq!(
                stats.aligned_tiles(),
                stats.tiles(),
                "{what}: tiles on the source tiles"
            );
            let path = run.files[0].0.to_string_lossy().to_string();
            for (i, (band, want)) in [("B04", &b04), ("B08", &b08)].into_iter().enumerate() {
                let r = if format == "GTiff" {
                    read_band(&path, i + 1)
                } else {
                    read_band(&format!("NETCDF:\"{path}\":{band}"), 1)
                };
                assert_eq!((r.width, r.height), (1500, 1577), "{what}");
                assert_eq!(
                    (r.transform[0], r.transform[3]),
                    (ORIGIN.0 + 3_000.0, ORIGIN.1 - 1_230.0),
                    "{what}"
                );
                let differ = (r.values.iter().zip(want.iter()))
                    .filter(|(g, w)| {
                        let g = **g as f32;
                        !(g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()))
                    })
                    .count();
                assert_eq!(differ, 0, "{what} {band}: values differ from plain GDAL reads");
            }
        }
    }
}
