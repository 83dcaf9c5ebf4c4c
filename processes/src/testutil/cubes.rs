//! Data cubes as the openEO process tests write them (`{"type": "datacube", "order", "dimensions", "data",
//! "nodata"}`): read into cubes held in memory, and compared with the cubes the processes return.
//!
//! Spatial dimensions become the grid (the `x` and `y` values are pixel centres, evenly spaced, `y` descending;
//! `reference_system` an EPSG code or WKT, EPSG:4326 when absent); a cube without them has an empty grid. Temporal
//! labels are instants, bands labels band names. A returned cube matches when it has the same dimensions (in any
//! order: the engine keeps `y` and `x` last), each with the same type and labels (instants compared as instants,
//! coordinates within a millionth of a pixel, the same CRS), and, unless the case gives `data: null`, the same
//! values: no-data (the case's `nodata` values, `null`, NaN) where no-data is expected, and numbers within the
//! case's `delta` or, as cubes hold 32-bit floats, within 1e-6 of the largest expected magnitude; booleans are 1
//! and 0. Labels match as text or, when both are dates or date-times, as instants; the dimension's `type` must be
//! the one declared. A literal without values (`data: null`) may leave out `order`.

use std::collections::BTreeMap;

use openeo_engine::{BandInfo, Cube, Dimension, DimensionKind, ExecOptions, Grid, Labels, crs_from_user};

use crate::Value;

/// A cube literal, read.
struct Literal<'a> {
    /// The dimension names in the nesting order of `data`.
    order: Vec<String>,
    /// Per dimension name: its `type` and its values.
    dims: BTreeMap<String, (String, &'a [Value])>,
    /// The CRS named by a spatial dimension.
    crs: Option<String>,
    data: &'a Value,
    /// Numbers that stand for no-data.
    nodata: Vec<f64>,
}

fn text(v: &Value) -> String {
    match v {
        Value::Text(t) => t.clone(),
        Value::Number(n) => crate::arrays::format_number(*n),
        other => crate::output::value_text(other),
    }
}

