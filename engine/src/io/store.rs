//! One byte-range store for every object the direct readers open: local files, objects in S3-compatible buckets
//! (`s3://bucket/key`) and HTTP(S) URLs, all through `object_store` (its local-filesystem store for local files), so
//! local and remote data take the same path.
//!
//! An [`Object`] is a location with its identity (size and ETag or modification time). Readers key their caches by
//! that identity, and remote ranges are read on the condition that the ETag still matches, so a replaced object is
//! never read with the index of its predecessor. Ranges are coalesced where they are adjacent (remote: where the gap
//! is small) and the resulting requests run in parallel; every remote request has a timeout and bounded retries.
//! Whole objects (netCDF files, which are read by the HDF5 library) are fetched into a bounded local cache.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{
    BackoffConfig, ClientOptions, GetOptions, GetRange, ObjectMeta, ObjectStore, ObjectStoreExt, RetryConfig,
};

use crate::{Error, Result};

/// How remote objects are reached (the `[storage]` section of the server configuration).
#[derive(Clone, Debug)]
pub struct StorageConfig {
    /// Endpoint of an S3-compatible server (`http://127.0.0.1:9000`); default: `AWS_ENDPOINT_URL`, else AWS.
    pub s3_endpoint: Option<String>,
    /// Region; default: `AWS_REGION` / `AWS_DEFAULT_REGION`, else `us-east-1`.
    pub s3_region: Option<String>,
    /// Access key; default: `AWS_ACCESS_KEY_ID`.
    pub s3_access_key_id: Option<String>,
    /// Secret key; default: `AWS_SECRET_ACCESS_KEY`.
    pub s3_secret_access_key: Option<String>,
    /// Send unsigned requests (public buckets).
    pub s3_anonymous: bool,
    /// Time limit of each request.
    pub timeout: Duration,
    /// Retries of a request that failed for a transient reason (with exponential backoff).
    pub retries: usize,
    /// Where objects read whole (netCDF) are kept.
    pub cache_dir: PathBuf,
    /// The largest object read whole.
    pub max_object_bytes: u64,
    /// The most bytes the cache of whole objects holds (the oldest files leave first).
    pub max_cache_bytes: u64,
}

impl StorageConfig {
    /// The S3 endpoint: the configured one, else `AWS_ENDPOINT_URL`; `None` for AWS itself.
    pub(crate) fn endpoint(&self) -> Option<String> {
        self.s3_endpoint
            .clone()
            .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok())
    }
}

impl Default for StorageConfig {
    fn default() -> StorageConfig {
        StorageConfig {
            s3_endpoint: None,
            s3_region: None,
            s3_access_key_id: None,
            s3_secret_access_key: None,
            s3_anonymous: false,
            timeout: Duration::from_secs(30),
            retries: 3,
            cache_dir: std::env::temp_dir().join("openeo-local-objects"),
            max_object_bytes: 2 << 30,
            max_cache_bytes: 8 << 30,
        }
    }
}

static CONFIG: RwLock<Option<StorageConfig>> = RwLock::new(None);

/// Sets how remote objects are reached; stores opened before keep their settings, so call this before reading.
///
/// # Errors
/// GDAL refusing the S3 settings of its own reader (the fallback for layouts the direct readers do not cover).
pub fn configure_storage(config: StorageConfig) -> Result<()> {
    super::gdal::configure_s3(&config)?;
    *CONFIG.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(config);
    stores().clear();
    objects().clear();
    Ok(())
}

/// The time limit of each remote request.
pub(crate) fn timeout() -> Duration {
    config().timeout
}

fn config() -> StorageConfig {
    CONFIG
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone()
        .unwrap_or_default()
}

/// Requests sent to remote stores and bytes they returned, since the process started.
static REQUESTS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

/// The number of requests sent to remote stores and the bytes received, since the process started.
pub fn remote_reads() -> (u64, u64) {
    (REQUESTS.load(Ordering::Relaxed), BYTES.load(Ordering::Relaxed))
}

