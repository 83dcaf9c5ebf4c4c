//! Process graphs: bytes → JSON → `ProcessGraph::from_json` → the static validator → evaluation against the bundled
//! collections. Evaluation only builds lazy plans (no pixel is read, nothing is written); graphs that mention
//! `load_stac` are skipped because that process fetches documents over HTTP or from local files.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use openeo_local_fuzz::{mentions_load_stac, on_plan_stack, testdata_catalog};
use openeo_processes::{Ctx, ProcessGraph, Registry, evaluate, validate};

fuzz_target!(|data: &[u8]| {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    if mentions_load_stac(&json) {
        return;
    }
    let Ok(graph) = ProcessGraph::from_json(&json) else {
        return;
    };
    let registry = Registry::standard();
    let _ = graph.process_ids();
    let errors = validate(&graph, &registry, None);
    let ctx = Ctx::new(testdata_catalog(), Arc::clone(&registry), None);
    on_plan_stack(|| {
        let evaluated = evaluate(&graph, &ctx);
        // what the validator accepts must not fail for a reason it could have known: a structural error
        if errors.is_empty()
            && let Err(e) = &evaluated
        {
            assert_ne!(
                e.code(),
                "ProcessGraphInvalid",
                "validated graph failed to evaluate: {e}"
            );
        }
        drop(evaluated);
    });
});
