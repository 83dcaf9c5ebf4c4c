//! Mathematical processes (arithmetic, statistics, exponentials and logarithms, rounding, trigonometry, validity
//! checks). They work on numbers and, inside callbacks, on per-cell fields, element by element (see the `cellwise`
//! module); `null` and NaN are no-data.

mod arithmetic;
mod cellwise;
mod elementary;
mod rounding;
mod statistics;
mod trigonometry;
mod validity;

use crate::registry::ProcessDef;

pub(crate) use cellwise::{Accepts, Output, cellwise, elementwise, from_truth, to_truth};
pub(crate) use statistics::{Streaming, reduce_lanes, reduce_values};

/// The processes of this family.
pub(crate) fn processes() -> Vec<ProcessDef> {
    let mut v = arithmetic::processes();
    v.extend(statistics::processes());
    v.extend(elementary::processes());
    v.extend(rounding::processes());
    v.extend(trigonometry::processes());
    v.extend(validity::processes());
    v
}
