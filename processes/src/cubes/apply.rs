//! apply (<https://processes.openeo.org/#apply>): a callback on every value (`x`, `context`).

use std::sync::Arc;

use crate::graph::callback::Inputs;
use crate::graph::{Args, CallbackFn};
use crate::{Ctx, Result, Value};

pub(super) fn apply(args: &mut Args, ctx: &Ctx) -> Result<Value> {
    let cube = args.cube("data")?;
    let process = args.callback("process")?;
    let f = CallbackFn::try_new(process, Inputs::Named(&["x"]), args.get("context")?, ctx)?;
    Ok(Value::Cube(Box::new(cube.apply(Arc::new(f)))))
}
