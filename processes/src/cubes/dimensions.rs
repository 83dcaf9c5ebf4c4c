//! add_dimension, drop_dimension, rename_dimension, rename_labels and dimension_labels: dimensions and labels
//! change, values do not.

use openeo_engine::{BandInfo, Cube, DimensionKind, Labels};

use super::coded;
use crate::graph::Args;
use crate::graph::args::parse_instant;
use crate::{Ctx, Result, Value};

/// A label argument as text (numbers as written in JSON).
fn label_text(args: &Args, v: &Value, name: &str) -> Result<String> {
    match v {
        Value::Text(s) => Ok(s.clone()),
        Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => Ok(format!("{}", *n as i64)),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(args.invalid(
            name,
            format!("expected a number or string label, got {}", other.type_name()),
        )),
    }
}

/// Labels of `kind` from texts: instants for temporal dimensions (else free labels), bands keep their metadata.
fn labels_of(kind: DimensionKind, texts: Vec<String>, old: Option<&Labels>) -> Labels {
    match kind {
        DimensionKind::Temporal => match texts.iter().map(|t| parse_instant(t)).collect::<Option<Vec<_>>>() {
            Some(times) => Labels::Time(times),
            None => Labels::Other(texts),
        },
        DimensionKind::Bands => {
            let old = match old {
                Some(Labels::Bands(b)) => b.as_slice(),
                _ => &[],
            };
            Labels::Bands(
                texts
                    .into_iter()
                    .enumerate()
                    .map(|(i, name)| BandInfo {
                        name,
                        ..old.get(i).cloned().unwrap_or_default()
                    })
                    .collect(),
            )
        }
        DimensionKind::Other => Labels::Other(texts),
    }
}

fn spatial(args: &Args, name: &str, value: &str) -> Result<()> {
    if value == "x" || value == "y" {
        return Err(openeo_engine::Error::Unsupported {
            message: format!("{}: changing the spatial dimension '{value}' ({name})", args.process()),
        }
        .into());
    }
    Ok(())
}

pub(super) fn create_data_cube(_: &mut Args, _: &Ctx) -> Result<Value> {
    Ok(Value::Cube(Box::new(Cube::empty())))
}

pub(super) fn add_dimension(args: &mut Args, _: &Ctx) -> Result<Value> {
    let cube = args.cube("data")?;
    let name = args.string("name")?;
    let label = label_text(args, &args.get("label")?, "label")?;
    let kind = match args.opt_string("type")?.as_deref().unwrap_or("other") {
        "other" => DimensionKind::Other,
        "temporal" => DimensionKind::Temporal,
        "bands" => DimensionKind::Bands,
        "spatial" if cube.meta().grid().is_empty() => {
            return Err(openeo_engine::Error::Unsupported {
                message: "add_dimension: spatial dimensions (a cube's grid comes only from loaded data)".into(),
            }
            .into());
        }
        "spatial" => {
            return Err(coded(
                "DimensionExists",
                "the data cube has spatial dimensions x and y already",
            ));
        }
        t => return Err(args.invalid("type", format!("unknown dimension type '{t}'"))),
    };
    let labels = labels_of(kind, vec![label], None);
    Ok(Value::Cube(Box::new(cube.expand(0, &name, labels)?)))
}

pub(super) fn drop_dimension(args: &mut Args, _: &Ctx) -> Result<Value> {
    let cube = args.cube("data")?;
    let name = args.string("name")?;
    spatial(args, "name", &name)?;
    Ok(Value::Cube(Box::new(cube.drop_dimension(&name)?)))
}

pub(super) fn rename_dimension(args: &mut Args, _: &Ctx) -> Result<Value> {
    let cube = args.cube("data")?;
    let (source, target) = (args.string("source")?, args.string("target")?);
    spatial(args, "source", &source)?;
    if cube.meta().axis(&source).is_err() {
        // the spec's exception for this process names the source
        return Err(openeo_engine::Error::DimensionNotAvailable {
            dimension: source,
            available: cube.meta().dimension_names().join(", "),
        }
        .into());
    }
    Ok(Value::Cube(Box::new(cube.rename_dimension(&source, &target)?)))
}

/// The labels of an array argument as texts.
fn label_list(args: &Args, name: &str) -> Result<Vec<String>> {
    match args.get(name)? {
        Value::Null => Ok(Vec::new()),
        Value::Array(v, _) => v.iter().map(|x| label_text(args, x, name)).collect(),
        other => Err(args.invalid(name, format!("expected an array of labels, got {}", other.type_name()))),
    }
}

