//! The JSON encoding of results: `cube_json` (the datacube document `save_result(format="JSON")` writes) for
//! arbitrary cube metadata and values, and `value_json` for arbitrary non-cube values. The output must serialise,
//! parse back to the same document (the data cube encoding of the openEO process tests), and have the shape the
//! metadata promises.
#![no_main]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use arbitrary::Arbitrary;
use chrono::DateTime;
use libfuzzer_sys::fuzz_target;
use openeo_engine::{BandInfo, Block, Crs, CubeMeta, Dimension, Grid, Labels};
use openeo_processes::{Value, cube_json, value_json};
use serde_json::Value as Json;

/// Largest number of values in one fuzzed cube (keeps single runs fast).
const MAX_VALUES: usize = 4096;

/// Deepest nesting of fuzzed values.
const MAX_DEPTH: usize = 64;

#[derive(Arbitrary, Debug)]
enum DimSpec {
    Time(String, Vec<i64>),
    Bands(String, Vec<String>),
    Other(String, Vec<String>),
}

#[derive(Arbitrary, Debug)]
enum Tree {
    Null,
    Bool(bool),
    Number(f64),
    Text(String),
    Array(Vec<Tree>, bool),
    Object(Vec<(String, Tree)>),
    Field(Vec<f32>),
}

#[derive(Arbitrary, Debug)]
struct Input {
    dims: Vec<DimSpec>,
    transform: [f64; 6],
    width: u8,
    height: u8,
    epsg: Option<u32>,
    wkt: String,
    values: Vec<f32>,
    value: Tree,
}

/// The value a tree describes, cut at `MAX_DEPTH` levels (serde_json refuses to parse deeper documents, and no
/// value parsed from a request nests deeper).
fn to_value(t: &Tree, depth: usize) -> Value {
    if depth >= MAX_DEPTH {
        return Value::Null;
    }
    match t {
        Tree::Null => Value::Null,
        Tree::Bool(b) => Value::Bool(*b),
        Tree::Number(n) => Value::Number(*n),
        Tree::Text(s) => Value::Text(s.clone()),
        Tree::Array(v, labelled) => {
            let labels = labelled.then(|| (0..v.len()).map(|i| format!("l{i}")).collect::<Vec<_>>().into());
            Value::Array(v.iter().map(|x| to_value(x, depth + 1)).collect(), labels)
        }
        Tree::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), to_value(v, depth + 1)))
                .collect::<BTreeMap<_, _>>(),
        ),
        Tree::Field(f) => Value::Field(Arc::from(f.as_slice())),
    }
}

/// Checks that `data` nests as `shape` says and that no-data (NaN) and only non-finite values are `null`.
fn check_nesting(data: &Json, shape: &[usize], values: &[f32]) {
    match shape {
        [] => {
            let v = values.first().copied().unwrap_or(f32::NAN);
            match data {
                Json::Null => assert!(!v.is_finite(), "finite value {v} written as null"),
                Json::Number(n) => assert_eq!(n.as_f64(), Some(f64::from(v)), "value changed"),
                other => panic!("a cell is not a number: {other}"),
            }
        }
        [n, rest @ ..] => {
            let arr = data
                .as_array()
                .unwrap_or_else(|| panic!("expected an array of {n}, got {data}"));
            assert_eq!(arr.len(), *n, "wrong length");
            let step: usize = rest.iter().product();
            for (i, a) in arr.iter().enumerate() {
                check_nesting(a, rest, &values[i * step..(i + 1) * step]);
            }
        }
    }
}

/// Equal documents, numbers up to the last bit serde_json's default (fast, best-effort) float parser may lose.
fn same(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => {
                let d = (x - y).abs();
                // subnormal numbers keep fewer bits, so below the normal range the error is absolute
                x == y || d <= 4.0 * f64::EPSILON * x.abs().max(y.abs()) || d <= f64::MIN_POSITIVE
            }
            _ => x == y,
        },
        (Json::Array(x), Json::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y)),
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((kx, vx), (ky, vy))| kx == ky && same(vx, vy))
        }
        _ => a == b,
    }
}

fn dimensions(specs: Vec<DimSpec>) -> Vec<Dimension> {
    let mut names = BTreeSet::from(["x".to_string(), "y".to_string()]);
    let mut dims = Vec::new();
    for spec in specs.into_iter().take(3) {
        let (name, labels) = match spec {
            DimSpec::Time(n, t) => {
                let mut t: Vec<_> = t.into_iter().filter_map(|s| DateTime::from_timestamp(s, 0)).collect();
                t.sort();
                t.dedup();
                (n, Labels::Time(t))
            }
            DimSpec::Bands(n, b) => (n, Labels::Bands(b.into_iter().map(BandInfo::named).collect())),
            DimSpec::Other(n, o) => (n, Labels::Other(o)),
        };
        // a cube's dimension names are unique and never the spatial ones
        if names.insert(name.clone()) {
            dims.push(Dimension::new(name, labels));
        }
    }
    dims
}

fuzz_target!(|input: Input| {
    let doc = value_json(&to_value(&input.value, 0));
    let text = serde_json::to_string(&doc).expect("a JSON value serialises");
    let back: Json = serde_json::from_str(&text).expect("value JSON parses");
    assert!(same(&back, &doc), "value JSON does not round-trip: {text}");

    let dims = dimensions(input.dims);
    let grid = Grid {
        crs: Crs::new(input.wkt, input.epsg),
        transform: input.transform,
        width: usize::from(input.width),
        height: usize::from(input.height),
    };
    let meta = CubeMeta::new(dims, grid);
    let shape = meta.block_shape(usize::from(input.height), usize::from(input.width));
    let n: usize = shape.iter().product();
    if n > MAX_VALUES || shape.iter().any(|&s| s > MAX_VALUES) {
        return;
    }
    let values: Vec<f32> = if input.values.is_empty() {
        vec![f32::NAN; n]
    } else {
        input.values.iter().copied().cycle().take(n).collect()
    };
    let Ok(block) = Block::try_new(shape.clone(), values.clone()) else {
        panic!("a block of shape {shape:?} with {n} values is refused");
    };
    let doc = cube_json(&meta, &block);
    let text = serde_json::to_string(&doc).expect("a JSON value serialises");
    let back: Json = serde_json::from_str(&text).expect("cube JSON parses");
    assert!(same(&back, &doc), "cube JSON does not round-trip: {text}");
    let names = doc["order"].as_array().expect("order is an array");
    if meta.grid().is_empty() {
        // a cube without spatial dimensions: no values, no x and y
        assert_eq!(names.len(), shape.len() - 2, "one dimension name per non-spatial axis");
        assert_eq!(doc["data"], Json::Array(Vec::new()), "a cube without spatial dimensions has no values");
        return;
    }
    assert_eq!(names.len(), shape.len(), "one dimension name per axis");
    for (d, len) in meta.dims().iter().zip(&shape) {
        let coords = doc["dimensions"][d.name()]["values"].as_array().expect("coords of every dimension");
        assert_eq!(coords.len(), *len, "coords of {}", d.name());
    }
    assert_eq!(
        doc["dimensions"]["x"]["values"].as_array().map(Vec::len),
        Some(usize::from(input.width))
    );
    assert_eq!(
        doc["dimensions"]["y"]["values"].as_array().map(Vec::len),
        Some(usize::from(input.height))
    );
    check_nesting(&doc["data"], &shape, &values);
});
