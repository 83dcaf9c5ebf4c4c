//! The seed graph and its variants, checked value by value against direct GDAL reads and plain loops.

use serde_json::json;

use crate::util::*;

const UTM_BBOX: [f64; 4] = [676105.0, 5152000.0, 677000.0, 5152895.0];

fn utm_bbox() -> serde_json::Value {
    json!({"west": UTM_BBOX[0], "south": UTM_BBOX[1], "east": UTM_BBOX[2], "north": UTM_BBOX[3], "crs": "EPSG:32632"})
}

/// Pixel-centre rule by plain loops: the columns/rows of a grid whose centres lie in [lo, hi].
fn inside(origin: f64, step: f64, n: usize, lo: f64, hi: f64) -> Vec<usize> {
    (0..n)
        .filter(|&i| {
            let c = origin + (i as f64 + 0.5) * step;
            c >= lo && c <= hi
        })
        .collect()
}

/// Mean over the given dates of a synthetic band, nodata (0) ignored, on the bbox window.
fn expected_mean(band: &str, dates: &[&str]) -> (Vec<usize>, Vec<usize>, Vec<f64>, usize) {
    let rasters: Vec<Raster> = dates
        .iter()
        .map(|d| {
            read_band(
                testdata(&format!("synthetic/utm/SYNTH_{d}_{band}.tif"))
                    .to_str()
                    .unwrap(),
                1,
            )
        })
        .collect();
    let r0 = &rasters[0];
    let cols = inside(r0.transform[0], r0.transform[1], r0.width, UTM_BBOX[0], UTM_BBOX[2]);
    let rows = inside(r0.transform[3], r0.transform[5], r0.height, UTM_BBOX[1], UTM_BBOX[3]);
    let mut out = Vec::new();
    let mut skipped = 0;
    for &r in &rows {
        for &c in &cols {
            let vals: Vec<f64> = rasters
                .iter()
                .map(|x| x.values[r * x.width + c])
                .filter(|v| *v != 0.0)
                .collect();
            skipped += rasters.len() - vals.len();
            out.push(if vals.is_empty() {
                f64::NAN
            } else {
                vals.iter().sum::<f64>() / vals.len() as f64
            });
        }
    }
    (rows, cols, out, skipped)
}

fn assert_same(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: sizes differ");
    let bad = got.iter().zip(want).filter(|(g, w)| !close(**g, **w)).count();
    assert_eq!(bad, 0, "{what}: {bad} of {} values differ", want.len());
}

#[test]
fn seed_graph_to_gtiff_and_netcdf_matches_direct_reads() {
    let dir = tempfile::tempdir().unwrap();
    // [start, end): 2022-06-17 is excluded
    let interval = ["2022-06-02", "2022-06-17"];
    let dates = ["20220602", "20220607", "20220612"];
    let (rows, cols, b04, skipped) = expected_mean("B04", &dates);
    let (_, _, b08, _) = expected_mean("B08", &dates);
    assert!(
        skipped > 100,
        "the window must contain nodata so that ignoring it is tested"
    );
    assert_eq!((rows.len(), cols.len()), (90, 90), "pixel-centre rule keeps both edges");

    let tif = run(
        &seed_graph(
            ("SYNTH_S2_UTM", "B04"),
            ("SYNTH_S2_UTM", "B08"),
            interval,
            utm_bbox(),
            "GTiff",
        ),
        &dir.path().join("seed.tif"),
    )
    .unwrap();
    assert_eq!(tif.len(), 1);
    let t = tif[0].to_str().unwrap();
    let r1 = read_band(t, 1);
    let r2 = read_band(t, 2);
    assert_eq!((r1.width, r1.height), (90, 90));
    assert_eq!(r1.transform, [676100.0, 10.0, 0.0, 5152900.0, 0.0, -10.0]);
    assert_eq!(r1.epsg, Some(32632));
    assert!(r1.nodata.unwrap().is_nan());
    assert_eq!((r1.description.as_str(), r2.description.as_str()), ("B04", "B08"));
    assert_same(&r1.values, &b04, "GTiff B04");
    assert_same(&r2.values, &b08, "GTiff B08");

    let nc = run(
        &seed_graph(
            ("SYNTH_S2_UTM", "B04"),
            ("SYNTH_S2_UTM", "B08"),
            interval,
            utm_bbox(),
            "netCDF",
        ),
        &dir.path().join("seed.nc"),
    )
    .unwrap();
    let p = nc[0].to_str().unwrap();
    let n1 = read_band(&format!("NETCDF:\"{p}\":B04"), 1);
    let n2 = read_band(&format!("NETCDF:\"{p}\":B08"), 1);
    assert_eq!(n1.transform, r1.transform);
    assert_eq!(n1.epsg, Some(32632));
    assert_same(&n1.values, &b04, "netCDF B04");
    assert_same(&n2.values, &b08, "netCDF B08");
}