/// True for `http://…` and `https://…` locations.
pub(crate) fn is_http(location: &str) -> bool {
    location.starts_with("http://") || location.starts_with("https://")
}

/// True for locations read from a remote store (`s3://…`, `http://…`, `https://…`).
pub(crate) fn is_remote(location: &str) -> bool {
    location.starts_with("s3://") || is_http(location)
}

/// The I/O runtime remote requests run on (two threads; the readers wait for it from their own threads).
fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("openeo-io")
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => panic!("cannot start the I/O runtime: {e}"),
        }
    })
}

/// Runs `future` to completion from a reader thread: remote requests on the I/O runtime, local file reads on the
/// calling thread.
pub(crate) fn block_on<F: Future>(remote: bool, future: F) -> F::Output {
    if remote {
        runtime().block_on(future)
    } else {
        futures::executor::block_on(future)
    }
}

/// A store and the path of an object in it.
type Resolved = (Arc<dyn ObjectStore>, ObjectPath);

fn stores() -> std::sync::MutexGuard<'static, HashMap<String, Arc<dyn ObjectStore>>> {
    static STORES: OnceLock<Mutex<HashMap<String, Arc<dyn ObjectStore>>>> = OnceLock::new();
    STORES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn client_options(cfg: &StorageConfig) -> ClientOptions {
    ClientOptions::new()
        .with_timeout(cfg.timeout)
        .with_connect_timeout(cfg.timeout.min(Duration::from_secs(10)))
        .with_allow_http(true)
}

fn retry(cfg: &StorageConfig) -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            base: 2.0,
        },
        max_retries: cfg.retries,
        retry_timeout: cfg.timeout.saturating_mul(cfg.retries as u32 + 1),
    }
}

fn store_error(location: &str) -> impl Fn(object_store::Error) -> Error + '_ {
    move |e| Error::Fetch {
        location: location.to_string(),
        message: describe(&e),
    }
}

/// A short description of a store error (object_store's own messages repeat the whole request).
fn describe(e: &object_store::Error) -> String {
    let mut chain = e.to_string();
    let mut innermost = chain.clone();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        innermost = s.to_string();
        chain.push_str(": ");
        chain.push_str(&innermost);
        source = s.source();
    }
    let status = chain
        .split_once("status code: ")
        .map(|(_, rest)| rest.split(':').next().unwrap_or(rest).trim().to_string());
    match e {
        object_store::Error::NotFound { .. } => "the object does not exist (404)".into(),
        object_store::Error::PermissionDenied { .. } | object_store::Error::Unauthenticated { .. } => {
            "access denied (check the credentials)".into()
        }
        object_store::Error::Precondition { .. } => "the object changed while it was read; run again".into(),
        _ if let Some(status) = status => format!("the server answered {status}"),
        _ if chain.contains("timed out") => {
            let cfg = config();
            format!(
                "no answer within {} s (timed out, {} retries)",
                cfg.timeout.as_secs_f64(),
                cfg.retries
            )
        }
        _ if chain.contains("body error") || chain.contains("decoding response body") => {
            "the answer ended before all promised bytes arrived (a truncated object or a dropped connection)".into()
        }
        _ if chain.contains("error sending request") || chain.contains("onnect") => format!(
            "the server cannot be reached or dropped the connection ({innermost}; {} retries)",
            config().retries
        ),
        other => other.to_string(),
    }
}

