//! Shared state of the HTTP server.

use std::path::PathBuf;
use std::sync::Arc;

use openeo_engine::{Catalog, OutboundPolicy};
use openeo_processes::{Ctx, ProcessGraph, Registry, UdpLookup};

use super::{ServerConfig, Signer};
use crate::jobs::{Runner, Store};

/// Everything handlers share (cheap to clone).
#[derive(Clone)]
pub struct AppState {
    pub(crate) cfg: Arc<ServerConfig>,
    /// The collections (loaded in the background at start-up).
    pub(crate) catalog: super::Collections,
    pub(crate) store: Arc<Store>,
    pub(crate) federation: Arc<crate::federation::Federation>,
    /// What users may make the server read.
    pub(crate) outbound: Arc<OutboundPolicy>,
    pub(crate) signer: Signer,
    pub(crate) runner: Arc<Runner>,
    pub(crate) api_url: String,
    pub(crate) jobs_dir: PathBuf,
    pub(crate) tmp_dir: PathBuf,
    /// The processes offered (all, or the subset a fixture configuration names).
    pub(crate) registry: Arc<Registry>,
    /// Fixture mode: the fault controller, the request log and what is advertised.
    pub(crate) fixture: Option<Arc<crate::fixture::Fixture>>,
}

/// A user's stored process graphs, as the evaluator looks them up.
pub(crate) struct UserUdps {
    pub(crate) store: Arc<Store>,
    pub(crate) user: String,
}

impl UdpLookup for UserUdps {
    fn process_graph(&self, id: &str) -> Option<ProcessGraph> {
        let body = self.store.udp(&self.user, id).ok().flatten()?;
        ProcessGraph::from_json(body.get("process_graph")?).ok()
    }
}

impl AppState {
    /// A fresh planning context for `user`: this server's collections, offered processes, the user's stored
    /// processes and the outbound policy.
    pub(crate) async fn ctx(&self, user: &str) -> super::ApiResult<Ctx> {
        Ok(self.ctx_with(user, self.catalog.get().await?))
    }

    /// [`AppState::ctx`] with the collections at hand.
    pub(crate) fn ctx_with(&self, user: &str, catalog: Arc<Catalog>) -> Ctx {
        Ctx::new(catalog, self.registry.clone(), Some(self.udps(user))).with_outbound(self.outbound.clone())
    }

    pub(crate) fn udps(&self, user: &str) -> Arc<dyn UdpLookup> {
        Arc::new(UserUdps {
            store: self.store.clone(),
            user: user.to_string(),
        })
    }
}