#[test]
fn netcdf_input_gives_the_same_numbers_as_cogs() {
    let dir = tempfile::tempdir().unwrap();
    let interval = ["2022-06-01", "2022-07-01"];
    let a = run(
        &seed_graph(
            ("SYNTH_S2_UTM", "B04"),
            ("SYNTH_S2_UTM", "B08"),
            interval,
            utm_bbox(),
            "GTiff",
        ),
        &dir.path().join("a.tif"),
    )
    .unwrap();
    let b = run(
        &seed_graph(
            ("SYNTH_S2_UTM_NC", "B04"),
            ("SYNTH_S2_UTM_NC", "B08"),
            interval,
            utm_bbox(),
            "GTiff",
        ),
        &dir.path().join("b.tif"),
    )
    .unwrap();
    for band in [1, 2] {
        let x = read_band(a[0].to_str().unwrap(), band);
        let y = read_band(b[0].to_str().unwrap(), band);
        assert!(x.values.iter().zip(&y.values).all(|(p, q)| close(*p, *q)));
    }
}

#[test]
fn generator_writes_the_documented_values() {
    let r = read_band(testdata("synthetic/utm/SYNTH_20220612_B08.tif").to_str().unwrap(), 1);
    // band index 3 (B08), date index 2 (2022-06-12), seed 1
    for (x, y) in [(0, 0), (17, 250), (399, 299), (123, 45)] {
        assert_eq!(
            r.values[y * r.width + x],
            f64::from(openeo_engine::synthetic_value(1, 3, 2, x, y))
        );
    }
}

#[test]
fn merge_across_grids_aligns_cube2_onto_cube1() {
    let dir = tempfile::tempdir().unwrap();
    let bbox = json!({"west": 11.30, "south": 46.47, "east": 11.36, "north": 46.51});
    let files = run(
        &seed_graph(
            ("SENTINEL2_L2A_SAMPLE", "B04"),
            ("SYNTH_S2_LAEA", "B08"),
            ["2022-06-01", "2022-07-01"],
            bbox,
            "GTiff",
        ),
        &dir.path().join("m.tif"),
    )
    .unwrap();
    let p = files[0].to_str().unwrap();
    let (b04, b08) = (read_band(p, 1), read_band(p, 2));
    assert_eq!(b04.epsg, Some(32632), "the result is on cube1's grid");
    // B04: the S2 sample on its own grid, nodata 0
    let s2 = read_band(testdata("s2/S2L2A_T32TPS_20220612_B04.tif").to_str().unwrap(), 1);
    let ox = ((b04.transform[0] - s2.transform[0]) / 10.0).round() as usize;
    let oy = ((b04.transform[3] - s2.transform[3]) / -10.0).round() as usize;
    for r in 0..b04.height {
        for c in 0..b04.width {
            let v = s2.values[(r + oy) * s2.width + c + ox];
            let want = if v == 0.0 { f64::NAN } else { v };
            assert!(close(b04.values[r * b04.width + c], want), "B04 at {r},{c}");
        }
    }
    // B08: nearest LAEA pixel of each output pixel centre, mean over the three dates
    let laea: Vec<Raster> = ["20220602", "20220612", "20220622"]
        .iter()
        .map(|d| {
            read_band(
                testdata(&format!("synthetic/laea/LAEA_{d}_B08.tif")).to_str().unwrap(),
                1,
            )
        })
        .collect();
    let mut centres = Vec::new();
    for r in 0..b08.height {
        for c in 0..b08.width {
            centres.push((
                b08.transform[0] + (c as f64 + 0.5) * 10.0,
                b08.transform[3] - (r as f64 + 0.5) * 10.0,
            ));
        }
    }
    let pts = transform(32632, 3035, &centres);
    let l = &laea[0];
    // cube 2 is filtered by the bbox on its own grid first: the LAEA pixels whose centres are inside the bbox
    // (reprojected to EPSG:3035), by plain loops
    let bounds = laea_bounds([11.30, 46.47, 11.36, 46.51]);
    let cols = inside(l.transform[0], l.transform[1], l.width, bounds[0], bounds[2]);
    let rows = inside(l.transform[3], l.transform[5], l.height, bounds[1], bounds[3]);
    let mut checked = 0;
    for (i, (x, y)) in pts.iter().enumerate() {
        let col = ((x - l.transform[0]) / l.transform[1]).floor();
        let row = ((y - l.transform[3]) / l.transform[5]).floor();
        let selected = col >= 0.0 && row >= 0.0 && cols.contains(&(col as usize)) && rows.contains(&(row as usize));
        let want = if !selected {
            f64::NAN
        } else {
            let vals: Vec<f64> = laea
                .iter()
                .map(|r| r.values[row as usize * r.width + col as usize])
                .filter(|v| *v != 0.0)
                .collect();
            if vals.is_empty() {
                f64::NAN
            } else {
                vals.iter().sum::<f64>() / vals.len() as f64
            }
        };
        assert!(
            close(b08.values[i], want),
            "B08 at pixel {i}: {} vs {want}",
            b08.values[i]
        );
        checked += usize::from(!want.is_nan());
    }
    assert!(checked > b08.values.len() / 2);
}

