//! Items of a `synthetic` collection: one item per configured date, one [`SyntheticBand`] asset per band, all on
//! the generator's grid. Nothing is read: start-up costs only the CRS lookup.

use super::config::{CollectionConfig, SyntheticConfig};
use super::scan::parse_date;
use super::{Asset, Item, SyntheticBand};
use crate::io::gdal::crs_from_user;
use crate::{Error, Grid, Result};

fn invalid(message: impl Into<String>) -> Error {
    Error::Config {
        message: message.into(),
    }
}

/// The generator's grid: origin at the upper-left corner, square pixels, north up (as `generate` writes it).
fn grid(src: &SyntheticConfig) -> Result<Grid> {
    let [x0, y0] = src.origin;
    let r = src.resolution;
    if !(x0.is_finite() && y0.is_finite()) {
        return Err(invalid("the 'origin' of a synthetic source must be finite"));
    }
    if !(r.is_finite() && r > 0.0) {
        return Err(invalid(
            "the 'resolution' of a synthetic source must be a positive number",
        ));
    }
    let [width, height] = src.size;
    if width == 0 || height == 0 {
        return Err(invalid("the 'size' of a synthetic source must be at least 1 × 1"));
    }
    Ok(Grid {
        crs: crs_from_user(&src.crs)?,
        transform: [x0, r, 0.0, y0, 0.0, -r],
        width,
        height,
    })
}

