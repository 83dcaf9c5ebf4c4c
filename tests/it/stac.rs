//! load_stac on static STAC documents: an Item and an ItemCollection (FeatureCollection) pointing at the bundled
//! synthetic COGs, compared with load_collection on the same files.

use serde_json::json;

use crate::util::*;

fn item(id: &str, date: &str) -> serde_json::Value {
    let assets: serde_json::Map<String, serde_json::Value> = ["B04", "B08"]
        .iter()
        .map(|b| {
            let href = testdata(&format!("synthetic/utm/SYNTH_{}_{b}.tif", date.replace('-', "")));
            (b.to_string(), json!({"href": href, "type": "image/tiff; application=geotiff; profile=cloud-optimized", "roles": ["data"]}))
        })
        .collect();
    json!({"type": "Feature", "stac_version": "1.0.0", "id": id, "geometry": null,
           "properties": {"datetime": format!("{date}T00:00:00Z")}, "assets": assets, "links": []})
}

fn mean_graph(load: serde_json::Value) -> serde_json::Value {
    json!({"process_graph": {
        "l": load,
        "r": {"process_id": "reduce_dimension", "arguments": {"data": {"from_node": "l"}, "dimension": "t", "reducer": mean_reducer()}},
        "s": {"process_id": "save_result", "arguments": {"data": {"from_node": "r"}, "format": "JSON"}, "result": true}}})
}

#[test]
fn static_items_equal_load_collection() {
    let dir = tempfile::tempdir().unwrap();
    let fc = json!({"type": "FeatureCollection", "features": [
        item("a", "2022-06-02"), item("b", "2022-06-07"), item("c", "2022-06-12")]});
    let fc_path = dir.path().join("items.json");
    std::fs::write(&fc_path, fc.to_string()).unwrap();
    let extent = json!({"west": 676000, "south": 5152500, "east": 676500, "north": 5153000, "crs": 32632});
    let stac = mean_graph(
        json!({"process_id": "load_stac", "arguments": {"url": fc_path.to_str().unwrap(),
        "spatial_extent": extent, "temporal_extent": ["2022-06-01", "2022-06-10"], "bands": ["B08", "B04"]}}),
    );
    let coll = mean_graph(
        json!({"process_id": "load_collection", "arguments": {"id": "SYNTH_S2_UTM",
        "spatial_extent": extent, "temporal_extent": ["2022-06-01", "2022-06-10"], "bands": ["B08", "B04"]}}),
    );
    let a = run(&stac, &dir.path().join("a.json")).unwrap();
    let b = run(&coll, &dir.path().join("b.json")).unwrap();
    let da: serde_json::Value = serde_json::from_slice(&std::fs::read(&a[0]).unwrap()).unwrap();
    let db: serde_json::Value = serde_json::from_slice(&std::fs::read(&b[0]).unwrap()).unwrap();
    assert_eq!(da["dimensions"]["bands"]["values"], json!(["B08", "B04"]));
    assert_eq!(da["dimensions"], db["dimensions"]);
    assert_eq!(da["data"], db["data"]);
    // a single Item without time filter: one date, cube has t
    let item_path = dir.path().join("item.json");
    std::fs::write(&item_path, item("c", "2022-06-12").to_string()).unwrap();
    let one = json!({"process_graph": {
        "l": {"process_id": "load_stac", "arguments": {"url": item_path.to_str().unwrap(), "spatial_extent": extent}},
        "s": {"process_id": "save_result", "arguments": {"data": {"from_node": "l"}, "format": "JSON"}, "result": true}}});
    let c = run(&one, &dir.path().join("c.json")).unwrap();
    let dc: serde_json::Value = serde_json::from_slice(&std::fs::read(&c[0]).unwrap()).unwrap();
    assert_eq!(dc["dimensions"]["t"]["values"], json!(["2022-06-12T00:00:00Z"]));
    assert_eq!(dc["order"], json!(["t", "bands", "y", "x"]));
}

