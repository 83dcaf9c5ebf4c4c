//! STAC documents: collections (with `cube:dimensions` and `summaries` computed from the data) and batch job
//! results (a Collection with signed asset hrefs and `openeo:status`).

use openeo_engine::Collection;
use serde_json::{Value, json};

use super::AppState;
use crate::jobs::{Job, JobStatus};

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A collection as STAC; `full` adds `cube:dimensions` and `summaries` (the `/collections/{id}` document).
pub(crate) fn collection_stac(c: &Collection, api: &str, full: bool) -> Value {
    let b = c.extent_wgs84;
    let (start, end) = c.time_range().map_or((Value::Null, Value::Null), |(s, e)| {
        (json!(rfc3339(s)), json!(rfc3339(e)))
    });
    let mut doc = json!({
        "stac_version": "1.0.0",
        "stac_extensions": ["https://stac-extensions.github.io/datacube/v2.2.0/schema.json", "https://stac-extensions.github.io/eo/v1.1.0/schema.json"],
        "type": "Collection",
        "id": c.id,
        "title": c.title,
        "description": c.description,
        "license": c.license,
        "keywords": c.keywords,
        "providers": [{"name": "openeo-local", "roles": ["host"]}],
        "extent": {"spatial": {"bbox": [[b.west, b.south, b.east, b.north]]}, "temporal": {"interval": [[start, end]]}},
        "links": [
            {"rel": "self", "href": format!("{api}/collections/{}", c.id), "type": "application/json"},
            {"rel": "root", "href": format!("{api}/"), "type": "application/json"},
            {"rel": "parent", "href": format!("{api}/"), "type": "application/json"},
        ],
    });
    if !c.attribution.is_empty() {
        doc["attribution"] = json!(c.attribution.join("; "));
    }
    if full {
        let g = &c.grid;
        let bounds = g.bounds();
        let crs = g.crs.epsg().map_or_else(|| json!(g.crs.wkt()), |e| json!(e));
        let bands: Vec<Value> = c
            .bands
            .iter()
            .map(|band| {
                let mut v = json!({"name": band.name});
                if let Some(cn) = &band.common_name {
                    v["common_name"] = json!(cn);
                }
                if let Some(w) = band.wavelength {
                    v["center_wavelength"] = json!(w);
                }
                if let Some(n) = band.nodata {
                    v["nodata"] = json!(n);
                }
                if let Some(u) = &band.unit {
                    v["unit"] = json!(u);
                }
                v
            })
            .collect();
        let times: Vec<String> = c.times().into_iter().map(rfc3339).collect();
        doc["cube:dimensions"] = json!({
            "x": {"type": "spatial", "axis": "x", "extent": [bounds.west, bounds.east], "step": g.transform[1], "reference_system": crs},
            "y": {"type": "spatial", "axis": "y", "extent": [bounds.south, bounds.north], "step": g.transform[5].abs(), "reference_system": crs},
            "t": {"type": "temporal", "extent": [start, end], "values": times},
            "bands": {"type": "bands", "values": c.bands.iter().map(|b| b.name.clone()).collect::<Vec<_>>()},
        });
        let mut summaries = json!({"eo:bands": bands});
        for (k, v) in &c.properties {
            summaries[k] = match v {
                openeo_engine::PropertyValue::Text(s) => json!([s]),
                openeo_engine::PropertyValue::Number(n) => json!([n]),
                openeo_engine::PropertyValue::Bool(b) => json!([b]),
            };
        }
        doc["summaries"] = summaries;
    }
    doc
}

/// The openEO status as results documents show it.
fn results_status(s: JobStatus) -> &'static str {
    match s {
        JobStatus::Created | JobStatus::Queued | JobStatus::Running => "running",
        other => other.as_str(),
    }
}