pub(super) fn rename_labels(args: &mut Args, _: &Ctx) -> Result<Value> {
    let cube = args.cube("data")?;
    let dimension = args.string("dimension")?;
    spatial(args, "dimension", &dimension)?;
    let axis = cube.meta().axis(&dimension)?;
    let dim = &cube.meta().dims()[axis];
    let current = dim.labels().to_strings();
    let target = label_list(args, "target")?;
    let source = label_list(args, "source")?;
    let mut renamed = current.clone();
    if source.is_empty() {
        // the labels stand for their positions 0, 1, 2, …
        let enumerated = current.iter().enumerate().all(|(i, l)| *l == i.to_string());
        if !enumerated {
            return Err(coded(
                "LabelsNotEnumerated",
                format!("the labels of dimension '{dimension}' are not enumerated (0, 1, 2, …); give 'source'"),
            ));
        }
        if target.len() > current.len() {
            return Err(coded(
                "LabelMismatch",
                format!("{} target labels for {} labels", target.len(), current.len()),
            ));
        }
        renamed[..target.len()].clone_from_slice(&target);
    } else {
        if source.len() != target.len() {
            return Err(coded(
                "LabelMismatch",
                format!("{} source labels but {} target labels", source.len(), target.len()),
            ));
        }
        for (s, t) in source.iter().zip(&target) {
            let i = current
                .iter()
                .position(|l| l == s)
                .ok_or_else(|| crate::Error::LabelNotAvailable {
                    message: format!("dimension '{dimension}' has no label '{s}'"),
                })?;
            renamed[i] = t.clone();
        }
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(dup) = renamed.iter().find(|l| !seen.insert(*l)) {
        return Err(coded(
            "LabelExists",
            format!("dimension '{dimension}' would have the label '{dup}' twice"),
        ));
    }
    let labels = labels_of(dim.kind(), renamed, Some(dim.labels()));
    Ok(Value::Cube(Box::new(cube.relabel(axis, labels)?)))
}

/// The pixel-centre coordinates of a spatial axis.
fn coordinates(cube: &Cube, axis: &str) -> Vec<Value> {
    let g = cube.meta().grid();
    match axis {
        "x" => (0..g.width).map(|i| Value::Number(g.x_center(i))).collect(),
        _ => (0..g.height).map(|j| Value::Number(g.y_center(j))).collect(),
    }
}

pub(super) fn dimension_labels(args: &mut Args, _: &Ctx) -> Result<Value> {
    let cube = args.cube("data")?;
    let dimension = args.string("dimension")?;
    if dimension == "x" || dimension == "y" {
        return Ok(Value::Array(coordinates(&cube, &dimension), None));
    }
    let axis = cube.meta().axis(&dimension)?;
    let labels = cube.meta().dims()[axis].labels().to_strings();
    Ok(Value::Array(labels.into_iter().map(Value::Text).collect(), None))
}

/// The most values trim_cube reads while planning (about ten seconds of reading and computing on two cores).
const MAX_TRIM_VALUES: f64 = (1u64 << 30) as f64;

/// trim_cube: reads the cube once while planning to find the labels and edges without values.
pub(super) fn trim_cube(args: &mut Args, _: &Ctx) -> Result<Value> {
    let cube = args.cube("data")?;
    // planning (and so `/validation`) waits for the read: only cubes that read in seconds
    let g = cube.meta().grid();
    let values = cube.meta().values_per_pixel() as f64 * g.width as f64 * g.height as f64;
    if values > MAX_TRIM_VALUES {
        return Err(crate::Error::ProcessGraphComplexity {
            reason: format!(
                "trim_cube reads its data cube while planning; this one has {values:.0} values, more than the \
                 {MAX_TRIM_VALUES:.0} supported (filter or resample it first)"
            ),
        });
    }
    let opts = openeo_engine::ExecOptions {
        memory_budget: Some(64 << 20),
        ..openeo_engine::ExecOptions::default()
    };
    Ok(Value::Cube(Box::new(cube.trim(&opts)?)))
}

#[cfg(test)]
mod trim_tests {
    use super::super::fixture::{call, code, ctx, cube};
    use crate::Value;

    #[test]
    fn trim_cube_refuses_cubes_too_large_to_read_while_planning() {
        let ctx = ctx();
        assert_eq!(code(&call("trim_cube", &[("data", cube(&ctx))], &ctx)), "ok");
        let fine = call(
            "resample_spatial",
            &[("data", cube(&ctx)), ("resolution", Value::Number(0.01))],
            &ctx,
        )
        .unwrap();
        let e = call("trim_cube", &[("data", fine)], &ctx).unwrap_err();
        assert_eq!(e.code(), "ProcessGraphComplexity", "{e}");
    }
}
