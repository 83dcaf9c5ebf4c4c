//! Vector cubes: the values of a raster cube aggregated over geometries (`aggregate_spatial`). The raster is
//! restricted to the geometries' bounding box and computed tile by tile like any cube; each tile hands the values
//! of the pixels inside each geometry (pixel centre in a polygon, or the pixel containing a point) to a collector.
//! Reducers with a running aggregate (mean, sum, min, max, count, …) fold the pixels in as they come, so memory does
//! not grow with the raster or the geometries; any other reducer gets the values of a geometry's pixels at the end,
//! kept in one flat array per geometry.

use std::sync::{Arc, Mutex};

use crate::io::TileSink;
use crate::{
    Accumulator, Bbox, Block, CellFn, Crs, Cube, Dimension, Error, ExecOptions, Polygon, Result, Window, execute,
};

/// A geometry of a vector cube.
#[derive(Clone, Debug, PartialEq)]
pub enum Geometry {
    /// A point: the pixel containing it.
    Point {
        /// x (longitude for EPSG:4326).
        x: f64,
        /// y (latitude for EPSG:4326).
        y: f64,
    },
    /// One or more polygons: the pixels whose centres lie inside.
    Polygons(Vec<Polygon>),
}

impl Geometry {
    /// The bounding box of the geometry (in its CRS).
    pub fn bbox(&self) -> Bbox {
        match self {
            Geometry::Point { x, y } => Bbox {
                west: *x,
                east: *x,
                south: *y,
                north: *y,
            },
            Geometry::Polygons(ps) => ps.iter().map(Polygon::bbox).reduce(|a, b| a.union(&b)).unwrap_or(Bbox {
                west: 0.0,
                east: 0.0,
                south: 0.0,
                north: 0.0,
            }),
        }
    }
}

/// The values of a raster cube aggregated over geometries: one value per geometry and label of the raster's
/// non-spatial dimensions.
#[derive(Clone, Debug)]
pub struct VectorCube {
    /// The raster cut to the geometries' bounding box (`None` when they lie outside the data).
    raster: Option<Cube>,
    /// The non-spatial dimensions of the raster.
    dims: Vec<Dimension>,
    geometries: Arc<Vec<Geometry>>,
    crs: Crs,
    reducer: Arc<dyn CellFn>,
    /// Also count the pixels (all and valid) of each geometry.
    counts: bool,
}

/// What [`VectorCube::compute`] gives: per geometry and raster label, the reduced value and, with counts, the
/// number of pixels and of valid pixels.
#[derive(Clone, Debug, PartialEq)]
pub struct VectorValues {
    /// The raster's non-spatial dimensions (one value per combination of their labels, row-major).
    pub dims: Vec<Dimension>,
    /// `[geometry][label combination]`, NaN where nothing was aggregated.
    pub values: Vec<f32>,
    /// `[geometry][label combination]`: pixels of the geometry, and those with a value (only with counts).
    pub counts: Option<Vec<(usize, usize)>>,
}

impl VectorValues {
    /// Writes the values as netCDF-4 to `path` (atomically): a `geometry` dimension with the `geometries` (GeoJSON,
    /// WGS 84) as WKT, the raster's other dimensions, and with counts the dimension `target_dimension` of `value`,
    /// `total_count`, `valid_count`; one variable per band.
    ///
    /// # Errors
    /// A geometry GDAL cannot read; GDAL or file-system errors writing.
    pub fn write_netcdf(
        &self,
        path: &std::path::Path,
        geometries: &[String],
        target_dimension: Option<&str>,
    ) -> Result<()> {
        crate::io::gdal::write_vector_netcdf(path, geometries, self, target_dimension)
    }
}