/// The store holding `location` and the object's path in it.
fn resolve(location: &str) -> Result<Resolved> {
    let refuse = |message: String| Error::Fetch {
        location: location.to_string(),
        message,
    };
    if let Some(rest) = location.strip_prefix("s3://") {
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        let store = store_for(&format!("s3://{bucket}"), || s3_store(bucket))?;
        return Ok((store, ObjectPath::parse(key).map_err(|e| refuse(e.to_string()))?));
    }
    if is_http(location) {
        if location.contains(['?', '#']) {
            return Err(refuse("URLs with a query are not read through the object store".into()));
        }
        let after = location.find("://").map_or(0, |i| i + 3);
        let slash = location[after..].find('/').map_or(location.len(), |i| after + i);
        let (origin, path) = location.split_at(slash);
        let store = store_for(origin, || {
            let cfg = config();
            object_store::http::HttpBuilder::new()
                .with_url(origin)
                .with_client_options(client_options(&cfg))
                .with_retry(retry(&cfg))
                .build()
                .map(|s| Arc::new(s) as Arc<dyn ObjectStore>)
        })?;
        return Ok((
            store,
            ObjectPath::from_url_path(path).map_err(|e| refuse(e.to_string()))?,
        ));
    }
    let store = store_for("file://", || Ok(Arc::new(object_store::local::LocalFileSystem::new())))?;
    // canonical: the store's paths have no `.` or `..` segments
    let absolute = std::fs::canonicalize(location).map_err(|e| refuse(e.to_string()))?;
    let path = ObjectPath::from_absolute_path(absolute).map_err(|e| refuse(e.to_string()))?;
    Ok((store, path))
}

fn store_for(
    key: &str,
    build: impl FnOnce() -> object_store::Result<Arc<dyn ObjectStore>>,
) -> Result<Arc<dyn ObjectStore>> {
    if let Some(s) = stores().get(key) {
        return Ok(s.clone());
    }
    let store = build().map_err(store_error(key))?;
    let mut all = stores();
    // one store per bucket or HTTP origin; many origins named by users start the map afresh
    if all.len() >= 256 {
        all.clear();
    }
    all.insert(key.to_string(), store.clone());
    Ok(store)
}

fn s3_store(bucket: &str) -> object_store::Result<Arc<dyn ObjectStore>> {
    let cfg = config();
    let mut b = object_store::aws::AmazonS3Builder::from_env()
        .with_bucket_name(bucket)
        .with_client_options(client_options(&cfg))
        .with_retry(retry(&cfg));
    let endpoint = cfg.endpoint();
    if let Some(e) = endpoint {
        b = b.with_endpoint(e).with_virtual_hosted_style_request(false);
    }
    if std::env::var("AWS_REGION").is_err() && std::env::var("AWS_DEFAULT_REGION").is_err() {
        b = b.with_region("us-east-1");
    }
    if let Some(r) = &cfg.s3_region {
        b = b.with_region(r);
    }
    if let Some(k) = &cfg.s3_access_key_id {
        b = b.with_access_key_id(k);
    }
    if let Some(k) = &cfg.s3_secret_access_key {
        b = b.with_secret_access_key(k);
    }
    Ok(Arc::new(b.with_skip_signature(cfg.s3_anonymous).build()?))
}

/// An object with its identity, ready for range reads.
#[derive(Debug)]
pub(crate) struct Object {
    store: Arc<dyn ObjectStore>,
    path: ObjectPath,
    location: String,
    remote: bool,
    size: u64,
    /// The ETag remote reads are conditional on.
    etag: Option<String>,
    /// Location, size and ETag or modification time: what caches of parsed headers are keyed by.
    identity: String,
    /// When the metadata was asked for.
    opened: std::time::Instant,
}

/// Remote objects by location: their metadata is asked for once; a read that finds the object changed drops it.
fn objects() -> std::sync::MutexGuard<'static, Memo> {
    static OBJECTS: OnceLock<Mutex<Memo>> = OnceLock::new();
    OBJECTS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A bounded map of remote objects, the oldest leaving first.
#[derive(Default)]
struct Memo {
    map: HashMap<String, Arc<Object>>,
    order: VecDeque<String>,
}

impl Memo {
    const CAPACITY: usize = 4096;

    fn clear(&mut self) {
        self.map.clear();
        self.order.clear();
    }

    fn insert(&mut self, object: Arc<Object>) {
        if self.map.insert(object.location.clone(), object.clone()).is_none() {
            self.order.push_back(object.location.clone());
        }
        while self.order.len() > Self::CAPACITY {
            if let Some(old) = self.order.pop_front() {
                self.map.remove(&old);
            }
        }
    }
}