/// A lon/lat box in EPSG:3035, densified with 21 points per edge (GDAL's OCTTransformBounds).
fn laea_bounds(b: [f64; 4]) -> [f64; 4] {
    use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
    let mut a = SpatialRef::from_epsg(4326).unwrap();
    a.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let mut l = SpatialRef::from_epsg(3035).unwrap();
    l.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    CoordTransform::new(&a, &l).unwrap().transform_bounds(&b, 21).unwrap()
}

fn transform(from: u32, to: u32, pts: &[(f64, f64)]) -> Vec<(f64, f64)> {
    use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
    let mut a = SpatialRef::from_epsg(from).unwrap();
    a.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let mut b = SpatialRef::from_epsg(to).unwrap();
    b.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let ct = CoordTransform::new(&a, &b).unwrap();
    let mut xs: Vec<f64> = pts.iter().map(|p| p.0).collect();
    let mut ys: Vec<f64> = pts.iter().map(|p| p.1).collect();
    ct.transform_coords(&mut xs, &mut ys, &mut []).unwrap();
    xs.into_iter().zip(ys).collect()
}

#[test]
fn landsat_scenes_are_warped_onto_the_collection_grid() {
    let dir = tempfile::tempdir().unwrap();
    let g = json!({"process_graph": {
        "l": {"process_id": "load_collection", "arguments": {"id": "LANDSAT8_L1TP_NY2018", "bands": ["red"], "temporal_extent": ["2018-07-10", "2018-07-11"]}},
        "s": {"process_id": "save_result", "arguments": {"data": {"from_node": "l"}, "format": "GTiff"}, "result": true}}});
    let files = run(&g, &dir.path().join("ls.tif")).unwrap();
    assert_eq!(files.len(), 1);
    assert!(files[0].ends_with("ls_2018-07-10.tif"), "one file per date: {files:?}");
    let out = read_band(files[0].to_str().unwrap(), 1);
    assert_eq!(out.description, "B4", "bands are found by common name");
    let src = read_band(
        testdata("landsat/LC08_L1TP_013032_20180710_20180717_01_T1/LC08_L1TP_013032_20180710_B4.TIF")
            .to_str()
            .unwrap(),
        1,
    );
    let mut valid = 0;
    for r in 0..out.height {
        for c in 0..out.width {
            let x = out.transform[0] + (c as f64 + 0.5) * out.transform[1];
            let y = out.transform[3] + (r as f64 + 0.5) * out.transform[5];
            let sc = ((x - src.transform[0]) / src.transform[1]).floor();
            let sr = ((y - src.transform[3]) / src.transform[5]).floor();
            let want = if sc < 0.0 || sr < 0.0 || sc >= src.width as f64 || sr >= src.height as f64 {
                f64::NAN
            } else {
                let v = src.values[sr as usize * src.width + sc as usize];
                if v == 0.0 { f64::NAN } else { v }
            };
            assert!(close(out.values[r * out.width + c], want), "pixel {r},{c}");
            valid += usize::from(!want.is_nan());
        }
    }
    assert!(valid > 1000);
}