impl VectorCube {
    /// Aggregates `raster` over `geometries` (in `crs`) with `reducer`, which gets the values of one geometry's
    /// pixels for one label combination (in no particular order). With `counts`, pixel counts are kept too.
    ///
    /// # Errors
    /// CRS transformation errors.
    pub fn new(
        raster: &Cube,
        geometries: Vec<Geometry>,
        crs: Crs,
        reducer: Arc<dyn CellFn>,
        counts: bool,
    ) -> Result<VectorCube> {
        let bbox = geometries.iter().map(Geometry::bbox).reduce(|a, b| a.union(&b));
        let cut = match bbox {
            None => None,
            Some(b) => {
                // a margin of one pixel keeps the pixels that contain points on the box's edge
                let g = raster.meta().grid();
                let local = crate::transform_bbox(&b, &crs, &g.crs)?;
                let (dx, dy) = g.pixel_size();
                let wider = Bbox {
                    west: local.west - dx.abs(),
                    east: local.east + dx.abs(),
                    south: local.south - dy.abs(),
                    north: local.north + dy.abs(),
                };
                match raster.filter_bbox(&wider, &g.crs) {
                    Ok(c) => Some(c),
                    Err(Error::NoDataAvailable { .. }) => None,
                    Err(e) => return Err(e),
                }
            }
        };
        Ok(VectorCube {
            dims: raster.meta().dims().to_vec(),
            raster: cut,
            geometries: Arc::new(geometries),
            crs,
            reducer,
            counts,
        })
    }

    /// The raster's non-spatial dimensions.
    pub fn dims(&self) -> &[Dimension] {
        &self.dims
    }

    /// The geometries, in order.
    pub fn geometries(&self) -> &[Geometry] {
        &self.geometries
    }

    /// The raster this cube reads (for plans and estimates).
    pub fn raster(&self) -> Option<&Cube> {
        self.raster.as_ref()
    }

    /// Computes the aggregated values.
    ///
    /// # Errors
    /// Errors of reading, computing or the reducer.
    pub fn compute(&self, opts: &ExecOptions) -> Result<VectorValues> {
        let planes: usize = self.dims.iter().map(Dimension::len).product();
        let n = self.geometries.len();
        let partial: Vec<Partial> = (0..n).map(|_| Partial::new(self.reducer.as_ref(), planes)).collect();
        let partial = Arc::new(Mutex::new(partial));
        if let Some(raster) = &self.raster {
            let sink = Collector {
                grid: raster.meta().grid().clone(),
                geometries: self.geometries.clone(),
                points: points_on(raster.meta().grid(), &self.geometries, &self.crs)?,
                crs: self.crs.clone(),
                planes,
                partial: partial.clone(),
            };
            // the collector's per-tile coordinates (two f64 per cell) come on top of the tiles: they get a share
            let opts = ExecOptions {
                memory_budget: opts.memory_budget.map(|b| b / 4 * 3),
                ..opts.clone()
            };
            execute(raster, Box::new(sink), &opts)?;
        }
        let partial = std::mem::take(&mut *partial.lock().map_err(|_| Error::internal("collector poisoned"))?);
        let mut values = Vec::with_capacity(n * planes);
        let mut counts = Vec::with_capacity(if self.counts { n * planes } else { 0 });
        for p in partial {
            if self.counts {
                counts.extend(p.valid.iter().map(|&v| (p.pixels, v)));
            }
            values.extend(p.finish(self.reducer.as_ref(), planes)?);
        }
        Ok(VectorValues {
            dims: self.dims.clone(),
            values,
            counts: self.counts.then_some(counts),
        })
    }
}

/// What has been gathered for one geometry: a running aggregate when the reducer has one (mean, sum, min, max,
/// count, …: memory does not grow with the pixels), else the pixels' values, one plane after the other per pixel.
struct Partial {
    accumulator: Option<Box<dyn Accumulator>>,
    values: Vec<f32>,
    /// Pixels seen, and per plane those with a value.
    pixels: usize,
    valid: Vec<usize>,
}

impl Partial {
    fn new(reducer: &dyn CellFn, planes: usize) -> Partial {
        Partial {
            accumulator: reducer.accumulator(planes),
            values: Vec::new(),
            pixels: 0,
            valid: vec![0; planes],
        }
    }

