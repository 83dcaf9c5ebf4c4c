//! `openeo-local bench`: generate size² × 4 bands × N dates, then time the seed graph (two branches
//! load → filter_temporal → filter_bbox → mean over t, merged, saved) as a separate `run` process, from COG and
//! from netCDF input, reporting wall time, decoded MPix/s and peak RSS (each the median of `--repeat` runs), and
//! the decode floor of the COG runs (their tiles inflated on one thread, divided by the cores).

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{Days, NaiveDate};
use serde_json::json;

use super::generate::{GenerateArgs, spec};
use crate::RunError;

/// Arguments of `bench`.
#[derive(Debug, clap::Args)]
pub(crate) struct BenchArgs {
    /// Where to keep the generated data (reused when present).
    #[arg(long, default_value = "target/bench-data")]
    dir: PathBuf,
    /// Width and height of the images.
    #[arg(long, default_value_t = 4096)]
    size: usize,
    /// Numbers of dates to run with.
    #[arg(long, value_delimiter = ',', default_value = "6,24")]
    dates: Vec<usize>,
    /// Memory budget for the runs, in MiB.
    #[arg(long, default_value_t = 256)]
    memory_budget: usize,
    /// Runs per configuration; the medians of their wall times and of their peak RSS are reported.
    #[arg(long, default_value_t = 3)]
    repeat: usize,
}

fn fail(message: String) -> RunError {
    RunError {
        code: "Internal".into(),
        message,
        client: false,
    }
}

fn seed_graph(collection: &str, format: &str, start: &str, end: &str, bbox: [f64; 4]) -> serde_json::Value {
    let branch = |band: &str, p: &str| {
        json!({
            format!("{p}load"): {"process_id": "load_collection", "arguments": {"id": collection, "bands": [band]}},
            format!("{p}time"): {"process_id": "filter_temporal", "arguments": {"data": {"from_node": format!("{p}load")}, "extent": [start, end]}},
            format!("{p}bbox"): {"process_id": "filter_bbox", "arguments": {"data": {"from_node": format!("{p}time")},
                "extent": {"west": bbox[0], "south": bbox[1], "east": bbox[2], "north": bbox[3], "crs": 32632}}},
            format!("{p}mean"): {"process_id": "reduce_dimension", "arguments": {"data": {"from_node": format!("{p}bbox")}, "dimension": "t",
                "reducer": {"process_graph": {"m": {"process_id": "mean", "arguments": {"data": {"from_parameter": "data"}}, "result": true}}}}},
        })
    };
    let mut g = branch("B04", "a");
    if let (Some(o), serde_json::Value::Object(b)) = (g.as_object_mut(), branch("B08", "b")) {
        o.extend(b);
        o.insert("merge".into(), json!({"process_id": "merge_cubes", "arguments": {"cube1": {"from_node": "amean"}, "cube2": {"from_node": "bmean"}}}));
        o.insert("save".into(), json!({"process_id": "save_result", "arguments": {"data": {"from_node": "merge"}, "format": format}, "result": true}));
    }
    json!({"process": {"process_graph": g}})
}

fn prepare(dir: &Path, size: usize, n: usize) -> Result<(PathBuf, Vec<NaiveDate>), RunError> {
    let data = dir.join(format!("{size}px-{n}dates"));
    let start = NaiveDate::from_ymd_opt(2022, 1, 1).ok_or_else(|| fail("bad date".into()))?;
    let dates: Vec<NaiveDate> = (0..n)
        .filter_map(|i| start.checked_add_days(Days::new(5 * i as u64)))
        .collect();
    if !data.join("done").exists() {
        eprintln!("generating {size}x{size} x 4 bands x {n} dates in {}", data.display());
        let args = GenerateArgs {
            out: data.clone(),
            name: "BENCH".into(),
            crs: "EPSG:32632".into(),
            origin: vec![600000.0, 5200000.0],
            resolution: 10.0,
            size: vec![size, size],
            bands: ["B02", "B03", "B04", "B08"].map(String::from).to_vec(),
            dates: dates.clone(),
            seed: 7,
            no_netcdf: false,
        };
        openeo_engine::generate(&spec(&args)?, &data).map_err(|e| fail(e.to_string()))?;
        std::fs::write(data.join("done"), "").map_err(|e| fail(e.to_string()))?;
    }
    let bands = r#"[{ name = "B02", nodata = 0 }, { name = "B03", nodata = 0 }, { name = "B04", nodata = 0 }, { name = "B08", nodata = 0 }]"#;
    // one configuration per input, so each run only scans its own files
    let cog = format!(
        "[[collections]]\nid = \"BENCH_COG\"\nsource = {{ kind = \"files\", glob = \"BENCH_*.tif\", pattern = '_(?P<date>\\d{{8}})_(?P<band>B\\d\\d)\\.tif$' }}\nbands = {bands}\n"
    );
    let nc = format!(
        "[[collections]]\nid = \"BENCH_NC\"\nsource = {{ kind = \"netcdf\", glob = \"BENCH.nc\" }}\nbands = {bands}\n"
    );
    for (name, text) in [("BENCH_COG.toml", cog), ("BENCH_NC.toml", nc)] {
        std::fs::write(data.join(name), text).map_err(|e| fail(e.to_string()))?;
    }
    Ok((data, dates))
}

