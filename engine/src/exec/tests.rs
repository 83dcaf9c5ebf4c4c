//! Tiles on the source block lattice: each block decoded once, and the values of the plain squares, bit for bit.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use gdal::raster::RasterCreationOptions;
use gdal::{Dataset, DriverManager};

use super::*;
use crate::plan::blocks::SourceBlocks;
use crate::plan::eval::LANES_AT_ONCE;
use crate::{
    Accumulator, Bbox, Catalog, CellFn, Grid, OutputFormat, SyntheticSpec, create_sink, crs_from_user, generate,
};

const SIZE: usize = 2048;
const DATES: usize = 3;

/// The mean of the non-NaN inputs, streamed date by date.
#[derive(Debug)]
struct Mean;

struct MeanAcc(Vec<f64>, Vec<u32>);

impl Accumulator for MeanAcc {
    fn add(&mut self, at: usize, lanes: &[&[f32]]) {
        for lane in lanes {
            for ((s, n), &v) in self.0[at..].iter_mut().zip(self.1[at..].iter_mut()).zip(*lane) {
                if !v.is_nan() {
                    *s += f64::from(v);
                    *n += 1;
                }
            }
        }
    }

    fn values_into(&self, at: usize, last: &[&[f32]], out: &mut [f32]) {
        for (i, o) in out.iter_mut().enumerate() {
            let (mut s, mut n) = (self.0[at + i], self.1[at + i]);
            for v in last.iter().filter_map(|l| l.get(i)).filter(|v| !v.is_nan()) {
                s += f64::from(*v);
                n += 1;
            }
            *o = if n == 0 { f32::NAN } else { (s / f64::from(n)) as f32 };
        }
    }
}

impl CellFn for Mean {
    fn call(&self, inputs: &[&[f32]], len: usize) -> Result<Vec<f32>> {
        let acc = MeanAcc(vec![0.0; len], vec![0; len]);
        let mut out = vec![0f32; len];
        acc.values_into(0, inputs, &mut out);
        Ok(out)
    }

    fn accumulator(&self, len: usize) -> Option<Box<dyn Accumulator>> {
        Some(Box::new(MeanAcc(vec![0.0; len], vec![0; len])))
    }
}

/// 2048² UInt16 COGs with 512 px tiles (B04, B08, three dates), the same as netCDF with 512² chunks, and copies of
/// the COGs with 256 px tiles; generated once for all tests.
fn catalog() -> &'static Catalog {
    static DATA: OnceLock<(tempfile::TempDir, Catalog)> = OnceLock::new();
    &DATA
        .get_or_init(|| {
            crate::init_gdal(64).unwrap();
            let dir = tempfile::tempdir().unwrap();
            let spec = SyntheticSpec {
                name: "G".into(),
                grid: Grid {
                    crs: crs_from_user("EPSG:32632").unwrap(),
                    transform: [600_000.0, 10.0, 0.0, 5_200_000.0, 0.0, -10.0],
                    width: SIZE,
                    height: SIZE,
                },
                bands: vec!["B04".into(), "B08".into()],
                dates: (1..=DATES as u32)
                    .filter_map(|d| chrono::NaiveDate::from_ymd_opt(2022, 6, d * 5))
                    .collect(),
                seed: 7,
                netcdf: true,
            };
            let files = generate(&spec, dir.path()).unwrap();
            let small = dir.path().join("small");
            std::fs::create_dir(&small).unwrap();
            let cog = DriverManager::get_driver_by_name("COG").unwrap();
            let opts = RasterCreationOptions::from_iter(["COMPRESS=DEFLATE", "BLOCKSIZE=256"]);
            for f in files.iter().filter(|f| f.extension().is_some_and(|e| e == "tif")) {
                let name = f.file_name().unwrap().to_string_lossy().replace("G_", "S_");
                Dataset::open(f)
                    .unwrap()
                    .create_copy(&cog, small.join(name), &opts)
                    .unwrap();
            }
            let bands = r#"bands = [{ name = "B04", nodata = 0 }, { name = "B08", nodata = 0 }]"#;
            let pattern = r#"pattern = '_(?P<date>\d{8})_(?P<band>B\d\d)\.tif$'"#;
            let toml = format!(
                "[[collections]]\nid = \"COG\"\nsource = {{ kind = \"files\", glob = \"G_*.tif\", {pattern} }}\n{bands}\n\
                 [[collections]]\nid = \"COG256\"\nsource = {{ kind = \"files\", glob = \"small/S_*.tif\", {pattern} }}\n{bands}\n\
                 [[collections]]\nid = \"NC\"\nsource = {{ kind = \"netcdf\", glob = \"G.nc\" }}\n{bands}\n"
            );
            let cat = Catalog::from_toml(&toml, dir.path()).unwrap();
            (dir, cat)
        })
        .1
}

