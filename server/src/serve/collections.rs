//! The server's collections, loaded in a background thread at start-up: the server answers requests that do not
//! need them (`GET /`, `/.well-known/openeo`, `/credentials/*`, …) while the CRS database and file headers are
//! read, and requests that do need them wait for the load.

use std::sync::{Arc, OnceLock};

use openeo_engine::Catalog;

use super::{ApiError, ApiResult};

/// The collections, or the reason they could not be loaded; cheap to clone.
#[derive(Clone)]
pub struct Collections {
    loaded: Arc<OnceLock<Result<Arc<Catalog>, String>>>,
}

impl From<Arc<Catalog>> for Collections {
    fn from(catalog: Arc<Catalog>) -> Collections {
        Collections {
            loaded: Arc::new(OnceLock::from(Ok(catalog))),
        }
    }
}

impl Collections {
    /// Collections still to be loaded: [`Collections::start`] loads them.
    pub fn pending() -> Collections {
        Collections {
            loaded: Arc::new(OnceLock::new()),
        }
    }

    /// Runs `load` in a background thread; requests that need the collections wait until it is done.
    ///
    /// # Errors
    /// The thread cannot be started.
    pub fn start(&self, load: impl FnOnce() -> Result<Catalog, String> + Send + 'static) -> std::io::Result<()> {
        let cell = self.loaded.clone();
        std::thread::Builder::new()
            .name("collections".into())
            .stack_size(openeo_engine::THREAD_STACK_BYTES)
            .spawn(move || {
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(load))
                    .unwrap_or_else(|_| Err("loading the collections panicked".into()));
                let _ = cell.set(result.map(Arc::new));
            })
            .map(drop)
    }

    /// The collections, waiting (blocking the thread) for the load.
    ///
    /// # Errors
    /// Why the load failed.
    pub fn wait(&self) -> Result<Arc<Catalog>, String> {
        self.loaded.wait().clone()
    }

    /// The collections, waiting for the load without blocking the runtime; a failed load is a 503.
    ///
    /// # Errors
    /// `ServiceUnavailable` when the collections could not be loaded.
    pub(crate) async fn get(&self) -> ApiResult<Arc<Catalog>> {
        let result = match self.loaded.get() {
            Some(r) => r.clone(),
            None => {
                let me = self.clone();
                tokio::task::spawn_blocking(move || me.wait())
                    .await
                    .map_err(ApiError::internal)?
            }
        };
        result.map_err(|e| ApiError::new("ServiceUnavailable", format!("the collections are not available: {e}")))
    }
}