/// One item per date (sorted by time; each asset keeps its date's position in the configured list).
pub(crate) fn items(cfg: &CollectionConfig, src: &SyntheticConfig) -> Result<Vec<Item>> {
    if src.dates.is_empty() {
        return Err(invalid("a synthetic source needs at least one date"));
    }
    let grid = grid(src)?;
    let mut items: Vec<Item> = Vec::with_capacity(src.dates.len());
    for (t, text) in src.dates.iter().enumerate() {
        let time = parse_date(text).ok_or_else(|| invalid(format!("cannot parse the date '{text}'")))?;
        if items.iter().any(|i| i.time == time) {
            return Err(invalid(format!("the date '{text}' is listed twice")));
        }
        let assets = cfg
            .bands
            .iter()
            .enumerate()
            .map(|(b, band)| {
                Some(Asset {
                    path: format!("synthetic:{}:{}:{text}", cfg.id, band.name),
                    band: b + 1,
                    grid: grid.clone(),
                    // the generator's nodata, unless the band configures another (as a file's tag would be)
                    nodata: band.nodata.or(Some(0.0)),
                    synthetic: Some(SyntheticBand {
                        seed: src.seed,
                        band: b,
                        date: t,
                    }),
                })
            })
            .collect();
        items.push(Item { time, assets });
    }
    items.sort_by_key(|i| i.time);
    Ok(items)
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use crate::{Bbox, Catalog, Cube, ExecOptions, Grid, Result, execute_to_memory, synthetic_value};

    /// Dates listed out of order: the date index is the position in this list, not in time.
    const CONFIG: &str = r#"
[[collections]]
id = "FIX_S2"
source = { kind = "synthetic", crs = "EPSG:32632", origin = [600000, 5200000], resolution = 10, size = [1024, 1024], dates = ["2022-06-11", "2022-06-01"], seed = 42 }
bands = [{ name = "B04", common_name = "red" }, { name = "B08", common_name = "nir" }]
"#;

    /// The configuration is all there is: the base directory does not even exist.
    fn catalog(text: &str) -> Result<Catalog> {
        Catalog::from_toml(text, Path::new("/nonexistent/openeo-local-synthetic"))
    }

    fn options() -> ExecOptions {
        // small enough for several tiles over the test windows
        ExecOptions {
            memory_budget: Some(16 << 20),
            ..ExecOptions::default()
        }
    }

    fn expected(b: usize, t: usize, x: usize, y: usize) -> f32 {
        match synthetic_value(42, b, t, x, y) {
            0 => f32::NAN,
            v => f32::from(v),
        }
    }

    fn same(got: f32, want: f32) -> bool {
        got == want || (got.is_nan() && want.is_nan())
    }

    #[test]
    fn metadata_comes_from_the_configuration() -> Result<()> {
        let cat = catalog(CONFIG)?;
        let c = cat.get("FIX_S2").expect("configured");
        assert_eq!(c.grid.transform, [600000.0, 10.0, 0.0, 5200000.0, 0.0, -10.0]);
        assert_eq!((c.grid.width, c.grid.height), (1024, 1024));
        assert_eq!(c.grid.crs.epsg(), Some(32632));
        let times: Vec<String> = c.times().iter().map(|t| t.format("%Y-%m-%d").to_string()).collect();
        assert_eq!(times, ["2022-06-01", "2022-06-11"]);
        let e = c.extent_wgs84;
        assert!(
            e.west > 10.2 && e.east < 10.5 && e.south > 46.8 && e.north < 47.0,
            "{e:?}"
        );
        assert_eq!(c.bands[1].common_name.as_deref(), Some("nir"));
        Ok(())
    }

    #[test]
    fn a_load_reads_the_generator_values_of_an_unaligned_window() -> Result<()> {
        let cat = catalog(CONFIG)?;
        let c = Arc::clone(cat.get("FIX_S2").expect("configured"));
        let crs = c.grid.crs.clone();
        // pixel centres from column 300 and row 123 on: not on any tile or block boundary
        let bbox = Bbox {
            west: 603_004.0,
            east: 608_123.0,
            south: 5_193_321.0,
            north: 5_198_765.0,
        };
        let cube = Cube::load(c, Some((bbox, crs)), (None, None), None)?;
        let g = cube.meta().grid();
        assert_eq!((g.transform[0], g.transform[3]), (603_000.0, 5_198_770.0));
        let (x0, y0, w, h) = (300, 123, g.width, g.height);
        assert_eq!((w, h), (512, 545));
        let block = execute_to_memory(&cube, &options())?;
        assert_eq!(block.shape(), [2, 2, h, w]);
        let v = block.values();
        // cube dates are sorted: label 0 is 2022-06-01, the second configured date (t = 1)
        for (ti, t) in [(0, 1), (1, 0)] {
            for b in 0..2 {
                for r in 0..h {
                    for col in 0..w {
                        let got = v[((ti * 2 + b) * h + r) * w + col];
                        let want = expected(b, t, x0 + col, y0 + r);
                        assert!(same(got, want), "t {t} b {b} ({col}, {r}): {got} != {want}");
                    }
                }
            }
        }
        // a few exact numbers, and the generator's clouds as no-data
        assert_eq!(v[0], f32::from(synthetic_value(42, 0, 1, 300, 123)));
        assert!(v.iter().any(|x| x.is_nan()) && v.iter().filter(|x| !x.is_nan()).count() > v.len() / 2);
        Ok(())
    }

    #[test]
    fn pixels_beyond_the_generator_grid_are_nodata() -> Result<()> {
        let cat = catalog(CONFIG)?;
        let c = Arc::clone(cat.get("FIX_S2").expect("configured"));
        let mut grid: Grid = c.grid.clone();
        // 24 columns and 16 rows inside (from column 1000, row 1008), the rest outside
        grid.transform[0] += 10.0 * 1000.0;
        grid.transform[3] -= 10.0 * 1008.0;
        grid.width = 40;
        grid.height = 30;
        let cube = Cube::load(c, None, (None, None), Some(&["nir".to_string()]))?.with_grid(grid)?;
        let block = execute_to_memory(&cube, &options())?;
        let v = block.values();
        for r in 0..30 {
            for col in 0..40 {
                let got = v[r * 40 + col];
                let want = if col < 24 && r < 16 {
                    expected(1, 1, 1000 + col, 1008 + r)
                } else {
                    f32::NAN
                };
                assert!(same(got, want), "({col}, {r}): {got} != {want}");
            }
        }
        Ok(())
    }

    #[test]
    fn twenty_collections_start_without_files() -> Result<()> {
        let text: String = (0..20).map(|i| CONFIG.replace("FIX_S2", &format!("FIX_{i}"))).collect();
        let t0 = Instant::now();
        let cat = catalog(&text)?;
        let took = t0.elapsed();
        assert_eq!(cat.collections().len(), 20);
        // nothing is read; the generous bound only catches per-asset work creeping in
        assert!(took < Duration::from_secs(1), "{took:?}");
        Ok(())
    }

    #[test]
    fn bad_sources_are_configuration_errors() {
        let bad = [
            CONFIG.replace(r#""2022-06-01""#, r#""2022-06-11""#),
            CONFIG.replace("size = [1024, 1024]", "size = [0, 1024]"),
            CONFIG.replace("resolution = 10", "resolution = -10"),
            CONFIG.replace(r#"["2022-06-11", "2022-06-01"]"#, "[]"),
            CONFIG.replace(r#""2022-06-01""#, r#""June""#),
            CONFIG.replace("seed = 42", "seed = 42, glob = \"*.tif\""),
        ];
        for text in bad {
            let err = catalog(&text).expect_err(&text);
            assert!(matches!(err, crate::Error::Config { .. }), "{err}");
        }
    }
}