/// The mean over time of `bands` of collection `id`, on the pixels from column 300 and row 123 to column 1799 and
/// row 1699: 4 × 4 of the 512 px blocks, on no block edge.
fn mean_cube(id: &str, bands: &[&str]) -> Cube {
    let c = Arc::clone(catalog().get(id).unwrap());
    let crs = c.grid.crs.clone();
    let bbox = Bbox {
        west: 600_000.0 + 3_004.0,
        east: 600_000.0 + 17_996.0,
        north: 5_200_000.0 - 1_234.0,
        south: 5_200_000.0 - 16_996.0,
    };
    let bands: Vec<String> = bands.iter().map(|b| b.to_string()).collect();
    let cube = Cube::load(c, Some((bbox, crs)), (None, None), Some(&bands)).unwrap();
    let g = cube.meta().grid();
    assert_eq!((g.width, g.height), (1500, 1577), "the window of the test");
    cube.reduce(0, Arc::new(Mean)).unwrap()
}

/// Evaluates `windows` of `cube`, streamed time reductions reading up to `lanes` dates at once, and puts them
/// together: the values of the whole cube, row-major per band.
fn assemble(cube: &Cube, windows: &[Window], stats: &RunStats, lanes: usize) -> Vec<f32> {
    let g = cube.meta().grid();
    let planes = cube.meta().values_per_pixel();
    let mut full = vec![f32::NAN; planes * g.width * g.height];
    let ctx = EvalCtx {
        cancel: None,
        reads: crate::io::Reads::uncached(stats),
        lanes,
    };
    let blocks: Vec<(Window, Block)> = pool()
        .unwrap()
        .install(|| windows.par_iter().map(|w| (*w, cube.eval(w, &ctx).unwrap())).collect());
    for (w, b) in blocks {
        for p in 0..planes {
            for r in 0..w.height {
                let src = &b.values()[(p * w.height + r) * w.width..][..w.width];
                let at = (p * g.height + w.y0 + r) * g.width + w.x0;
                full[at..at + w.width].copy_from_slice(src);
            }
        }
    }
    full
}

