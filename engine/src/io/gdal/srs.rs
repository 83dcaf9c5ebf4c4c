//! CRS parsing and coordinate transformation.

use gdal::Dataset;
use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};

use crate::{Bbox, Crs, Error, Result};

fn to_crs(srs: &SpatialRef) -> Result<Crs> {
    let wkt = srs.to_wkt().map_err(Error::gdal("exporting a CRS as WKT"))?;
    let epsg = match srs.auth_name().as_deref() {
        Some("EPSG") => srs.auth_code().ok().and_then(|c| u32::try_from(c).ok()),
        _ => {
            let mut s = srs.clone();
            match s.auto_identify_epsg() {
                Ok(()) if s.auth_name().as_deref() == Some("EPSG") => {
                    s.auth_code().ok().and_then(|c| u32::try_from(c).ok())
                }
                _ => None,
            }
        }
    };
    Ok(Crs::new(wkt, epsg))
}

/// Parses a CRS as users give it: an EPSG code (`32632`, `"EPSG:32632"`) or WKT. Nothing else is handed to GDAL,
/// whose generic parser would also open files.
///
/// # Errors
/// [`Error::Invalid`] for anything else and when GDAL does not understand the definition.
pub fn crs_from_user(definition: &str) -> Result<Crs> {
    let d = definition.trim();
    let code = d.strip_prefix("EPSG:").or_else(|| d.strip_prefix("epsg:")).unwrap_or(d);
    let srs = if let Ok(code) = code.parse::<u32>() {
        SpatialRef::from_epsg(code)
    } else if is_wkt(d) {
        SpatialRef::from_wkt(d)
    } else {
        // GDAL's "user input" would also take file names and PROJ init files: not from users
        return Err(Error::invalid(format!(
            "unknown CRS '{d}': expected an EPSG code (4326, \"EPSG:4326\") or WKT"
        )));
    }
    .map_err(|e| Error::invalid(format!("unknown CRS '{d}': {e}")))?;
    to_crs(&srs)
}

/// True when `d` starts like a WKT definition: a keyword of capitals, digits and underscores, then `[`.
fn is_wkt(d: &str) -> bool {
    d.split_once('[').is_some_and(|(keyword, _)| {
        !keyword.is_empty()
            && keyword
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    })
}

/// The CRS of an open dataset; `None` when it has none.
pub(crate) fn crs_of(ds: &Dataset) -> Result<Option<Crs>> {
    match ds.spatial_ref() {
        Ok(srs) => to_crs(&srs).map(Some),
        Err(_) => Ok(None),
    }
}

pub(crate) fn srs_of(crs: &Crs) -> Result<SpatialRef> {
    let mut srs = match crs.epsg() {
        Some(code) => SpatialRef::from_epsg(code),
        None => SpatialRef::from_wkt(crs.wkt()),
    }
    .map_err(Error::gdal(format!("building CRS {}", crs.label())))?;
    srs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    Ok(srs)
}

/// Transforms points in place from `from` to `to` (x = easting/longitude). Points that cannot be transformed
/// become non-finite.
///
/// # Errors
/// GDAL failing to build the transformation.
pub fn transform_points(from: &Crs, to: &Crs, xs: &mut [f64], ys: &mut [f64]) -> Result<()> {
    if from.same_as(to) {
        return Ok(());
    }
    let ct = CoordTransform::new(&srs_of(from)?, &srs_of(to)?).map_err(Error::gdal(format!(
        "transforming from {} to {}",
        from.label(),
        to.label()
    )))?;
    // On partial failure GDAL leaves the failed points as HUGE_VAL and the others transformed.
    let _partial_failure = ct.transform_coords(xs, ys, &mut []);
    for (x, y) in xs.iter_mut().zip(ys.iter_mut()) {
        if x.abs() > 1e300 || y.abs() > 1e300 {
            *x = f64::NAN;
            *y = f64::NAN;
        }
    }
    Ok(())
}

/// Transforms a bounding box by densifying its edges (21 points per edge) and taking the extremes.
///
/// # Errors
/// GDAL failing to build the transformation, or no edge point being transformable.
pub fn transform_bbox(bbox: &Bbox, from: &Crs, to: &Crs) -> Result<Bbox> {
    if from.same_as(to) {
        return Ok(*bbox);
    }
    let n = 21;
    let (mut xs, mut ys) = (Vec::with_capacity(4 * n), Vec::with_capacity(4 * n));
    for i in 0..n {
        let f = i as f64 / (n - 1) as f64;
        let x = bbox.west + f * (bbox.east - bbox.west);
        let y = bbox.south + f * (bbox.north - bbox.south);
        xs.extend([x, x, bbox.west, bbox.east]);
        ys.extend([bbox.south, bbox.north, y, y]);
    }
    transform_points(from, to, &mut xs, &mut ys)?;
    let mut out: Option<Bbox> = None;
    for (&x, &y) in xs.iter().zip(&ys) {
        if x.is_finite() && y.is_finite() {
            let p = Bbox {
                west: x,
                east: x,
                south: y,
                north: y,
            };
            out = Some(out.map_or(p, |b| b.union(&p)));
        }
    }
    out.ok_or_else(|| {
        Error::invalid(format!(
            "the bounding box cannot be transformed from {} to {}",
            from.label(),
            to.label()
        ))
    })
}