impl<'a> Literal<'a> {
    fn read(o: &'a BTreeMap<String, Value>) -> Result<Literal<'a>, String> {
        let Some(Value::Object(dimensions)) = o.get("dimensions") else {
            return Err("a data cube without 'dimensions'".into());
        };
        let data = o.get("data").unwrap_or(&Value::Null);
        let order: Vec<String> = match o.get("order") {
            Some(Value::Array(names, _)) => names.iter().map(text).collect(),
            // without values there is no nesting for `order` to describe
            None if matches!(data, Value::Null) => dimensions.keys().cloned().collect(),
            _ => return Err("a data cube without 'order'".into()),
        };
        let mut dims = BTreeMap::new();
        let mut crs = None;
        for name in &order {
            let Some(Value::Object(d)) = dimensions.get(name) else {
                return Err(format!("the data cube's dimension '{name}' is not described"));
            };
            let kind = d.get("type").map(text).unwrap_or_default();
            let Some(Value::Array(values, _)) = d.get("values") else {
                return Err(format!("the data cube's dimension '{name}' has no values"));
            };
            if let (true, Some(r)) = (kind == "spatial", d.get("reference_system")) {
                crs = Some(match r {
                    Value::Number(code) => format!("EPSG:{code}"),
                    other => text(other),
                });
            }
            dims.insert(name.clone(), (kind, values.as_slice()));
        }
        if dims.len() != dimensions.len() {
            return Err("the data cube describes dimensions that 'order' does not list".into());
        }
        let nodata = match o.get("nodata") {
            Some(Value::Number(n)) => vec![*n],
            Some(Value::Array(v, _)) => v
                .iter()
                .filter_map(|x| match x {
                    Value::Number(n) => Some(*n),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        Ok(Literal {
            order,
            dims,
            crs,
            data,
            nodata,
        })
    }

    fn spatial(&self) -> bool {
        self.dims.contains_key("x") && self.dims.contains_key("y")
    }

    /// The numbers of the spatial dimension `name`.
    fn coordinates(&self, name: &str) -> Result<Vec<f64>, String> {
        self.dims[name]
            .1
            .iter()
            .map(|v| match v {
                Value::Number(n) => Ok(*n),
                other => Err(format!("the coordinate {} of '{name}' is not a number", text(other))),
            })
            .collect()
    }

    /// The non-spatial dimensions, in `order`.
    fn dimensions(&self) -> Result<Vec<Dimension>, String> {
        let mut out = Vec::new();
        for name in &self.order {
            let (kind, values) = &self.dims[name];
            let texts: Vec<String> = values.iter().map(text).collect();
            let labels = match kind.as_str() {
                "spatial" if name == "x" || name == "y" => continue,
                "temporal" => {
                    match texts
                        .iter()
                        .map(|t| crate::graph::args::parse_instant(t))
                        .collect::<Option<Vec<_>>>()
                    {
                        Some(times) => Labels::Time(times),
                        None => Labels::Other(texts),
                    }
                }
                "bands" => Labels::Bands(texts.into_iter().map(BandInfo::named).collect()),
                "other" => Labels::Other(texts),
                other => return Err(format!("dimension '{name}' of type '{other}' is not supported")),
            };
            out.push(Dimension::new(name.clone(), labels));
        }
        Ok(out)
    }

    /// The grid the `x` and `y` centres describe (an empty one without spatial dimensions).
    fn grid(&self) -> Result<Grid, String> {
        if !self.spatial() {
            return Ok(Cube::empty().meta().grid().clone());
        }
        let (xs, ys) = (self.coordinates("x")?, self.coordinates("y")?);
        let crs = crs_from_user(self.crs.as_deref().unwrap_or("EPSG:4326")).map_err(|e| e.to_string())?;
        Grid::from_centres(&xs, &ys, crs, Some(1.0))
            .ok_or_else(|| "the x coordinates must ascend and the y coordinates descend, evenly spaced".into())
    }

    /// The values laid out in the dimension order `target` (a permutation of `order`), NaN for no-data.
    fn values_in(&self, target: &[String]) -> Result<Vec<f32>, String> {
        let sizes: Vec<usize> = self.order.iter().map(|n| self.dims[n].1.len()).collect();
        let mut flat = Vec::with_capacity(sizes.iter().product());
        self.flatten(self.data, &sizes, &mut flat)?;
        // strides of the given layout, picked in the target order
        let mut strides = vec![1; sizes.len()];
        for k in (0..sizes.len().saturating_sub(1)).rev() {
            strides[k] = strides[k + 1] * sizes[k + 1];
        }
        let position = |name: &String| self.order.iter().position(|n| n == name);
        let picked: Vec<usize> = target.iter().map(|n| position(n).ok_or(n)).collect::<Result<_, _>>()?;
        let mut out = Vec::with_capacity(flat.len());
        let mut index = vec![0; picked.len()];
        for _ in 0..flat.len() {
            out.push(flat[picked.iter().zip(&index).map(|(&p, &i)| strides[p] * i).sum::<usize>()]);
            for k in (0..index.len()).rev() {
                index[k] += 1;
                if index[k] < sizes[picked[k]] {
                    break;
                }
                index[k] = 0;
            }
        }
        Ok(out)
    }

    fn flatten(&self, v: &Value, sizes: &[usize], out: &mut Vec<f32>) -> Result<(), String> {
        match (sizes, v) {
            ([], Value::Number(n)) if self.nodata.contains(n) => out.push(f32::NAN),
            ([], Value::Number(n)) => out.push(*n as f32),
            ([], Value::Bool(b)) => out.push(if *b { 1.0 } else { 0.0 }),
            ([], Value::Null) => out.push(f32::NAN),
            ([n, rest @ ..], Value::Array(items, _)) if items.len() == *n => {
                for item in items {
                    self.flatten(item, rest, out)?;
                }
            }
            _ => return Err(format!("the data do not have the shape {sizes:?}")),
        }
        Ok(())
    }
}

/// The cube a case's literal describes.
pub(super) fn literal(o: &BTreeMap<String, Value>) -> Result<Cube, String> {
    let lit = Literal::read(o)?;
    let dims = lit.dimensions()?;
    let grid = lit.grid()?;
    let mut target: Vec<String> = dims.iter().map(|d| d.name().to_string()).collect();
    let data = if !lit.spatial() {
        Vec::new()
    } else if matches!(lit.data, Value::Null) {
        let n: usize = dims.iter().map(Dimension::len).product();
        vec![f32::NAN; n * grid.width * grid.height]
    } else {
        target.extend(["y".to_string(), "x".to_string()]);
        lit.values_in(&target)?
    };
    Cube::from_values(dims, grid, data).map_err(|e| e.to_string())
}

fn kind_name(kind: DimensionKind) -> &'static str {
    match kind {
        DimensionKind::Temporal => "temporal",
        DimensionKind::Bands => "bands",
        DimensionKind::Other => "other",
    }
}

/// `Ok` when the cube `got` is the cube `expected` describes (see the module documentation).
pub(super) fn compare(expected: &Value, got: &Cube, delta: f64) -> Result<(), String> {
    let Value::Object(o) = expected else {
        return Err(format!(
            "returned a cube, expected {}",
            crate::output::value_text(expected)
        ));
    };
    let lit = Literal::read(o)?;
    let meta = got.meta();
    let mut names: Vec<String> = meta.dims().iter().map(|d| d.name().to_string()).collect();
    let spatial = meta.has_spatial_dims();
    if spatial {
        names.extend(["y".to_string(), "x".to_string()]);
    }
    let (mut a, mut b) = (names.clone(), lit.order.clone());
    a.sort();
    b.sort();
    if a != b {
        return Err(format!("returned dimensions {names:?}, expected {:?}", lit.order));
    }
    for name in lit.order.iter().filter(|n| !(spatial && (*n == "x" || *n == "y"))) {
        let got = &meta.dims()[meta.axis(name).map_err(|e| e.to_string())?];
        let (kind, values) = &lit.dims[name];
        if kind_name(got.kind()) != kind {
            return Err(format!(
                "dimension '{name}' is {}, expected {kind}",
                kind_name(got.kind())
            ));
        }
        let have = got.labels().to_strings();
        let want: Vec<String> = values.iter().map(text).collect();
        let instant = |s: &String| crate::graph::args::parse_instant(s);
        let same = |(h, w): (&String, &String)| h == w || (instant(h).is_some() && instant(h) == instant(w));
        if have.len() != want.len() || !have.iter().zip(&want).all(same) {
            return Err(format!("dimension '{name}' has the labels {have:?}, expected {want:?}"));
        }
    }
    if spatial && (lit.dims["x"].1.is_empty() || lit.dims["y"].1.is_empty()) {
        let g = meta.grid();
        if (g.width, g.height) != (lit.dims["x"].1.len(), lit.dims["y"].1.len()) {
            return Err(format!("returned the grid {g:?}, expected no pixels"));
        }
    } else if spatial {
        let want = lit.grid()?;
        let g = meta.grid();
        let (dx, dy) = want.pixel_size();
        let close = |a: f64, b: f64, d: f64| (a - b).abs() <= 1e-6 * d.abs();
        let same_x = g.width == want.width && (0..g.width).all(|i| close(g.x_center(i), want.x_center(i), dx));
        let same_y = g.height == want.height && (0..g.height).all(|j| close(g.y_center(j), want.y_center(j), dy));
        if !(same_x && same_y && g.crs.same_as(&want.crs)) {
            return Err(format!("returned the grid {g:?}, expected {want:?}"));
        }
    }
    if matches!(lit.data, Value::Null) || !spatial {
        return Ok(());
    }
    let want = lit.values_in(&names)?;
    let block = openeo_engine::execute_to_memory(got, &ExecOptions::default()).map_err(|e| e.to_string())?;
    let have = block.values();
    // single precision relative to the values' magnitude
    let scale = want.iter().filter(|w| w.is_finite()).fold(1f32, |m, w| m.max(w.abs()));
    let tolerance = delta.max(1e-6 * f64::from(scale));
    for (k, (w, h)) in want.iter().zip(have).enumerate() {
        let ok = (w.is_nan() && h.is_nan()) || w == h || f64::from((w - h).abs()) <= tolerance;
        if !ok {
            return Err(format!(
                "value {k} (in the order {names:?}) is {h}, expected {w}; all values: {have:?}"
            ));
        }
    }
    Ok(())
}