#[test]
fn scenes_of_one_date_are_mosaicked_first_valid_wins() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let a = testdata("landsat/LC08_L1TP_014031_20180530_20180614_01_T1/LC08_L1TP_014031_20180530_B4.TIF");
    let b = testdata("landsat/LC08_L1TP_014032_20180615_20180703_01_T1/LC08_L1TP_014032_20180615_B4.TIF");
    std::fs::copy(&a, data.join("A_20180601_B4.TIF")).unwrap();
    std::fs::copy(&b, data.join("B_20180601_B4.TIF")).unwrap();
    let cfg = "[[collections]]\nid = \"MOSAIC\"\nsource = { kind = \"files\", glob = \"data/*.TIF\", pattern = '(?P<scene>[AB])_(?P<date>\\d{8})_(?P<band>B4)' }\nbands = [{ name = \"B4\", nodata = 0 }]\n";
    let cat = std::sync::Arc::new(openeo_engine::Catalog::from_toml(cfg, dir.path()).unwrap());
    let g = json!({"process_graph": {
        "l": {"process_id": "load_collection", "arguments": {"id": "MOSAIC"}},
        "s": {"process_id": "save_result", "arguments": {"data": {"from_node": "l"}, "format": "GTiff"}, "result": true}}});
    let files = run_with(&g, cat, &dir.path().join("m.tif")).unwrap();
    let out = read_band(files[0].to_str().unwrap(), 1);
    let (ra, rb) = (read_band(a.to_str().unwrap(), 1), read_band(b.to_str().unwrap(), 1));
    let sample = |r: &Raster, x: f64, y: f64| {
        let c = ((x - r.transform[0]) / r.transform[1]).floor();
        let w = ((y - r.transform[3]) / r.transform[5]).floor();
        if c < 0.0 || w < 0.0 || c >= r.width as f64 || w >= r.height as f64 {
            return f64::NAN;
        }
        let v = r.values[w as usize * r.width + c as usize];
        if v == 0.0 { f64::NAN } else { v }
    };
    let (mut from_a, mut from_b) = (0, 0);
    for r in 0..out.height {
        for c in 0..out.width {
            let x = out.transform[0] + (c as f64 + 0.5) * out.transform[1];
            let y = out.transform[3] + (r as f64 + 0.5) * out.transform[5];
            let (va, vb) = (sample(&ra, x, y), sample(&rb, x, y));
            let want = if va.is_nan() { vb } else { va };
            assert!(close(out.values[r * out.width + c], want), "pixel {r},{c}");
            from_a += usize::from(!va.is_nan());
            from_b += usize::from(va.is_nan() && !vb.is_nan());
        }
    }
    assert!(
        from_a > 100 && from_b > 100,
        "both scenes contribute ({from_a}, {from_b})"
    );
}

#[test]
fn olci_netcdf_mean_ignores_nan() {
    let dir = tempfile::tempdir().unwrap();
    let bbox = json!({"west": 2.0, "south": 51.0, "east": 3.0, "north": 51.5});
    let mut g = branch(
        "a",
        "SENTINEL3_OLCI_NORTHSEA",
        "conc_chl",
        ["2017-01-01", "2017-02-01"],
        bbox,
    );
    g.insert("s".into(), json!({"process_id": "save_result", "arguments": {"data": {"from_node": "amean"}, "format": "GTiff"}, "result": true}));
    let files = run(&json!({"process_graph": g}), &dir.path().join("o.tif")).unwrap();
    let out = read_band(files[0].to_str().unwrap(), 1);
    let name = format!(
        "NETCDF:\"{}\":conc_chl",
        testdata("olci/olci_c2rcc_northsea_201701.nc").display()
    );
    let bands: Vec<Raster> = (1..=5).map(|b| read_band(&name, b)).collect();
    let src = &bands[0];
    let cols = inside(src.transform[0], src.transform[1], src.width, 2.0, 3.0);
    let rows = inside(src.transform[3], src.transform[5], src.height, 51.0, 51.5);
    assert_eq!((out.width, out.height), (cols.len(), rows.len()));
    let mut valid = 0;
    for (i, &r) in rows.iter().enumerate() {
        for (j, &c) in cols.iter().enumerate() {
            let vals: Vec<f64> = bands
                .iter()
                .map(|b| b.values[r * b.width + c])
                .filter(|v| !v.is_nan())
                .collect();
            let want = if vals.is_empty() {
                f64::NAN
            } else {
                vals.iter().sum::<f64>() / vals.len() as f64
            };
            assert!(close(out.values[i * out.width + j], want));
            valid += usize::from(!want.is_nan());
        }
    }
    assert!(valid > 100);
}
