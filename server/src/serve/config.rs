//! The server configuration (TOML): listen address, data directory, worker slots, memory budget, sync limits,
//! users, signing secret, and the collections (inline `[[collections]]` or `collections_file`).

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// A user allowed to log in with HTTP Basic.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    /// User id.
    pub name: String,
    /// Argon2 PHC hash of the password (`openeo-local hash-password`).
    pub password_hash: String,
}

/// Federation-related switches.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FederationConfig {
    /// Accept `Bearer basic//<urlsafe-base64(user id)>` tokens that this server never issued, as the
    /// openeo-aggregator forwards them. Only for trusted networks.
    #[serde(default)]
    pub accept_aggregator_tokens: bool,
}

/// Everything `serve` needs besides the collections.
#[derive(Clone, Debug, Deserialize)]
pub struct ServerConfig {
    /// Socket address to listen on.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// Public base URL (scheme://host:port) used in links; default `http://<listen>`.
    #[serde(default)]
    pub public_url: Option<String>,
    /// Where the job database, results and the generated secret live.
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// Computations (sync or batch) that may run at once.
    #[serde(default = "default_slots")]
    pub worker_slots: usize,
    /// Memory budget of one computation's tiles, MiB.
    #[serde(default = "default_budget")]
    pub memory_budget_mib: usize,
    /// Memory all computations (sync and batch) may reserve together, MiB; each reserves `memory_budget_mib`.
    /// Default: `worker_slots × memory_budget_mib`.
    #[serde(default)]
    pub memory_total_mib: Option<usize>,
    /// Synchronous requests that may wait for the budget; more are answered 503 `InfrastructureBusy`.
    #[serde(default = "default_sync_queue")]
    pub sync_queue_max: usize,
    /// Batch jobs that may be queued or running at once; starting more is answered 503 `InfrastructureBusy`.
    #[serde(default = "default_job_queue")]
    pub job_queue_max: usize,
    /// Largest synchronous result, in million values (pixels × bands × dates); larger requests are refused with
    /// `ProcessGraphComplexity`.
    #[serde(default = "default_sync_limit")]
    pub sync_max_megavalues: f64,
    /// Lifetime of signed result links, hours.
    #[serde(default = "default_ttl")]
    pub result_link_hours: u64,
    /// HMAC secret for signed URLs; generated and stored in `data_dir` when absent.
    #[serde(default)]
    pub signing_secret: Option<String>,
    /// Users.
    #[serde(default)]
    pub users: Vec<UserConfig>,
    /// Seconds between polls of a `load_stac` dependency whose results are still `running`.
    #[serde(default = "default_poll")]
    pub dependency_poll_seconds: f64,
    /// Longest wait for `load_stac` dependencies before a batch job fails, seconds.
    #[serde(default = "default_max_wait")]
    pub dependency_max_wait_seconds: f64,
    /// A collections TOML file (relative to this file); default: this file's own `[[collections]]`, or the bundled
    /// collections when there are none.
    #[serde(default)]
    pub collections_file: Option<PathBuf>,
    /// Federation switches.
    #[serde(default)]
    pub federation: FederationConfig,
    /// Remote openEO back-ends whose collections this server can use (local partial-job executor).
    #[serde(default)]
    pub remotes: Vec<crate::RemoteConfig>,
    /// What users may make the server read (`load_stac` URLs and paths, dependency polling).
    #[serde(default)]
    pub outbound: super::OutboundConfig,
    /// Fixture mode (`serve --fixture`): what is advertised, fixed tokens, job ids.
    #[serde(default)]
    pub fixture: Option<crate::fixture::FixtureConfig>,
    /// Where batch job results are kept instead of the data directory: `s3://bucket/prefix` (each job's files
    /// under `prefix/{job id}/`, reached with the `[storage]` settings of the collections configuration or the
    /// AWS environment); still served through the signed result links.
    #[serde(default)]
    pub results_location: Option<String>,
    /// Seconds between refreshes of the remotes' collection and process listings.
    #[serde(default = "default_refresh")]
    pub remote_refresh_seconds: f64,
    /// Directory of this file (for relative paths).
    #[serde(skip)]
    pub base_dir: PathBuf,
    /// The raw text (to read inline collections).
    #[serde(skip)]
    pub raw: String,
}

fn default_listen() -> String {
    "127.0.0.1:8080".into()
}
fn default_data_dir() -> PathBuf {
    PathBuf::from("openeo-local-data")
}
fn default_slots() -> usize {
    2
}
fn default_budget() -> usize {
    256
}
fn default_sync_queue() -> usize {
    64
}
fn default_job_queue() -> usize {
    1000
}
fn default_sync_limit() -> f64 {
    200.0
}
fn default_refresh() -> f64 {
    30.0
}
fn default_poll() -> f64 {
    5.0
}
fn default_max_wait() -> f64 {
    3600.0
}
fn default_ttl() -> u64 {
    24 * 7
}

impl ServerConfig {
    /// Reads a configuration file; relative paths are resolved against its directory.
    ///
    /// # Errors
    /// Unreadable file or invalid TOML.
    pub fn load(path: &Path) -> Result<ServerConfig, String> {
        let raw = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut cfg: ServerConfig = toml::from_str(&raw).map_err(|e| format!("{}: {e}", path.display()))?;
        cfg.base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        if cfg.data_dir.is_relative() {
            cfg.data_dir = cfg.base_dir.join(&cfg.data_dir);
        }
        cfg.raw = raw;
        if let Some(loc) = &cfg.results_location {
            let valid = loc
                .strip_prefix("s3://")
                .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/') && !rest.contains(['?', '#']));
            if !valid {
                return Err(format!(
                    "{}: results_location must be an s3://bucket[/prefix] location, not '{loc}'",
                    path.display()
                ));
            }
            cfg.results_location = Some(loc.trim_end_matches('/').to_string());
        }
        Ok(cfg)
    }

    /// The memory all computations may reserve together, MiB.
    pub fn memory_total(&self) -> usize {
        self.memory_total_mib
            .unwrap_or(self.worker_slots.max(1) * self.memory_budget_mib)
    }

    /// The base URL of the API (`…/openeo/1.2`).
    pub fn api_url(&self) -> String {
        let root = self
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen));
        format!("{}/openeo/1.2", root.trim_end_matches('/'))
    }
}
