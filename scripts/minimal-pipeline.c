// The least work the bench's aligned whole-image case needs, for comparing openeo-local's wall time with: read the
// tile index of each COG with libtiff, then on one thread per core, per 512 px output tile and band, read the
// stored tiles of every date with pread, inflate them with libdeflate, take the per-cell mean of the valid values
// (nodata 0) in f64 and write the f32 result with pwrite into a raw file (band after band, tile after tile). The
// process links libgdal like openeo-local does, so it pays the same start-up, but reads no header through GDAL,
// makes no CRS and writes no GeoTIFF structure. Built and run by scripts/bench-minimal.sh.
//
//   minimal-pipeline OUT.raw TILES B04_1.tif ... B04_N.tif B08_1.tif ... B08_N.tif

#include <fcntl.h>
#include <gdal.h>
#include <libdeflate.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>
#include <unistd.h>

#define TILE 512
#define CELLS (TILE * TILE)
#define MAX_DATES 64
#define BANDS 2
// cells folded together, so the loop keeps their sums in vector registers
#define STRIP 16

static int dates, tiles;
static int fds[BANDS][MAX_DATES];
static uint64_t *offsets[BANDS][MAX_DATES], *counts[BANDS][MAX_DATES];
static int out_fd;
static atomic_int next_tile;

static void fail(const char *what) {
  fprintf(stderr, "minimal-pipeline: %s\n", what);
  exit(1);
}

static void *worker(void *unused) {
  (void)unused;
  struct libdeflate_decompressor *inflater = libdeflate_alloc_decompressor();
  uint16_t *decoded = malloc((size_t)dates * CELLS * sizeof(uint16_t));
  unsigned char *stored = malloc(2 * CELLS * sizeof(uint16_t));
  float *mean = malloc(CELLS * sizeof(float));
  if (!inflater || !decoded || !stored || !mean) fail("out of memory");
  for (;;) {
    int t = atomic_fetch_add(&next_tile, 1);
    if (t >= tiles) break;
    for (int b = 0; b < BANDS; b++) {
      for (int d = 0; d < dates; d++) {
        size_t n = counts[b][d][t], got;
        if (n > 2 * CELLS * sizeof(uint16_t)) fail("a stored tile larger than expected");
        if (pread(fds[b][d], stored, n, (off_t)offsets[b][d][t]) != (ssize_t)n) fail("short read");
        if (libdeflate_zlib_decompress(inflater, stored, n, decoded + (size_t)d * CELLS, CELLS * sizeof(uint16_t),
                                       &got) != LIBDEFLATE_SUCCESS || got != CELLS * sizeof(uint16_t))
          fail("a tile that does not inflate");
      }
      for (int i = 0; i < CELLS; i += STRIP) {
        double sum[STRIP] = {0};
        uint32_t valid[STRIP] = {0};
        for (int d = 0; d < dates; d++) {
          const uint16_t *v = decoded + (size_t)d * CELLS + i;
          for (int j = 0; j < STRIP; j++) {
            sum[j] += v[j] ? (double)v[j] : 0.0;
            valid[j] += v[j] != 0;
          }
        }
        for (int j = 0; j < STRIP; j++) mean[i + j] = valid[j] ? (float)(sum[j] / valid[j]) : NAN;
      }
      off_t at = ((off_t)b * tiles + t) * CELLS * (off_t)sizeof(float);
      if (pwrite(out_fd, mean, CELLS * sizeof(float), at) != (ssize_t)(CELLS * sizeof(float))) fail("short write");
    }
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 5 || (argc - 3) % 2 != 0) fail("usage: minimal-pipeline OUT.raw THREADS B04... B08...");
  GDALAllRegister();
  TIFFSetWarningHandler(NULL);
  int threads = atoi(argv[2]);
  dates = (argc - 3) / 2;
  if (dates > MAX_DATES || threads < 1) fail("too many dates or no thread");
  for (int b = 0; b < BANDS; b++) {
    for (int d = 0; d < dates; d++) {
      const char *name = argv[3 + b * dates + d];
      TIFF *tif = TIFFOpen(name, "r");
      if (!tif) fail("cannot open an input");
      uint32_t tw = 0, th = 0;
      uint64_t *o, *c;
      TIFFGetField(tif, TIFFTAG_TILEWIDTH, &tw);
      TIFFGetField(tif, TIFFTAG_TILELENGTH, &th);
      if (tw != TILE || th != TILE) fail("inputs must have 512 px tiles");
      tiles = (int)TIFFNumberOfTiles(tif);
      if (!TIFFGetField(tif, TIFFTAG_TILEOFFSETS, &o) || !TIFFGetField(tif, TIFFTAG_TILEBYTECOUNTS, &c))
        fail("no tile index");
      offsets[b][d] = malloc(tiles * sizeof(uint64_t));
      counts[b][d] = malloc(tiles * sizeof(uint64_t));
      memcpy(offsets[b][d], o, tiles * sizeof(uint64_t));
      memcpy(counts[b][d], c, tiles * sizeof(uint64_t));
      TIFFClose(tif);
      fds[b][d] = open(name, O_RDONLY);
      if (fds[b][d] < 0) fail("cannot open an input");
    }
  }
  out_fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (out_fd < 0) fail("cannot create the output");
  pthread_t pool[64];
  if (threads > 64) threads = 64;
  for (int i = 0; i < threads; i++) pthread_create(&pool[i], NULL, worker, NULL);
  for (int i = 0; i < threads; i++) pthread_join(pool[i], NULL);
  return close(out_fd) == 0 ? 0 : 1;
}