    /// Adds one pixel's values (one per plane).
    fn add(&mut self, pixel: &[f32]) {
        self.pixels += 1;
        for (v, x) in self.valid.iter_mut().zip(pixel) {
            *v += usize::from(!x.is_nan());
        }
        match &mut self.accumulator {
            Some(a) => a.add(0, &[pixel]),
            None => self.values.extend_from_slice(pixel),
        }
    }

    /// The reduced value per plane (no-data for a geometry without pixels).
    fn finish(self, reducer: &dyn CellFn, planes: usize) -> Result<Vec<f32>> {
        if self.pixels == 0 {
            return Ok(vec![f32::NAN; planes]);
        }
        match self.accumulator {
            Some(a) => {
                let mut out = vec![0f32; planes];
                a.values_into(0, &[], &mut out);
                Ok(out)
            }
            None => {
                let inputs: Vec<&[f32]> = self.values.chunks(planes).collect();
                reducer.call(&inputs, planes)
            }
        }
    }
}

/// The pixel (column, row) of `grid` each point geometry lies in (`None` for polygons and points outside).
fn points_on(grid: &crate::Grid, geometries: &[Geometry], crs: &Crs) -> Result<Vec<Option<(usize, usize)>>> {
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for g in geometries {
        if let Geometry::Point { x, y } = g {
            xs.push(*x);
            ys.push(*y);
        }
    }
    crate::transform_points(crs, &grid.crs, &mut xs, &mut ys)?;
    let [x0, dx, _, y0, _, dy] = grid.transform;
    let mut located = xs.iter().zip(&ys).map(|(x, y)| {
        let (c, r) = (((x - x0) / dx).floor(), ((y - y0) / dy).floor());
        (c >= 0.0 && r >= 0.0 && c < grid.width as f64 && r < grid.height as f64).then_some((c as usize, r as usize))
    });
    Ok(geometries
        .iter()
        .map(|g| match g {
            Geometry::Point { .. } => located.next().flatten(),
            Geometry::Polygons(_) => None,
        })
        .collect())
}

/// Collects, tile by tile, the values of the pixels inside each geometry.
struct Collector {
    grid: crate::Grid,
    geometries: Arc<Vec<Geometry>>,
    points: Vec<Option<(usize, usize)>>,
    crs: Crs,
    planes: usize,
    /// Per geometry, what has been gathered.
    partial: Arc<Mutex<Vec<Partial>>>,
}

impl TileSink for Collector {
    fn write_tile(&mut self, window: &Window, block: &Block) -> Result<()> {
        let cells = window.cells();
        let v = block.values();
        let mut partial = self.partial.lock().map_err(|_| Error::internal("collector poisoned"))?;
        let mut pixel = vec![0f32; self.planes];
        // each pixel found is added at once: nothing per pixel is kept beyond the running aggregates
        let mut add = |i: usize, k: usize| {
            for (p, x) in pixel.iter_mut().enumerate() {
                *x = v[p * cells + k];
            }
            partial[i].add(&pixel);
        };
        for (i, p) in self.points.iter().enumerate() {
            if let Some((c, r)) = *p
                && (window.x0..window.x0 + window.width).contains(&c)
                && (window.y0..window.y0 + window.height).contains(&r)
            {
                add(i, (r - window.y0) * window.width + (c - window.x0));
            }
        }
        if self.geometries.iter().any(|g| matches!(g, Geometry::Polygons(_))) {
            let (mut xs, mut ys) = self.grid.centres(window);
            crate::transform_points(&self.grid.crs, &self.crs, &mut xs, &mut ys)?;
            for (i, g) in self.geometries.iter().enumerate() {
                let Geometry::Polygons(ps) = g else { continue };
                let boxes: Vec<Bbox> = ps.iter().map(Polygon::bbox).collect();
                for k in 0..cells {
                    let (x, y) = (xs[k], ys[k]);
                    let inside = ps
                        .iter()
                        .zip(&boxes)
                        .any(|(p, b)| x >= b.west && x <= b.east && y >= b.south && y <= b.north && p.contains(x, y));
                    if inside {
                        add(i, k);
                    }
                }
            }
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<Vec<std::path::PathBuf>> {
        Ok(Vec::new())
    }
}