/// Runs `openeo-local run` once into a new `out` and returns its wall time (s) and peak RSS (KiB).
fn timed_run(exe: &Path, graph: &Path, config: &Path, out: &Path, budget: usize) -> Result<(f64, f64), RunError> {
    // every run writes a new file, as a job does (replacing a file costs the file system extra work)
    if out.exists() {
        std::fs::remove_file(out).map_err(|e| fail(e.to_string()))?;
    }
    let t0 = Instant::now();
    let res = std::process::Command::new(exe)
        .arg("run")
        .arg(graph)
        .arg("--config")
        .arg(config)
        .arg("--output")
        .arg(out)
        .arg("--memory-budget")
        .arg(budget.to_string())
        .env("OPENEO_LOCAL_REPORT_RSS", "1")
        .output()
        .map_err(|e| fail(e.to_string()))?;
    let wall = t0.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&res.stderr);
    if !res.status.success() {
        return Err(fail(format!("bench run failed: {stderr}")));
    }
    let rss = stderr
        .lines()
        .find_map(|l| l.strip_prefix("peak_rss_kib="))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    Ok((wall, rss))
}

pub(crate) fn bench(a: &BenchArgs) -> Result<(), RunError> {
    openeo_engine::init_gdal(64).map_err(|e| fail(e.to_string()))?;
    let exe = std::env::current_exe().map_err(|e| fail(e.to_string()))?;
    let mut floors = Vec::new();
    println!("| input | dates | output | wall s | decoded MPix/s | peak RSS MiB |");
    println!("|---|---|---|---|---|---|");
    for &n in &a.dates {
        let (data, dates) = prepare(&a.dir, a.size, n)?;
        let (first, last) = (dates[0], dates[dates.len() - 1] + Days::new(1));
        let extent = 10.0 * a.size as f64;
        let bbox = [600000.0, 5200000.0 - extent, 600000.0 + extent, 5200000.0];
        for (collection, input) in [("BENCH_COG", "COG"), ("BENCH_NC", "netCDF")] {
            for (format, ext) in [("GTiff", "tif"), ("netCDF", "nc")] {
                let graph = seed_graph(collection, format, &first.to_string(), &last.to_string(), bbox);
                let gpath = data.join(format!("graph-{collection}-{format}.json"));
                std::fs::write(&gpath, graph.to_string()).map_err(|e| fail(e.to_string()))?;
                let out = data.join(format!("out-{collection}.{ext}"));
                let runs = (0..a.repeat.max(1))
                    .map(|_| {
                        timed_run(
                            &exe,
                            &gpath,
                            &data.join(format!("{collection}.toml")),
                            &out,
                            a.memory_budget,
                        )
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                // medians of the runs' wall times and, separately, of their peak RSS (which varies by a few
                // tiles waiting for the writer from run to run)
                let median = |mut v: Vec<f64>| {
                    v.sort_by(f64::total_cmp);
                    v[v.len() / 2]
                };
                let wall = median(runs.iter().map(|r| r.0).collect());
                let rss = median(runs.iter().map(|r| r.1).collect());
                let mpix = 2.0 * n as f64 * (a.size * a.size) as f64 / 1e6 / wall;
                println!(
                    "| {input} | {n} | {format} | {wall:.2} | {mpix:.0} | {:.0} |",
                    rss / 1024.0
                );
                if (input, format) == ("COG", "GTiff") {
                    floors.push((n, wall, decode_floor(&data, &dates)?));
                }
            }
        }
    }
    for (n, wall, (stored, per_core, cores, floor)) in floors {
        println!(
            "decode floor, COG → GTiff, {n} dates: {:.0} MB of DEFLATE tiles (B04, B08) at {:.0} MB/s per core \
             (libdeflate, one thread, these tiles) on {cores} cores = {floor:.2} s; wall {wall:.2} s = {:.2} × the floor",
            stored as f64 / 1e6,
            per_core / 1e6,
            wall / floor
        );
    }
    Ok(())
}

/// The decode floor of the seed graph on the COGs: the stored bytes of the B04 and B08 tiles of `dates`, the
/// single-core inflate throughput measured on them (bytes/s), the cores, and the seconds inflating takes with all
/// cores busy.
fn decode_floor(data: &Path, dates: &[NaiveDate]) -> Result<(u64, f64, usize, f64), RunError> {
    let files: Vec<PathBuf> = dates
        .iter()
        .flat_map(|d| ["B04", "B08"].map(|b| data.join(format!("BENCH_{}_{b}.tif", d.format("%Y%m%d")))))
        .collect();
    let (stored, seconds) = openeo_engine::measure_inflate(&files).map_err(|e| fail(e.to_string()))?;
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let per_core = stored as f64 / seconds.max(1e-9);
    Ok((stored, per_core, cores, seconds / cores as f64))
}
