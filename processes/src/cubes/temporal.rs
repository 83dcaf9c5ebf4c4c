//! resample_cube_temporal (<https://processes.openeo.org/#resample_cube_temporal>): every target instant takes
//! the values of the nearest source instant (ties: the earlier one); with `valid_within` (days), each cell takes
//! the nearest valid value within that many days, else no-data.

use std::sync::Arc;

use openeo_engine::{CellFn, DimensionKind};

use super::cell_fns::FirstValid;
use crate::graph::Args;
use crate::{Ctx, Result, Value};

pub(super) fn resample_cube_temporal(args: &mut Args, _: &Ctx) -> Result<Value> {
    let data = args.cube("data")?;
    let target = args.cube("target")?;
    let window = args.opt_number("valid_within")?;
    if window.is_some_and(|d| d.is_nan() || d < 0.0) {
        return Err(args.invalid("valid_within", "must be a number of days, not negative"));
    }
    let names: Vec<String> = match args.opt_string("dimension")? {
        Some(name) => {
            for cube in [&data, &target] {
                cube.meta().axis(&name)?;
            }
            vec![name]
        }
        None => data
            .meta()
            .dims()
            .iter()
            .filter(|d| d.kind() == DimensionKind::Temporal)
            .filter(|d| target.meta().dims().iter().any(|t| t.name() == d.name()))
            .map(|d| d.name().to_string())
            .collect(),
    };
    if names.is_empty() {
        return Err(super::coded(
            "DimensionMismatch",
            "the data cubes have no temporal dimension of the same name",
        ));
    }
    let first: Arc<dyn CellFn> = Arc::new(FirstValid);
    let mut cube = data;
    for name in names {
        let axis = cube.meta().axis(&name)?;
        let t_axis = target.meta().axis(&name)?;
        let (Some(source), Some(wanted)) = (
            cube.meta().dims()[axis].labels().instants(),
            target.meta().dims()[t_axis].labels().instants(),
        ) else {
            return Err(super::coded(
                "DimensionMismatch",
                format!("dimension '{name}' is not temporal in both cubes"),
            ));
        };
        let groups = wanted
            .iter()
            .map(|t| {
                // source instants by distance, the earlier first on ties
                let mut near: Vec<(i64, usize)> = (0..source.len())
                    .map(|i| ((source[i] - *t).num_milliseconds().abs(), i))
                    .filter(|(d, _)| window.is_none_or(|w| (*d as f64) <= w * 86_400_000.0))
                    .collect();
                near.sort_by_key(|&(d, i)| (d, source[i]));
                if window.is_none() {
                    near.truncate(1);
                }
                (near.into_iter().map(|(_, i)| i).collect(), Some(first.clone()))
            })
            .collect();
        cube = cube.reduce_groups(axis, groups, target.meta().dims()[t_axis].labels().clone())?;
    }
    Ok(Value::Cube(Box::new(cube)))
}
