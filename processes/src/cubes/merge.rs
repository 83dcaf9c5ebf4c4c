//! merge_cubes (<https://processes.openeo.org/#merge_cubes>): cube2 is aligned onto cube1's grid; the resolver
//! (`x` from cube1, `y` from cube2, `context`) is needed only where labels overlap, and its absence there is an
//! error before any data is read.

use std::sync::Arc;

use crate::graph::callback::Inputs;
use crate::graph::{Args, CallbackFn};
use crate::{Ctx, Result, Value};

pub(super) fn merge_cubes(args: &mut Args, ctx: &Ctx) -> Result<Value> {
    let a = args.cube("cube1")?;
    let b = args.cube("cube2")?;
    let resolver = args.opt_callback("overlap_resolver")?;
    let context = args.get("context")?;
    let resolver = match resolver {
        Some(g) => Some(
            Arc::new(CallbackFn::try_new(g, Inputs::Named(&["x", "y"]), context, ctx)?) as openeo_engine::MergeResolver,
        ),
        None => None,
    };
    Ok(Value::Cube(Box::new(a.merge(&b, resolver)?)))
}