#[test]
fn stac_api_collection_items_are_searched() {
    let dir = tempfile::tempdir().unwrap();
    let fc = json!({"type": "FeatureCollection", "features": [item("a", "2022-06-02"), item("b", "2022-06-07")], "links": []});
    std::fs::write(dir.path().join("items.json"), fc.to_string()).unwrap();
    let collection = json!({"type": "Collection", "stac_version": "1.0.0", "id": "c", "description": "d", "license": "CC0-1.0",
        "extent": {}, "links": [{"rel": "items", "href": "items.json"}]});
    let path = dir.path().join("collection.json");
    std::fs::write(&path, collection.to_string()).unwrap();
    let extent = json!({"west": 676000, "south": 5152500, "east": 676500, "north": 5153000, "crs": 32632});
    let g = mean_graph(
        json!({"process_id": "load_stac", "arguments": {"url": path.to_str().unwrap(), "spatial_extent": extent,
        "temporal_extent": ["2022-06-01", "2022-06-10"], "bands": ["B04"]}}),
    );
    let out = run(&g, &dir.path().join("o.json")).unwrap();
    let d: serde_json::Value = serde_json::from_slice(&std::fs::read(&out[0]).unwrap()).unwrap();
    let coll = mean_graph(
        json!({"process_id": "load_collection", "arguments": {"id": "SYNTH_S2_UTM", "spatial_extent": extent,
        "temporal_extent": ["2022-06-01", "2022-06-10"], "bands": ["B04"]}}),
    );
    let out2 = run(&coll, &dir.path().join("p.json")).unwrap();
    let e: serde_json::Value = serde_json::from_slice(&std::fs::read(&out2[0]).unwrap()).unwrap();
    assert_eq!(d["data"], e["data"]);
}

#[test]
fn a_stac_backed_collection_equals_the_files_collection() {
    let dir = tempfile::tempdir().unwrap();
    // a static catalog: a Collection linking three Items (one asset per band each)
    let items = [("a", "2022-06-02"), ("b", "2022-06-07"), ("c", "2022-06-12")];
    let mut links = vec![];
    for (id, date) in items {
        std::fs::write(dir.path().join(format!("{id}.json")), item(id, date).to_string()).unwrap();
        links.push(json!({"rel": "item", "href": format!("./{id}.json")}));
    }
    let collection = json!({"type": "Collection", "stac_version": "1.0.0", "id": "synth", "description": "d",
        "license": "CC0-1.0", "extent": {"spatial": {"bbox": [[-180, -90, 180, 90]]}, "temporal": {"interval": [[null, null]]}},
        "links": links});
    std::fs::write(dir.path().join("collection.json"), collection.to_string()).unwrap();
    let toml = "[[collections]]\nid = \"SYNTH_STAC\"\ntitle = \"from STAC\"\nsource = { kind = \"stac\", url = \"collection.json\" }\nbands = [{ name = \"B04\", common_name = \"red\", nodata = 0 }, { name = \"B08\", nodata = 0 }]\n";
    let config = dir.path().join("collections.toml");
    std::fs::write(&config, toml).unwrap();
    let policy = outbound();
    let cat = openeo_server::load_catalog(Some(&config), &policy).unwrap();
    let c = cat.get("SYNTH_STAC").unwrap();
    assert_eq!((c.title.as_str(), c.items.len()), ("from STAC", 3));
    assert_eq!(c.bands[0].common_name.as_deref(), Some("red"));
    let extent = json!({"west": 676000, "south": 5152500, "east": 676500, "north": 5153000, "crs": 32632});
    let load = |id: &str| {
        mean_graph(json!({"process_id": "load_collection", "arguments": {"id": id,
            "spatial_extent": extent, "temporal_extent": ["2022-06-01", "2022-06-10"], "bands": ["red", "B08"]}}))
    };
    let a = run_with(
        &load("SYNTH_STAC"),
        std::sync::Arc::new(cat),
        &dir.path().join("a.json"),
    )
    .unwrap();
    let b = run(&load("SYNTH_S2_UTM"), &dir.path().join("b.json")).unwrap();
    let da: serde_json::Value = serde_json::from_slice(&std::fs::read(&a[0]).unwrap()).unwrap();
    let db: serde_json::Value = serde_json::from_slice(&std::fs::read(&b[0]).unwrap()).unwrap();
    assert_eq!(da["dimensions"], db["dimensions"]);
    assert_eq!(da["data"], db["data"]);
    // without a STAC reader the source is refused with a clear message
    let err = openeo_engine::Catalog::load(&config).unwrap_err().to_string();
    assert!(err.contains("STAC reader"), "{err}");
}
