//! Counters of one run: how it was tiled and how many source blocks the direct readers decoded.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of a run, shared by its worker threads; pass one in [`super::ExecOptions::stats`] to read them
/// afterwards (several executions with the same counters add up).
#[derive(Debug, Default)]
pub struct RunStats {
    tiles: AtomicU64,
    aligned_tiles: AtomicU64,
    blocks_decoded: AtomicU64,
    stored_bytes: AtomicU64,
    blocks_reused: AtomicU64,
}

impl RunStats {
    /// Output tiles computed (planned, for a run that failed).
    pub fn tiles(&self) -> u64 {
        self.tiles.load(Ordering::Relaxed)
    }

    /// How many of them were cut along the blocks of the files read (each block then decoded by one tile).
    pub fn aligned_tiles(&self) -> u64 {
        self.aligned_tiles.load(Ordering::Relaxed)
    }

    /// Source blocks (GeoTIFF tiles, netCDF chunks) read and decoded by the direct readers. Reads through GDAL are
    /// not counted.
    pub fn blocks_decoded(&self) -> u64 {
        self.blocks_decoded.load(Ordering::Relaxed)
    }

    /// Stored (compressed) bytes of those blocks.
    pub fn stored_bytes(&self) -> u64 {
        self.stored_bytes.load(Ordering::Relaxed)
    }

    /// Blocks taken from the run's cache of decoded blocks instead of being decoded again (tilings across the
    /// blocks only).
    pub fn blocks_reused(&self) -> u64 {
        self.blocks_reused.load(Ordering::Relaxed)
    }

    /// One line for logs and `--explain`.
    pub fn summary(&self) -> String {
        format!(
            "{} tiles ({} on the source block lattice), {} source blocks decoded ({:.1} MiB stored), {} reused from the \
             block cache",
            self.tiles(),
            self.aligned_tiles(),
            self.blocks_decoded(),
            self.stored_bytes() as f64 / f64::from(1 << 20),
            self.blocks_reused()
        )
    }

    /// Adds the `tiles` of an execution, `aligned` when they were cut along the source blocks.
    pub(super) fn begin(&self, tiles: usize, aligned: bool) {
        self.tiles.fetch_add(tiles as u64, Ordering::Relaxed);
        if aligned {
            self.aligned_tiles.fetch_add(tiles as u64, Ordering::Relaxed);
        }
    }

    /// Called by the block cache once per block it hands out again.
    pub(crate) fn block_reused(&self) {
        self.blocks_reused.fetch_add(1, Ordering::Relaxed);
    }

    /// Called by the direct readers once per block read and decoded.
    pub(crate) fn block_decoded(&self, stored: u64) {
        self.blocks_decoded.fetch_add(1, Ordering::Relaxed);
        self.stored_bytes.fetch_add(stored, Ordering::Relaxed);
    }
}