/// How long the metadata of a remote object is trusted before it is asked for again (reads also check it).
const REMOTE_METADATA_TTL: Duration = Duration::from_secs(30);

/// Opens the object at `location` (a local path, `s3://bucket/key` or an http(s) URL): a local file is looked at
/// every time (a metadata call), a remote object at most every 30 s, and afresh once a read finds it changed.
///
/// # Errors
/// A location that names no readable object (missing, access denied, server not reachable).
pub(crate) fn object(location: &str) -> Result<Arc<Object>> {
    let remote = is_remote(location);
    if remote
        && let Some(o) = objects().map.get(location)
        && o.opened.elapsed() < REMOTE_METADATA_TTL
    {
        return Ok(o.clone());
    }
    let (store, path) = resolve(location)?;
    let meta: ObjectMeta = {
        let (store, path) = (store.clone(), path.clone());
        block_on(remote, async move { store.head(&path).await }).map_err(store_error(location))?
    };
    let version = meta
        .e_tag
        .clone()
        .unwrap_or_else(|| meta.last_modified.timestamp_nanos_opt().unwrap_or_default().to_string());
    let object = Arc::new(Object {
        identity: format!("{location}|{}|{version}", meta.size),
        store,
        path,
        location: location.to_string(),
        remote,
        size: meta.size,
        etag: meta.e_tag.filter(|_| remote),
        opened: std::time::Instant::now(),
    });
    if remote {
        objects().insert(object.clone());
    }
    Ok(object)
}

/// The largest gap between two remote ranges read in one request.
const REMOTE_GAP: u64 = 256 << 10;
/// How many requests of one read run at once.
const PARALLEL_REQUESTS: usize = 8;

impl Object {
    /// The location the object was opened by.
    pub(crate) fn location(&self) -> &str {
        &self.location
    }

    /// Size in bytes.
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// True for an object in a remote store.
    pub(crate) fn is_remote(&self) -> bool {
        self.remote
    }

    /// Location, size and version: changes whenever the object is replaced.
    pub(crate) fn identity(&self) -> &str {
        &self.identity
    }

    /// Reads the byte `ranges` (any order, possibly overlapping) and returns their bytes in the same order.
    /// Adjacent ranges are read with one request (remote: ranges closer than 256 KiB), and up to 8 requests run at
    /// once.
    ///
    /// # Errors
    /// A range past the end of the object, a failing request (after the retries) or an object that changed since
    /// it was opened (it is then forgotten, so the next run opens it afresh).
    pub(crate) fn read_ranges(self: &Arc<Self>, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        block_on(self.remote, self.clone().fetch(ranges.to_vec()))
    }

