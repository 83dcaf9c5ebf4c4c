//! STAC documents as `load_stac` reads them (Item, ItemCollection, Collection, Catalog, job results): bytes →
//! JSON → `openeo_processes::stac_assets`. Nothing is fetched: the fetcher answers the first few linked URLs with
//! the input document itself (so item, child, search and `next` links are followed a few levels deep) and then
//! fails. No file is opened, since `stac_assets` stops before reading asset headers.
#![no_main]

use std::cell::Cell;
use std::collections::BTreeSet;

use libfuzzer_sys::fuzz_target;
use openeo_processes::{Error, Result, stac_assets};
use serde_json::Value as Json;

/// Linked documents served before the fetcher fails.
const MAX_FETCHES: usize = 8;

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = serde_json::from_slice::<Json>(data) else {
        return;
    };
    let fetches = Cell::new(0);
    let fetch = |url: &str| -> Result<Json> {
        if fetches.get() >= MAX_FETCHES {
            return Err(Error::ProcessGraphInvalid {
                reason: format!("fetching is disabled ({url})"),
            });
        }
        fetches.set(fetches.get() + 1);
        Ok(doc.clone())
    };
    let Ok((bands, refs)) = stac_assets(&doc, "https://stac.invalid/a/catalog.json", &fetch) else {
        return;
    };
    let names: BTreeSet<&str> = bands.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names.len(), bands.len(), "band names are unique");
    for r in &refs {
        assert!(
            r.band < bands.len(),
            "asset band index {} of {} bands",
            r.band,
            bands.len()
        );
        assert!(r.file_band >= 1, "file bands are 1-based");
    }
});