/// The results of `job` as a STAC Collection. `signed` is the signed path segment used for the canonical link and
/// the asset hrefs; `partial` keeps `?partial=true` in the canonical link.
pub(crate) fn job_results_stac(state: &AppState, job: &Job, signed: &str, expires: u64, partial: bool) -> Value {
    let api = &state.api_url;
    let base = format!("{api}/jobs/{}/results/{signed}", job.id);
    let canonical = if partial {
        format!("{base}?partial=true")
    } else {
        base.clone()
    };
    let mut assets = serde_json::Map::new();
    let mut bbox: Option<[f64; 4]> = None;
    let (mut start, mut end): (Option<String>, Option<String>) = (None, None);
    if job.status == JobStatus::Finished {
        for a in job.results.as_ref().and_then(Value::as_array).into_iter().flatten() {
            let Some(name) = a.get("name").and_then(Value::as_str) else {
                continue;
            };
            let mut asset = json!({
                "href": format!("{base}/{name}"),
                "type": a.get("type").cloned().unwrap_or(Value::Null),
                "roles": ["data"],
                "title": name,
            });
            for k in ["proj:epsg", "proj:shape", "proj:bbox", "eo:bands", "datetime"] {
                if let Some(v) = a.get(k) {
                    asset[k] = v.clone();
                }
            }
            if let Some(w) = a.get("bbox_wgs84").and_then(Value::as_array) {
                let v: Vec<f64> = w.iter().filter_map(Value::as_f64).collect();
                if let [w, s, e, n] = v[..] {
                    bbox = Some(bbox.map_or([w, s, e, n], |b| [b[0].min(w), b[1].min(s), b[2].max(e), b[3].max(n)]));
                }
            }
            let first = a
                .get("datetime")
                .or_else(|| a.get("start_datetime"))
                .and_then(Value::as_str);
            let last = a
                .get("datetime")
                .or_else(|| a.get("end_datetime"))
                .and_then(Value::as_str);
            if let (Some(f), Some(l)) = (first, last) {
                start = Some(start.map_or(f.to_string(), |s| s.min(f.to_string())));
                end = Some(end.map_or(l.to_string(), |e| e.max(l.to_string())));
            }
            assets.insert(name.to_string(), asset);
        }
    }
    let b = bbox.unwrap_or([-180.0, -90.0, 180.0, 90.0]);
    // results without a time axis: the job's creation time stands for both ends
    let start = start.unwrap_or_else(|| job.created.clone());
    let end = end.unwrap_or_else(|| start.clone());
    let mut links = vec![json!({"rel": "canonical", "href": canonical, "type": "application/json"})];
    if assets.len() > 1 {
        // one signed STAC Item per file of a multi-file result (e.g. one GeoTIFF per date)
        links.extend(assets.keys().map(
            |name| json!({"rel": "item", "href": format!("{base}/items/{name}"), "type": "application/geo+json"}),
        ));
    }
    links.push(json!({"rel": "self", "href": format!("{api}/jobs/{}/results", job.id), "type": "application/json"}));
    let mut doc = json!({
        "stac_version": "1.0.0",
        "stac_extensions": ["https://stac-extensions.github.io/projection/v1.1.0/schema.json", "https://stac-extensions.github.io/eo/v1.1.0/schema.json"],
        "type": "Collection",
        "id": job.id,
        "title": job.title.clone().unwrap_or_else(|| format!("Results of job {}", job.id)),
        "description": job.description.clone().unwrap_or_else(|| format!("Results of batch job {}", job.id)),
        "license": "proprietary",
        "extent": {"spatial": {"bbox": [b]}, "temporal": {"interval": [[start, end]]}},
        "openeo:status": results_status(job.status),
        "assets": assets,
        "links": links,
    });
    if expires != 0 {
        doc["expires"] = json!(chrono::DateTime::from_timestamp(expires as i64, 0).map(rfc3339));
    }
    doc
}

/// One file of a finished job's results as a STAC Item (linked from the results Collection); `None` when the job
/// has no such file.
pub(crate) fn job_result_item(state: &AppState, job: &Job, signed: &str, name: &str) -> Option<Value> {
    let base = format!("{}/jobs/{}/results/{signed}", state.api_url, job.id);
    let a = job
        .results
        .as_ref()?
        .as_array()?
        .iter()
        .find(|a| a.get("name").and_then(Value::as_str) == Some(name))?;
    let bbox: Vec<f64> = a
        .get("bbox_wgs84")
        .and_then(Value::as_array)
        .map(|v| v.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default();
    let geometry = match bbox[..] {
        [w, s, e, n] => json!({"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}),
        _ => Value::Null,
    };
    // a file of one date has its datetime; a file spanning several dates has its span (STAC: datetime null)
    let properties = match (a.get("datetime"), a.get("start_datetime"), a.get("end_datetime")) {
        (Some(t), _, _) => json!({"datetime": t}),
        (None, Some(s), Some(e)) => json!({"datetime": null, "start_datetime": s, "end_datetime": e}),
        _ => json!({"datetime": job.created}),
    };
    let mut asset = json!({"href": format!("{base}/{name}"), "type": a.get("type").cloned().unwrap_or(Value::Null), "roles": ["data"], "title": name});
    for k in ["proj:epsg", "proj:shape", "proj:bbox", "eo:bands"] {
        if let Some(v) = a.get(k) {
            asset[k] = v.clone();
        }
    }
    let mut item = json!({
        "type": "Feature",
        "stac_version": "1.0.0",
        "stac_extensions": ["https://stac-extensions.github.io/projection/v1.1.0/schema.json", "https://stac-extensions.github.io/eo/v1.1.0/schema.json"],
        "id": name,
        "geometry": geometry,
        "properties": properties,
        "assets": {name: asset},
        "links": [
            {"rel": "collection", "href": base, "type": "application/json"},
            {"rel": "parent", "href": base, "type": "application/json"},
            {"rel": "root", "href": base, "type": "application/json"},
        ],
    });
    if bbox.len() == 4 {
        item["bbox"] = json!(bbox);
    }
    Some(item)
}