    /// The bytes of `ranges` as [`Object::read_ranges`] returns them, as a future.
    async fn fetch(self: Arc<Self>, ranges: Vec<Range<u64>>) -> Result<Vec<Bytes>> {
        if let Some(r) = ranges.iter().find(|r| r.end > self.size || r.start > r.end) {
            return Err(self.error(format!(
                "bytes {}..{} lie outside the object of {} bytes (a corrupt index?)",
                r.start, r.end, self.size
            )));
        }
        let gap = if self.remote { REMOTE_GAP } else { 0 };
        let merged = coalesce(&ranges, gap);
        let fetched: Vec<Bytes> = futures::stream::iter(merged.clone())
            .map(|r| {
                let options = GetOptions {
                    range: Some(GetRange::Bounded(r)),
                    if_match: self.etag.clone(),
                    ..Default::default()
                };
                let (store, path, remote) = (self.store.clone(), self.path.clone(), self.remote);
                let (size, etag) = (self.size, self.etag.clone());
                async move {
                    let answer = store.get_opts(&path, options).await?;
                    // servers that ignore If-Match still tell the object's size and ETag
                    let changed = answer.meta.size != size
                        || (etag.is_some() && answer.meta.e_tag.is_some() && answer.meta.e_tag != etag);
                    if changed {
                        return Err(object_store::Error::Precondition {
                            path: path.to_string(),
                            source: "the object's size or ETag changed".into(),
                        });
                    }
                    let bytes = answer.bytes().await?;
                    if remote {
                        REQUESTS.fetch_add(1, Ordering::Relaxed);
                        BYTES.fetch_add(bytes.len() as u64, Ordering::Relaxed);
                    }
                    Ok::<_, object_store::Error>(bytes)
                }
            })
            .buffered(PARALLEL_REQUESTS)
            .try_collect()
            .await
            .map_err(|e| {
                if matches!(e, object_store::Error::Precondition { .. }) {
                    forget(&self.location);
                }
                store_error(&self.location)(e)
            })?;
        for (r, b) in merged.iter().zip(&fetched) {
            if b.len() as u64 != r.end - r.start {
                return Err(self.error(format!(
                    "asked for {} bytes at {}, got {} (a truncated object?)",
                    r.end - r.start,
                    r.start,
                    b.len()
                )));
            }
        }
        Ok(ranges
            .iter()
            .map(|r| {
                // the merged range holding r: the last one starting at or before it
                let i = merged.partition_point(|m| m.start <= r.start) - 1;
                let base = merged[i].start;
                fetched[i].slice((r.start - base) as usize..(r.end - base) as usize)
            })
            .collect())
    }

    /// Reads one byte range.
    ///
    /// # Errors
    /// As [`Object::read_ranges`].
    pub(crate) fn read_range(self: &Arc<Self>, range: Range<u64>) -> Result<Bytes> {
        Ok(self.read_ranges(std::slice::from_ref(&range))?.remove(0))
    }

    /// Reads the whole object.
    ///
    /// # Errors
    /// As [`Object::read_ranges`].
    pub(crate) fn read_all(self: &Arc<Self>) -> Result<Bytes> {
        self.read_range(0..self.size)
    }

    fn error(&self, message: String) -> Error {
        Error::Fetch {
            location: self.location.clone(),
            message,
        }
    }
}

/// Reads the byte ranges of several remote objects at once: each object's ranges as [`Object::read_ranges`] reads
/// them, up to 16 objects at a time, in the order given.
///
/// # Errors
/// The first failing read.
pub(crate) fn read_many(reads: Vec<(Arc<Object>, Vec<Range<u64>>)>) -> Result<Vec<Vec<Bytes>>> {
    block_on(
        true,
        futures::stream::iter(reads)
            .map(|(object, ranges)| object.fetch(ranges))
            .buffered(16)
            .try_collect(),
    )
}

/// Forgets the remote object at `location` (it changed).
fn forget(location: &str) {
    let mut memo = objects();
    memo.map.remove(location);
    memo.order.retain(|l| l != location);
}

