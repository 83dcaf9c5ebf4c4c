//! A bounded cache of decoded source blocks, shared by the worker threads of one run, for tilings that do not
//! follow the blocks of the files read (files on several lattices, warped reads): a block that several tiles need
//! is decoded once while it stays in the cache. Blocks are keyed by the identity of their file in the store
//! ([`identity_key`] of location, size and version) and the position of the block in it, and leave in the order
//! they came once the cache holds more than its byte budget; a block several threads ask for at once is decoded by
//! one of them while the others wait.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};

use crate::{Result, RunStats};

/// What the readers of one run share: its counters, and the block cache when the run has one.
#[derive(Clone, Copy)]
pub(crate) struct Reads<'a> {
    pub(crate) stats: &'a RunStats,
    pub(crate) cache: Option<&'a BlockCache>,
}

impl<'a> Reads<'a> {
    /// Counting into `stats`, without a cache.
    #[cfg(test)]
    pub(crate) fn uncached(stats: &'a RunStats) -> Reads<'a> {
        Reads { stats, cache: None }
    }
}

/// A decoded block as the readers use it.
#[derive(Debug)]
pub(crate) struct Decoded {
    /// The decoded bytes (for netCDF chunks, possibly still shuffled).
    pub(crate) bytes: Vec<u8>,
    /// A reader-defined kind of the bytes (shuffled or not).
    pub(crate) kind: u8,
}

/// The identity of the file or object, and the offset of the block in it.
type Key = (u64, u64);

/// The cache key of an object identity (location, size and version): its FNV-1a hash.
pub(crate) fn identity_key(identity: &str) -> u64 {
    identity.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[derive(Default)]
struct Slot {
    value: OnceLock<Arc<Decoded>>,
    /// Held by the thread decoding the block.
    decoding: Mutex<()>,
}

#[derive(Default)]
struct Inner {
    slots: HashMap<Key, Arc<Slot>>,
    /// Cached blocks in the order they came, with their sizes.
    order: VecDeque<(Key, usize)>,
    bytes: usize,
}

/// The cache of one run.
pub(crate) struct BlockCache {
    budget: usize,
    inner: Mutex<Inner>,
}

impl BlockCache {
    /// A cache holding at most about `budget` bytes of decoded blocks.
    pub(crate) fn new(budget: usize) -> BlockCache {
        BlockCache {
            budget,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// True when the block at byte `offset` of the file or object keyed `file` is cached (it may leave any moment).
    pub(crate) fn contains(&self, file: u64, offset: u64) -> bool {
        self.lock()
            .slots
            .get(&(file, offset))
            .is_some_and(|s| s.value.get().is_some())
    }

    /// The block at byte `offset` of the file or object keyed `file`, decoded by `decode` unless it is cached.
    ///
    /// # Errors
    /// Those of `decode`; nothing is cached then.
    pub(crate) fn get(
        &self,
        file: u64,
        offset: u64,
        stats: &RunStats,
        decode: impl FnOnce() -> Result<Decoded>,
    ) -> Result<Arc<Decoded>> {
        let key = (file, offset);
        let slot = self.lock().slots.entry(key).or_default().clone();
        if let Some(v) = slot.value.get() {
            stats.block_reused();
            return Ok(v.clone());
        }
        let _decoding = slot.decoding.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(v) = slot.value.get() {
            stats.block_reused();
            return Ok(v.clone());
        }
        let value = Arc::new(decode()?);
        let _ = slot.value.set(value.clone());
        let size = value.bytes.len();
        let mut inner = self.lock();
        inner.bytes += size;
        inner.order.push_back((key, size));
        while inner.bytes > self.budget {
            let Some((old, n)) = inner.order.pop_front() else { break };
            inner.bytes -= n;
            inner.slots.remove(&old);
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_decoded_once_until_the_budget_pushes_them_out() {
        let file = identity_key("f|1|0");
        let stats = RunStats::default();
        let cache = BlockCache::new(250);
        let decoded = std::sync::atomic::AtomicUsize::new(0);
        let get = |offset: u64| {
            cache
                .get(file, offset, &stats, || {
                    decoded.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    Ok(Decoded {
                        bytes: vec![offset as u8; 100],
                        kind: 0,
                    })
                })
                .unwrap()
        };
        assert_eq!(get(1).bytes[0], 1);
        assert_eq!(get(2).bytes[0], 2);
        assert_eq!(get(1).bytes[0], 1);
        assert_eq!(decoded.load(std::sync::atomic::Ordering::Relaxed), 2);
        // a third block exceeds the budget: the first one leaves
        get(3);
        get(2);
        get(1);
        assert_eq!(decoded.load(std::sync::atomic::Ordering::Relaxed), 4);
        assert_eq!(stats.blocks_reused(), 2);
        // an error caches nothing
        let failed = cache.get(file, 9, &stats, || Err(crate::Error::internal("broken")));
        assert!(failed.is_err());
        assert_eq!(get(9).bytes[0], 9);
    }
}
