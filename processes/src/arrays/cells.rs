//! Arrays seen cell by cell. Inside callbacks an array's elements are per-cell fields (NaN = no-data), possibly
//! mixed with scalars that hold for every cell; each element is then a [`Lane`], and a process that works on the
//! values of one cell at a time runs once per cell.

use std::sync::Arc;

use crate::{Error, Result, Value};

/// One element of an array, cell by cell: the same number for every cell, or a field.
#[derive(Clone, Copy, Debug)]
pub(super) enum Lane<'a> {
    /// A number for every cell (NaN = no-data).
    Scalar(f64),
    /// One number per cell.
    Field(&'a [f32]),
}

impl Lane<'_> {
    /// The value of cell `i` (NaN = no-data).
    pub(super) fn at(&self, i: usize) -> f64 {
        match self {
            Lane::Scalar(s) => *s,
            Lane::Field(f) => f.get(i).map_or(f64::NAN, |v| f64::from(*v)),
        }
    }
}

/// The number of cells when an element of `items` is a field, `None` when all elements are plain values.
pub(super) fn cell_count(items: &[Value]) -> Option<usize> {
    items.iter().find_map(|v| match v {
        Value::Field(f) => Some(f.len()),
        _ => None,
    })
}

/// The element `v` as a lane: fields, numbers, `null` (no-data) and booleans (1 and 0, as everywhere inside
/// callbacks).
///
/// # Errors
/// [`Error::ProcessParameterInvalid`] for strings, arrays and the other types a cell cannot hold.
pub(super) fn lane<'a>(process: &str, param: &str, v: &'a Value) -> Result<Lane<'a>> {
    match v {
        Value::Field(f) => Ok(Lane::Field(f)),
        Value::Number(n) => Ok(Lane::Scalar(*n)),
        Value::Null => Ok(Lane::Scalar(f64::NAN)),
        Value::Bool(b) => Ok(Lane::Scalar(if *b { 1.0 } else { 0.0 })),
        other => Err(Error::invalid(
            process,
            param,
            format!(
                "inside callbacks the elements must be numbers or no-data, got {}",
                other.type_name()
            ),
        )),
    }
}

/// Every element of `items` as a lane (see [`lane`]).
pub(super) fn lanes<'a>(process: &str, param: &str, items: &'a [Value]) -> Result<Vec<Lane<'a>>> {
    items.iter().map(|v| lane(process, param, v)).collect()
}

/// The most values (elements × cells) an array of fields built here may hold: 256 MiB of cells.
const MAX_VALUES: usize = 1 << 26;

/// Output fields built cell by cell: `width` fields of `cells` cells, all no-data at first.
pub(super) struct Columns {
    values: Vec<Vec<f32>>,
}

impl Columns {
    /// `width` fields of `cells` no-data cells.
    ///
    /// # Errors
    /// [`Error::ProcessParameterInvalid`] when they would hold more than [`MAX_VALUES`] values.
    pub(super) fn new(process: &str, width: usize, cells: usize) -> Result<Columns> {
        if width.saturating_mul(cells) > MAX_VALUES {
            return Err(Error::invalid(
                process,
                "data",
                format!(
                    "the result would have {width} elements of {cells} cells, more than the {MAX_VALUES} values allowed"
                ),
            ));
        }
        Ok(Columns {
            values: vec![vec![f32::NAN; cells]; width],
        })
    }

    /// Sets cell `i` of field `k`.
    pub(super) fn set(&mut self, k: usize, i: usize, v: f64) {
        if let Some(c) = self.values.get_mut(k).and_then(|f| f.get_mut(i)) {
            *c = v as f32;
        }
    }

    /// The fields as array elements.
    pub(super) fn into_items(self) -> Vec<Value> {
        self.values
            .into_iter()
            .map(|f| Value::Field(Arc::<[f32]>::from(f)))
            .collect()
    }
}

/// The values of a plain (cell-free) array of numbers: numbers as they are, `null` as `None`.
///
/// # Errors
/// [`Error::ProcessParameterInvalid`] for elements that are neither numbers nor `null`.
pub(super) fn numbers(process: &str, param: &str, items: &[Value]) -> Result<Vec<Option<f64>>> {
    items
        .iter()
        .map(|v| match v {
            Value::Number(n) => Ok(Some(*n)),
            Value::Null => Ok(None),
            other => Err(Error::invalid(
                process,
                param,
                format!("expected numbers or no-data, got {}", other.type_name()),
            )),
        })
        .collect()
}
