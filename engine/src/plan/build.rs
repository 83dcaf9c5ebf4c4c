//! Plan builders with filter push-down.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{CellFn, Cube, Load, Merge, MergeResolver, Node};
use crate::io::gdal::transform_bbox;
use crate::{Bbox, Collection, Crs, CubeMeta, Dimension, DimensionKind, Error, Labels, Result};

/// Keeps the instants in `[start, end)`; `None` bounds are open.
fn in_interval(t: &DateTime<Utc>, start: Option<DateTime<Utc>>, end: Option<DateTime<Utc>>) -> bool {
    start.is_none_or(|s| *t >= s) && end.is_none_or(|e| *t < e)
}

fn check_interval(start: Option<DateTime<Utc>>, end: Option<DateTime<Utc>>) -> Result<()> {
    match (start, end) {
        (Some(s), Some(e)) if s >= e => Err(Error::TemporalExtentEmpty {
            start: s.to_rfc3339(),
            end: e.to_rfc3339(),
        }),
        _ => Ok(()),
    }
}

impl Cube {
    /// Loads a collection, restricted to the pixels whose centres lie in `bbox` (in `crs`), the instants in
    /// `[start, end)` and `bands` (names or common names, in the order given).
    ///
    /// # Errors
    /// [`Error::TemporalExtentEmpty`], [`Error::BandNotFound`], or [`Error::NoDataAvailable`] when the extents
    /// select nothing.
    pub fn load(
        collection: Arc<Collection>,
        bbox: Option<(Bbox, Crs)>,
        interval: (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
        bands: Option<&[String]>,
    ) -> Result<Cube> {
        check_interval(interval.0, interval.1)?;
        let band_idx: Vec<usize> = match bands {
            None => (0..collection.bands.len()).collect(),
            Some(names) => names
                .iter()
                .map(|n| {
                    collection.band_index(n).ok_or_else(|| Error::BandNotFound {
                        band: n.clone(),
                        available: collection
                            .bands
                            .iter()
                            .map(|b| b.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    })
                })
                .collect::<Result<_>>()?,
        };
        let times: Vec<DateTime<Utc>> = collection
            .times()
            .into_iter()
            .filter(|t| collection.timeless || in_interval(t, interval.0, interval.1))
            .collect();
        if times.is_empty() {
            return Err(Error::NoDataAvailable {
                reason: format!("collection {} has no data in the temporal extent", collection.id),
            });
        }
        let groups: Vec<Vec<usize>> = times
            .iter()
            .map(|t| {
                (0..collection.items.len())
                    .filter(|&i| collection.items[i].time == *t)
                    .collect()
            })
            .collect();
        let bands_dim = Dimension::new(
            "bands",
            Labels::Bands(band_idx.iter().map(|&b| collection.bands[b].clone()).collect()),
        );
        // a collection without acquisition times has one item group and no temporal dimension
        let dims = if collection.timeless {
            vec![bands_dim]
        } else {
            vec![Dimension::new("t", Labels::Time(times)), bands_dim]
        };
        let meta = CubeMeta::new(dims, collection.grid.clone());
        let cube = Cube {
            meta,
            node: Arc::new(Node::Load(Load {
                collection,
                groups,
                bands: band_idx,
                clip: None,
            })),
        };
        match bbox {
            Some((b, crs)) => cube.filter_bbox(&b, &crs),
            None => Ok(cube),
        }
    }

    /// Keeps the pixels whose centres lie in `bbox` (given in `crs`).
    ///
    /// # Errors
    /// [`Error::NoDataAvailable`] when no pixel centre is inside; GDAL errors transforming the box.
    pub fn filter_bbox(&self, bbox: &Bbox, crs: &Crs) -> Result<Cube> {
        let grid = self.meta.grid();
        let b = transform_bbox(bbox, crs, &grid.crs)?;
        let win = grid.window_for_bbox(&b).ok_or_else(|| Error::NoDataAvailable {
            reason: "the spatial extent does not contain the centre of any pixel of the data".into(),
        })?;
        self.with_grid(grid.subgrid(&win))
    }

    /// The same computation on another grid: pushed down to every load (every other node is pixel-wise).
    ///
    /// # Errors
    /// Only internal errors.
    pub fn with_grid(&self, grid: crate::Grid) -> Result<Cube> {
        let node = match self.node.as_ref() {
            Node::Load(l) => {
                let mut l = l.clone();
                // moving to another lattice keeps the extent selected on the current one
                if self.meta.grid().lattice_offset(&grid).is_none() && l.clip.is_none() {
                    l.clip = Some(self.meta.grid().clone());
                }
                Node::Load(l)
            }
            Node::Select { input, axis, indices } => Node::Select {
                input: input.with_grid(grid.clone())?,
                axis: *axis,
                indices: indices.clone(),
            },
            Node::Reduce { input, axis, f } => Node::Reduce {
                input: input.with_grid(grid.clone())?,
                axis: *axis,
                f: f.clone(),
            },
            Node::Apply { input, f } => Node::Apply {
                input: input.with_grid(grid.clone())?,
                f: f.clone(),
            },
            Node::Merge(m) => Node::Merge(Merge {
                a: m.a.with_grid(grid.clone())?,
                b: m.b.with_grid(grid.clone())?,
                sources: m.sources.clone(),
                resolver: m.resolver.clone(),
            }),
            Node::GroupReduce(g) => Node::GroupReduce(super::group::GroupReduce {
                input: g.input.with_grid(grid.clone())?,
                axis: g.axis,
                groups: g.groups.clone(),
            }),
            Node::Lanes(l) => Node::Lanes(super::lanes::ApplyLanes {
                input: l.input.with_grid(grid.clone())?,
                axis: l.axis,
                f: l.f.clone(),
            }),
            Node::Mask(m) => Node::Mask(super::mask::Mask {
                data: m.data.with_grid(grid.clone())?,
                mask: m.mask.with_grid(grid.clone())?,
                sources: m.sources.clone(),
                replacement: m.replacement,
            }),
            // the border then lies at the new grid's edges
            Node::Kernel(k) => Node::Kernel(super::kernel::Kernel {
                input: k.input.with_grid(grid.clone())?,
                rows: k.rows,
                cols: k.cols,
                weights: k.weights.clone(),
                border: k.border,
                replace_invalid: k.replace_invalid,
            }),
            Node::Polygons(p) => Node::Polygons(super::polygons::PolygonMask {
                input: p.input.with_grid(grid.clone())?,
                polygons: p.polygons.clone(),
                crs: p.crs.clone(),
                inside: p.inside,
                replacement: p.replacement,
            }),
            // the node computes whatever grid it is given from its input's
            Node::Resample(r) => Node::Resample(super::resample::Resample {
                input: r.input.clone(),
                method: r.method,
            }),
            Node::Pieces(p) => Node::Pieces(p.on_grid(&grid)?),
            Node::Reshape { input } => Node::Reshape {
                input: input.with_grid(grid.clone())?,
            },
            Node::Values(v) => Node::Values(v.on_grid(&grid)?),
        };
        Ok(Cube {
            meta: self.meta.with_grid(grid),
            node: Arc::new(node),
        })
    }

    /// Keeps the labels at `indices` of non-spatial axis `axis`, pushed down as far as possible.
    ///
    /// # Errors
    /// [`Error::NoDataAvailable`] when nothing is kept.
    pub fn select(&self, axis: usize, indices: &[usize]) -> Result<Cube> {
        let dim = self
            .meta
            .dims()
            .get(axis)
            .ok_or_else(|| Error::internal("select on a missing axis"))?;
        if indices.is_empty() {
            return Err(Error::NoDataAvailable {
                reason: format!("no label of dimension '{}' is left", dim.name()),
            });
        }
        let mut dims = self.meta.dims().to_vec();
        dims[axis] = dim.with_labels(dim.labels().select(indices));
        let meta = self.meta.with_dims(dims);
        let node = match self.node.as_ref() {
            Node::Load(l) => {
                let mut l = l.clone();
                if dim.kind() == DimensionKind::Temporal {
                    l.groups = indices.iter().filter_map(|&i| l.groups.get(i).cloned()).collect();
                } else {
                    l.bands = indices.iter().filter_map(|&i| l.bands.get(i).copied()).collect();
                }
                Node::Load(l)
            }
            Node::Apply { input, f } => Node::Apply {
                input: input.select(axis, indices)?,
                f: f.clone(),
            },
            Node::Reduce { input, axis: r, f } if *r != axis => {
                let inner = if axis >= *r { axis + 1 } else { axis };
                Node::Reduce {
                    input: input.select(inner, indices)?,
                    axis: *r,
                    f: f.clone(),
                }
            }
            _ => Node::Select {
                input: self.clone(),
                axis,
                indices: indices.to_vec(),
            },
        };
        Ok(Cube {
            meta,
            node: Arc::new(node),
        })
    }

    /// Keeps the labels at `indices` of non-spatial axis `axis` as [`Cube::select`] does; when there are none, the
    /// cube without values a filter that selects nothing leaves ([`Cube::nothing_selected`]).
    ///
    /// # Errors
    /// Only internal errors.
    pub fn keep_labels(&self, axis: usize, indices: &[usize]) -> Result<Cube> {
        if indices.is_empty() {
            self.nothing_selected(Some(axis))
        } else {
            self.select(axis, indices)
        }
    }

    /// Keeps the instants in `[start, end)` on every temporal axis, or only on the axis named `dimension` (see
    /// [`Cube::keep_labels`] for when none is left).
    ///
    /// # Errors
    /// [`Error::TemporalExtentEmpty`], [`Error::DimensionNotAvailable`].
    pub fn filter_temporal(
        &self,
        start: Option<DateTime<Utc>>,
        end: Option<DateTime<Utc>>,
        dimension: Option<&str>,
    ) -> Result<Cube> {
        check_interval(start, end)?;
        let axes = match dimension {
            Some(name) => {
                let a = self.meta.axis(name)?;
                if self.meta.dims()[a].kind() != DimensionKind::Temporal {
                    return Err(Error::invalid(format!("dimension '{name}' is not temporal")));
                }
                vec![a]
            }
            None => self.meta.axes_of_kind(DimensionKind::Temporal),
        };
        if axes.is_empty() {
            return Err(Error::DimensionNotAvailable {
                dimension: "t".into(),
                available: self.meta.dimension_names().join(", "),
            });
        }
        let mut cube = self.clone();
        for a in axes {
            let Labels::Time(times) = cube.meta.dims()[a].labels() else {
                continue;
            };
            let keep: Vec<usize> = (0..times.len())
                .filter(|&i| in_interval(&times[i], start, end))
                .collect();
            if keep.len() != times.len() {
                cube = cube.keep_labels(a, &keep)?;
            }
        }
        Ok(cube)
    }

    /// Keeps the bands named (by name or common name) in `names`, in that order.
    ///
    /// # Errors
    /// [`Error::DimensionNotAvailable`] without a bands dimension, [`Error::BandNotFound`].
    pub fn filter_bands(&self, names: &[String]) -> Result<Cube> {
        let axis =
            *self
                .meta
                .axes_of_kind(DimensionKind::Bands)
                .first()
                .ok_or_else(|| Error::DimensionNotAvailable {
                    dimension: "bands".into(),
                    available: self.meta.dimension_names().join(", "),
                })?;
        let bands = self.meta.bands().unwrap_or_default();
        let idx = names
            .iter()
            .map(|n| {
                bands
                    .iter()
                    .position(|b| &b.name == n)
                    .or_else(|| bands.iter().position(|b| b.common_name.as_deref() == Some(n)))
                    .ok_or_else(|| Error::BandNotFound {
                        band: n.clone(),
                        available: bands.iter().map(|b| b.name.as_str()).collect::<Vec<_>>().join(", "),
                    })
            })
            .collect::<Result<Vec<_>>>()?;
        self.select(axis, &idx)
    }

    /// Reduces non-spatial axis `axis` with `f` (one input per label); the axis is dropped.
    ///
    /// # Errors
    /// Only internal errors.
    pub fn reduce(&self, axis: usize, f: Arc<dyn CellFn>) -> Result<Cube> {
        if axis >= self.meta.dims().len() {
            return Err(Error::internal("reduce on a missing axis"));
        }
        let mut dims = self.meta.dims().to_vec();
        dims.remove(axis);
        Ok(Cube {
            meta: self.meta.with_dims(dims),
            node: Arc::new(Node::Reduce {
                input: self.clone(),
                axis,
                f,
            }),
        })
    }

    /// Applies `f` to every value; dimensions and labels are unchanged.
    pub fn apply(&self, f: Arc<dyn CellFn>) -> Cube {
        Cube {
            meta: self.meta.clone(),
            node: Arc::new(Node::Apply { input: self.clone(), f }),
        }
    }

    /// Merges `other` into this cube: `other` is aligned onto this cube's grid, labels are united per dimension
    /// (cube 1's first), a dimension missing in `other` is broadcast, and where both cubes have a value the
    /// `resolver` decides.
    ///
    /// # Errors
    /// [`Error::OverlapResolverMissing`] when labels overlap and there is no resolver (decided before reading);
    /// [`Error::Unsupported`] when `other` has dimensions this cube lacks.
    pub fn merge(&self, other: &Cube, resolver: Option<MergeResolver>) -> Result<Cube> {
        let b = if other.meta.grid() == self.meta.grid() {
            other.clone()
        } else {
            other.with_grid(self.meta.grid().clone())?
        };
        let (da, db) = (self.meta.dims(), b.meta.dims());
        for d in db {
            if !da.iter().any(|x| x.name() == d.name()) {
                return Err(Error::Unsupported {
                    message: format!("merge_cubes: cube2 has dimension '{}' that cube1 lacks", d.name()),
                });
            }
        }
        let (out_dims, sources, overlap) = merge_layout(da, db)?;
        if let (Some(o), None) = (&overlap, &resolver) {
            return Err(Error::OverlapResolverMissing { overlap: o.clone() });
        }
        let meta = self.meta.with_dims(out_dims);
        Ok(Cube {
            meta,
            node: Arc::new(Node::Merge(Merge {
                a: self.clone(),
                b,
                sources,
                resolver,
            })),
        })
    }
}

/// Output of [`merge_layout`].
type MergeLayout = (Vec<Dimension>, Vec<(Option<usize>, Option<usize>)>, Option<String>);

/// The merged dimensions, and for every output flat index its flat index in cube 1 and in cube 2 (`None` where
/// that cube has no value), plus a description of the first overlapping cell.
fn merge_layout(da: &[Dimension], db: &[Dimension]) -> Result<MergeLayout> {
    // output labels per axis, and for each output label its index in a and in b (None = absent/broadcast)
    let mut out_dims = Vec::new();
    let mut maps: Vec<Vec<LabelSource>> = Vec::new();
    for d in da {
        let la = d.labels().to_strings();
        let b_axis = db.iter().position(|x| x.name() == d.name());
        let lb = b_axis.map(|i| db[i].labels().to_strings()).unwrap_or_default();
        let labels = union_labels(d.labels(), b_axis.map(|i| db[i].labels()))?;
        maps.push(
            labels
                .to_strings()
                .iter()
                .map(|s| {
                    (
                        la.iter().position(|x| x == s),
                        lb.iter().position(|x| x == s),
                        b_axis.is_none(),
                    )
                })
                .collect(),
        );
        out_dims.push(d.with_labels(labels));
    }
    let lens: Vec<usize> = out_dims.iter().map(Dimension::len).collect();
    let a_lens: Vec<usize> = da.iter().map(Dimension::len).collect();
    let b_axes: Vec<Option<usize>> = da
        .iter()
        .map(|d| db.iter().position(|x| x.name() == d.name()))
        .collect();
    let b_lens: Vec<usize> = db.iter().map(Dimension::len).collect();
    let total: usize = lens.iter().product();
    let mut sources = Vec::with_capacity(total);
    let mut overlap = None;
    for flat in 0..total {
        let idx = crate::io::gdal::unravel(flat, &lens);
        let mut ia = Some(0usize);
        let mut ib_idx = vec![0usize; db.len()];
        let mut ib_ok = true;
        for (ax, &i) in idx.iter().enumerate() {
            let (pa, pb, broadcast) = maps[ax][i];
            ia = match (ia, pa) {
                (Some(acc), Some(p)) => Some(acc * a_lens[ax] + p),
                _ => None,
            };
            match (b_axes[ax], pb) {
                (Some(bax), Some(p)) => ib_idx[bax] = p,
                (Some(_), None) => ib_ok = false,
                (None, _) => ib_ok &= broadcast,
            }
        }
        let ib = ib_ok.then(|| ib_idx.iter().zip(&b_lens).fold(0, |acc, (&i, &n)| acc * n + i));
        if ia.is_some() && ib.is_some() && overlap.is_none() {
            let cell: Vec<String> = idx
                .iter()
                .zip(&out_dims)
                .map(|(&i, d)| format!("{}={}", d.name(), d.labels().to_strings()[i]))
                .collect();
            overlap = Some(cell.join(", "));
        }
        sources.push((ia, ib));
    }
    Ok((out_dims, sources, overlap))
}

/// For one output label: its index in cube 1, its index in cube 2, and whether cube 2 lacks the dimension.
type LabelSource = (Option<usize>, Option<usize>, bool);

/// Labels of `a` followed by the labels of `b` that `a` lacks; instants are sorted.
fn union_labels(a: &Labels, b: Option<&Labels>) -> Result<Labels> {
    let Some(b) = b else { return Ok(a.clone()) };
    Ok(match (a, b) {
        (Labels::Time(x), Labels::Time(y)) => {
            let mut v = x.clone();
            v.extend(y.iter().filter(|t| !x.contains(t)));
            v.sort();
            Labels::Time(v)
        }
        (Labels::Periods(x), Labels::Periods(y)) => {
            let mut v = x.clone();
            v.extend(y.iter().filter(|p| !x.iter().any(|q| q.label == p.label)).cloned());
            v.sort_by_key(|p| p.start);
            Labels::Periods(v)
        }
        (Labels::Bands(x), Labels::Bands(y)) => {
            let mut v = x.clone();
            v.extend(y.iter().filter(|t| !x.iter().any(|b| b.name == t.name)).cloned());
            Labels::Bands(v)
        }
        (Labels::Other(x), Labels::Other(y)) => {
            let mut v = x.clone();
            v.extend(y.iter().filter(|t| !x.contains(t)).cloned());
            Labels::Other(v)
        }
        _ => {
            return Err(Error::invalid(
                "merge_cubes: a dimension has different kinds in the two cubes",
            ));
        }
    })
}