/// The ranges covering `ranges`, sorted, with ranges at most `gap` bytes apart merged.
fn coalesce(ranges: &[Range<u64>], gap: u64) -> Vec<Range<u64>> {
    let mut sorted = ranges.to_vec();
    sorted.sort_by_key(|r| r.start);
    let mut out: Vec<Range<u64>> = Vec::with_capacity(sorted.len());
    for r in sorted {
        match out.last_mut() {
            Some(last) if r.start <= last.end.saturating_add(gap) => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

/// The objects under the `s3://bucket/…` location `pattern` whose keys match it (a glob: `*`, `?`, `[…]`, `**`),
/// as sorted `s3://` locations.
///
/// # Errors
/// An invalid pattern, a failing listing, or a location that is not in a bucket (HTTP servers cannot list).
pub(crate) fn list(pattern: &str) -> Result<Vec<String>> {
    let Some(rest) = pattern.strip_prefix("s3://") else {
        return Err(Error::Config {
            message: format!("{pattern}: only local paths and s3:// locations can be listed"),
        });
    };
    let (bucket, key_glob) = rest.split_once('/').unwrap_or((rest, ""));
    let glob = glob::Pattern::new(key_glob).map_err(|e| Error::Config {
        message: format!("invalid glob '{pattern}': {e}"),
    })?;
    // the literal directories before the first wildcard
    let literal = key_glob.find(['*', '?', '[']).map_or(key_glob, |i| &key_glob[..i]);
    let prefix = literal.rfind('/').map(|i| &literal[..i]);
    let (store, _) = resolve(&format!("s3://{bucket}/"))?;
    let prefix = prefix.map(ObjectPath::from);
    let metas: Vec<ObjectMeta> =
        block_on(true, async move { store.list(prefix.as_ref()).try_collect().await }).map_err(store_error(pattern))?;
    let mut keys: Vec<String> = metas
        .into_iter()
        .map(|m| m.location.to_string())
        .filter(|k| glob.matches(k))
        .map(|k| format!("s3://{bucket}/{k}"))
        .collect();
    keys.sort();
    Ok(keys)
}

/// A local copy of the remote object at `location` (read whole into the cache of whole objects, once per object
/// identity); the path of a local file unchanged.
///
/// # Errors
/// An object larger than the configured limit, a failing read, or a cache directory that cannot be written.
pub(crate) fn local_copy(location: &str) -> Result<PathBuf> {
    if !is_remote(location) {
        return Ok(PathBuf::from(location));
    }
    let cfg = config();
    let object = object(location)?;
    if object.size > cfg.max_object_bytes {
        return Err(object.error(format!(
            "the object has {} bytes, more than the {} bytes objects read whole may have",
            object.size, cfg.max_object_bytes
        )));
    }
    let name = format!("{:016x}", super::cache::identity_key(&object.identity));
    let ext = location
        .rsplit_once('.')
        .map(|(_, e)| e)
        .filter(|e| e.len() <= 5)
        .unwrap_or("bin");
    let path = cfg.cache_dir.join(format!("{name}.{ext}"));
    let io = |path: &std::path::Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    if std::fs::metadata(&path).is_ok_and(|m| m.len() == object.size) {
        return Ok(path);
    }
    std::fs::create_dir_all(&cfg.cache_dir).map_err(io(&cfg.cache_dir))?;
    let bytes = object.read_all()?;
    let tmp = cfg.cache_dir.join(format!(".{name}.{}.part", std::process::id()));
    std::fs::write(&tmp, &bytes).map_err(io(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(io(&path))?;
    trim_cache(&cfg, &path);
    Ok(path)
}

/// Deletes the oldest files of the cache of whole objects until it holds at most its budget (`keep` stays).
fn trim_cache(cfg: &StorageConfig, keep: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(&cfg.cache_dir) else {
        return;
    };
    let mut files: Vec<(std::time::SystemTime, u64, PathBuf)> = entries
        .flatten()
        .filter_map(|e| {
            let m = e.metadata().ok()?;
            Some((m.modified().ok()?, m.len(), e.path()))
        })
        .collect();
    files.sort();
    let mut total: u64 = files.iter().map(|f| f.1).sum();
    for (_, len, path) in files {
        if total <= cfg.max_cache_bytes {
            break;
        }
        if path != keep && std::fs::remove_file(&path).is_ok() {
            total -= len;
        }
    }
}

/// Copies the local file `file` to the remote object at `location` (in parts, as a multipart upload for large
/// files); the object appears only once the upload is complete.
///
/// # Errors
/// A file that cannot be read or an upload that fails (after the retries).
pub fn upload_file(file: &std::path::Path, location: &str) -> Result<()> {
    use tokio::io::AsyncWriteExt;
    let (store, path) = resolve(location)?;
    let source = file.to_path_buf();
    block_on(true, async move {
        let mut src = tokio::fs::File::open(&source).await?;
        let mut dst = object_store::buffered::BufWriter::new(store, path);
        tokio::io::copy(&mut src, &mut dst).await?;
        dst.shutdown().await
    })
    .map_err(|source| Error::Io {
        path: PathBuf::from(location),
        source,
    })
}

/// Deletes every object under the remote prefix `location` (`s3://bucket/prefix`).
///
/// # Errors
/// A failing listing or deletion.
pub fn delete_prefix(location: &str) -> Result<()> {
    let (store, prefix) = resolve(location)?;
    block_on(true, async move {
        let listed: Vec<ObjectMeta> = store.list(Some(&prefix)).try_collect().await?;
        for meta in listed {
            store.delete(&meta.location).await?;
        }
        Ok(())
    })
    .map_err(store_error(location))
}

/// A remote object's bytes as they arrive: its size, the range served and a stream of its bytes; `range` picks the
/// bytes from the object's size (all of them when it gives `None`; clamped to the object). The transfer runs on
/// the I/O runtime, so the stream can be polled from any runtime or thread.
///
/// # Errors
/// A missing object or a failing request; a range that starts past the end.
pub fn stream_object(
    location: &str,
    range: impl FnOnce(u64) -> Option<Range<u64>>,
) -> Result<(u64, Range<u64>, futures::stream::BoxStream<'static, Result<Bytes>>)> {
    let object = object(location)?;
    let range = range(object.size).unwrap_or(0..object.size);
    let range = range.start..range.end.min(object.size);
    if range.start >= range.end && object.size > 0 {
        return Err(object.error(format!(
            "no bytes {}..{} in {} bytes",
            range.start, range.end, object.size
        )));
    }
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes>>(4);
    let (store, path, served) = (object.store.clone(), object.path.clone(), range.clone());
    let name = object.location.clone();
    runtime().spawn(async move {
        let options = GetOptions {
            range: Some(GetRange::Bounded(served)),
            ..Default::default()
        };
        let mut chunks = match store.get_opts(&path, options).await {
            Ok(answer) => answer.into_stream(),
            Err(e) => {
                let _ = tx.send(Err(store_error(&name)(e))).await;
                return;
            }
        };
        while let Some(chunk) = chunks.next().await {
            let failed = chunk.is_err();
            if tx.send(chunk.map_err(store_error(&name))).await.is_err() || failed {
                return;
            }
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|c| (c, rx)) });
    Ok((object.size, range, Box::pin(stream)))
}

/// The objects under the remote prefix `location` (a Zarr store), as a store whose keys are relative to it.
///
/// # Errors
/// A location the store cannot parse.
pub(crate) fn prefix_store(location: &str) -> Result<Arc<dyn ObjectStore>> {
    let (store, path) = resolve(location)?;
    Ok(Arc::new(object_store::prefix::PrefixStore::new(store, path)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_coalesced_and_returned_in_the_order_asked() {
        assert_eq!(coalesce(&[10..20, 0..5, 5..8, 30..40], 0), vec![0..8, 10..20, 30..40]);
        assert_eq!(coalesce(&[10..20, 0..5, 30..40], 9), vec![0..20, 30..40]);
        assert_eq!(coalesce(&[10..20, 30..40], 10), vec![10..40]);
        assert_eq!(coalesce(&[0..50, 10..20], 0), vec![0..50]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.bin");
        let data: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        let o = object(path.to_str().unwrap()).unwrap();
        assert_eq!(o.size(), 1000);
        let got = o.read_ranges(&[500..510, 0..4, 4..8, 990..1000]).unwrap();
        for (g, r) in got.iter().zip([500..510, 0..4, 4..8, 990..1000]) {
            assert_eq!(&g[..], &data[r.start..r.end]);
        }
        assert!(o.read_range(990..1001).is_err());
        // a replaced file has another identity
        let before = o.identity().to_string();
        std::thread::sleep(Duration::from_millis(20));
        std::fs::write(&path, &data[..900]).unwrap();
        assert_ne!(object(path.to_str().unwrap()).unwrap().identity(), before);
        assert!(matches!(object("/no/such/file"), Err(Error::Fetch { .. })));
    }

    #[test]
    fn local_files_need_no_copy() {
        assert_eq!(local_copy("/data/x.nc").unwrap(), PathBuf::from("/data/x.nc"));
        assert!(list("/data/*.tif").is_err());
    }
}