fn same_bits(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

#[test]
fn aligned_tiles_decode_each_block_once_with_the_values_of_plain_squares() {
    // the window touches 4 × 4 blocks of 512 px (7 × 7 of 256 px) of 2 bands × 3 dates
    for (id, blocks, first_row) in [("COG", 16 * 6, 389), ("NC", 16 * 6, 389), ("COG256", 49 * 6, 133)] {
        let cube = mean_cube(id, &["B04", "B08"]);
        let g = cube.meta().grid().clone();
        let budget = 64 << 20;
        let tiling = tiling::tiles(&cube, budget, 2, false);
        assert!(tiling.aligned, "{id}: one lattice");
        assert_eq!(
            tiling.windows[0],
            Window {
                x0: 0,
                y0: 0,
                width: 212,
                height: first_row
            },
            "{id}: first tile up to a block edge"
        );
        assert!(tiling.windows.iter().all(|w| w.width <= 512 && w.height <= 512));
        let aligned = RunStats::default();
        let a = assemble(&cube, &tiling.windows, &aligned, LANES_AT_ONCE);
        assert_eq!(
            aligned.blocks_decoded(),
            blocks,
            "{id}: every block the window touches, once"
        );

        let plain = RunStats::default();
        let p = assemble(&cube, &tiling::cut(&g, (512, 512), (0, 0)), &plain, LANES_AT_ONCE);
        assert!(
            plain.blocks_decoded() > blocks,
            "{id}: squares from the origin straddle blocks"
        );
        assert!(same_bits(&a, &p), "{id}: the same values as the plain squares");
        // fewer lanes than dates: the dates folded into per-cell state a few at a time, strip by strip
        let chunked = assemble(&cube, &tiling.windows, &RunStats::default(), 2);
        assert!(same_bits(&a, &chunked), "{id}: the same values with dates in chunks");
        assert!(a.iter().any(|v| v.is_nan()) && a.iter().filter(|v| !v.is_nan()).count() > a.len() / 2);

        // through a sink: the writer gets squares from the origin again (GTiff blocks, netCDF chunks)
        let dir = tempfile::tempdir().unwrap();
        for (format, name) in [
            (
                OutputFormat::GTiff {
                    cog: false,
                    compress: crate::Compression::None,
                },
                "out.tif",
            ),
            (OutputFormat::NetCdf { deflate: Some(1) }, "out.nc"),
        ] {
            let stats = Arc::new(RunStats::default());
            let opts = ExecOptions {
                memory_budget: Some(budget),
                stats: Some(stats.clone()),
                ..ExecOptions::default()
            };
            let sink = create_sink(cube.meta(), &dir.path().join(name), format).unwrap();
            let files = execute(&cube, sink, &opts).unwrap();
            assert_eq!(stats.blocks_decoded(), blocks, "{id} → {name}");
            assert_eq!(stats.aligned_tiles(), stats.tiles());
            let path = files[0].to_string_lossy().to_string();
            for (i, band) in ["B04", "B08"].iter().enumerate() {
                let name = if path.ends_with(".nc") {
                    format!("NETCDF:\"{path}\":{band}")
                } else {
                    path.clone()
                };
                let ds = Dataset::open(Path::new(&name)).unwrap();
                let b = ds.rasterband(if path.ends_with(".nc") { 1 } else { i + 1 }).unwrap();
                let got = b
                    .read_as::<f32>((0, 0), (g.width, g.height), (g.width, g.height), None)
                    .unwrap();
                let want = &a[i * g.width * g.height..(i + 1) * g.width * g.height];
                assert!(same_bits(got.data(), want), "{id} → {name}: values written");
            }
        }
    }
}

#[test]
fn sources_on_different_lattices_keep_the_plain_squares() {
    let a = mean_cube("COG", &["B04"]);
    let b = mean_cube("COG256", &["B08"]);
    assert!(matches!(
        a.source_blocks(),
        SourceBlocks::One {
            size: (512, 512),
            phase: (212, 389)
        }
    ));
    assert!(matches!(
        b.source_blocks(),
        SourceBlocks::One {
            size: (256, 256),
            phase: (212, 133)
        }
    ));
    let merged = a.merge(&b, None).unwrap();
    assert_eq!(merged.source_blocks(), SourceBlocks::Mixed);
    let tiling = tiling::tiles(&merged, 64 << 20, 2, true);
    assert!(!tiling.aligned && tiling.retile.is_none());
    assert_eq!(tiling.windows, tiling::cut(merged.meta().grid(), (512, 512), (0, 0)));
}

#[test]
fn the_block_cache_decodes_blocks_of_several_lattices_once_while_they_fit() {
    let a = mean_cube("COG", &["B04"]);
    let b = mean_cube("COG256", &["B08"]);
    let merged = a.merge(&b, None).unwrap();
    // the values of each cube alone, read on its own lattice
    let alone = |c: &Cube| {
        let opts = ExecOptions {
            memory_budget: Some(64 << 20),
            ..ExecOptions::default()
        };
        execute_to_memory(c, &opts).unwrap().values().to_vec()
    };
    let want = [alone(&a), alone(&b)].concat();
    // 4 × 4 blocks of 512 px and 7 × 7 of 256 px, 3 dates each
    let distinct = 16 * 3 + 49 * 3;
    let run = |budget: usize| {
        let stats = Arc::new(RunStats::default());
        let opts = ExecOptions {
            memory_budget: Some(budget),
            stats: Some(stats.clone()),
            ..ExecOptions::default()
        };
        let got = execute_to_memory(&merged, &opts).unwrap();
        assert!(same_bits(got.values(), &want), "budget {budget}: values");
        stats
    };
    // a cache larger than all blocks: each decoded once, by one thread, the other tiles reusing it
    let roomy = run(512 << 20);
    assert_eq!(roomy.aligned_tiles(), 0);
    assert_eq!(roomy.blocks_decoded(), distinct);
    assert!(roomy.blocks_reused() > 0);
    // without a cache, the squares from the origin decode blocks several times
    let uncached = RunStats::default();
    let plain = assemble(
        &merged,
        &tiling::cut(merged.meta().grid(), (512, 512), (0, 0)),
        &uncached,
        LANES_AT_ONCE,
    );
    assert!(same_bits(&plain, &want));
    assert!(
        uncached.blocks_decoded() > distinct + 100,
        "{}",
        uncached.blocks_decoded()
    );
    // a smaller cache, from what the tiles leave of a smaller budget: still fewer decodes than none
    let tight = run(100 << 20);
    assert!(
        tight.blocks_decoded() >= distinct && tight.blocks_decoded() < uncached.blocks_decoded(),
        "{} {} {} {}",
        tight.blocks_decoded(),
        tight.blocks_reused(),
        tight.tiles(),
        uncached.blocks_decoded()
    );
}
