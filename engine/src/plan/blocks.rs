//! Where the blocks of the files a plan reads lie on its grid, so that the executor can cut tiles along them and
//! every block is decoded by one tile only.

use std::collections::HashSet;

use super::{Cube, Node};
use crate::io::block_lattice;

/// The block lattice of the sources a cube reads block by block on its own pixel lattice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SourceBlocks {
    /// No source is read block by block on the cube's lattice (values computed, read through GDAL, or warped).
    None,
    /// All of them: blocks of `size` (width, height) with a corner at column and row `phase` of the cube's grid
    /// (`phase < size`).
    One {
        size: (usize, usize),
        phase: (usize, usize),
    },
    /// Sources on different lattices (block sizes or offsets).
    Mixed,
}

impl SourceBlocks {
    fn add(self, size: (usize, usize), phase: (usize, usize)) -> SourceBlocks {
        match self {
            SourceBlocks::None => SourceBlocks::One { size, phase },
            SourceBlocks::One { size: s, phase: p } if s == size && p == phase => self,
            _ => SourceBlocks::Mixed,
        }
    }
}

impl Cube {
    /// The block lattice of the files this cube's loads read directly on its pixel lattice (warped reads, which
    /// meet the blocks of their files in no particular pattern, and sources outside the grid do not count).
    pub(crate) fn source_blocks(&self) -> SourceBlocks {
        let mut seen = HashSet::new();
        let mut found = SourceBlocks::None;
        self.collect_blocks(&mut seen, &mut found);
        found
    }

    fn collect_blocks(&self, seen: &mut HashSet<*const Node>, found: &mut SourceBlocks) {
        // a node shared by several parents is looked at once
        if *found == SourceBlocks::Mixed || !seen.insert(std::sync::Arc::as_ptr(&self.node)) {
            return;
        }
        let l = match self.node.as_ref() {
            Node::Load(l) => l,
            Node::Select { input, .. }
            | Node::Reduce { input, .. }
            | Node::Apply { input, .. }
            | Node::Reshape { input } => {
                return input.collect_blocks(seen, found);
            }
            Node::GroupReduce(g) => return g.input.collect_blocks(seen, found),
            Node::Lanes(l) => return l.input.collect_blocks(seen, found),
            // a halo also reads the neighbouring blocks, which the block cache serves
            Node::Kernel(k) => return k.input.collect_blocks(seen, found),
            Node::Polygons(p) => return p.input.collect_blocks(seen, found),
            // its sources lie on another lattice; given values have no blocks
            Node::Resample(_) | Node::Values(_) => return,
            Node::Pieces(p) => return p.input.collect_blocks(seen, found),
            Node::Merge(m) => {
                m.a.collect_blocks(seen, found);
                return m.b.collect_blocks(seen, found);
            }
            Node::Mask(m) => {
                m.data.collect_blocks(seen, found);
                return m.mask.collect_blocks(seen, found);
            }
        };
        let grid = self.meta.grid();
        let (w, h) = (grid.width as i64, grid.height as i64);
        let items = l.groups.iter().flatten().filter_map(|&i| l.collection.items.get(i));
        for item in items {
            for asset in l
                .bands
                .iter()
                .filter_map(|&b| item.assets.get(b).and_then(Option::as_ref))
            {
                let Some((ox, oy)) = grid.lattice_offset(&asset.grid) else {
                    continue;
                };
                let (aw, ah) = (asset.grid.width as i64, asset.grid.height as i64);
                if ox >= w || oy >= h || ox + aw <= 0 || oy + ah <= 0 {
                    continue;
                }
                let Some(((bw, bh), (px, py))) = block_lattice(asset) else {
                    continue;
                };
                if bw == 0 || bh == 0 {
                    continue;
                }
                let phase = (
                    (ox + px as i64).rem_euclid(bw as i64) as usize,
                    (oy + py as i64).rem_euclid(bh as i64) as usize,
                );
                *found = found.add((bw, bh), phase);
                if *found == SourceBlocks::Mixed {
                    return;
                }
            }
        }
    }
}

impl Cube {
    /// True when some node reads its input beyond the windows it is asked for (kernel halos, neighbourhood
    /// overlaps, resampling footprints), so that neighbouring tiles read the same source blocks.
    pub(crate) fn reads_beyond_windows(&self) -> bool {
        match self.node.as_ref() {
            Node::Kernel(_) | Node::Pieces(_) | Node::Resample(_) => true,
            Node::Load(_) | Node::Values(_) => false,
            Node::Select { input, .. }
            | Node::Reduce { input, .. }
            | Node::Apply { input, .. }
            | Node::Reshape { input } => input.reads_beyond_windows(),
            Node::GroupReduce(g) => g.input.reads_beyond_windows(),
            Node::Lanes(l) => l.input.reads_beyond_windows(),
            Node::Polygons(p) => p.input.reads_beyond_windows(),
            Node::Merge(m) => m.a.reads_beyond_windows() || m.b.reads_beyond_windows(),
            Node::Mask(m) => m.data.reads_beyond_windows() || m.mask.reads_beyond_windows(),
        }
    }
}
