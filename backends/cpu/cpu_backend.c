/*
 * cpu_backend.c — the CPU backend: plain C kernels built on the scalar type
 * table (quant/), spread over a thread pool, and matrix products through
 * the integer dot products of vec_dot.h (scalar, AVX2 or AVX-512, chosen
 * at startup).
 *
 * Matrix products compute what ggml's CPU backend computes: activations
 * quantized to the weight type's partner type, integer block sums, the same
 * scale rounding. Results do not depend on the thread count: every output
 * element is computed by one task in a fixed order.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "runtime/backends.h"
#include "backends/cpu/packed.h"
#include "backends/cpu/threadpool.h"
#include "backends/cpu/vec_dot.h"
#include "backends/cpu/vec_f32.h"
#include "quant/fp16.h"
#include "quant/quant.h"
#include "util/error.h"

typedef struct cpu_backend {
    ei_backend base;
    ei_pool *pool;
} cpu_backend;

static ei_pool *pool_of(ei_backend *be) { return ((cpu_backend *)be)->pool; }

/* ---- memory: plain host memory ------------------------------------------ */

static ei_status cpu_alloc(ei_backend *be, size_t bytes, void **ptr) {
    (void)be;
    /* 64-byte alignment for the SIMD kernels that come later */
    size_t rounded = (bytes + 63) & ~(size_t)63;
    *ptr = aligned_alloc(64, rounded ? rounded : 64);
    if (!*ptr) return ei_error(EI_ERR_NOMEM, "cpu backend: cannot allocate %zu bytes", bytes);
    return EI_OK;
}

static void cpu_release(ei_backend *be, void *ptr) {
    (void)be;
    free(ptr);
}

static ei_status cpu_copy(ei_backend *be, void *dst, const void *src, size_t n) {
    (void)be;
    memcpy(dst, src, n);
    return EI_OK;
}

/* ---- helpers ------------------------------------------------------------ */

static void dequantize_row(ei_type type, const void *src, float *dst, int64_t n) {
    ei_type_traits_of(type)->dequantize(src, dst, n);
}

/* ---- get_rows ----------------------------------------------------------- */

/* A packed matrix (a tied embedding that is also the output head) is read
 * from its packed copy: its file pages were given back at load, and a read
 * through the mapping would map back the page cache's whole folio around
 * each row (up to 2 MiB on ext4 with large folios), most of the matrix over
 * a long prompt. */
static void cpu_get_rows(ei_backend *be, const ei_tensor *w, const int32_t *ids, int n, float *out) {
    (void)be;
    size_t rb = ei_type_row_bytes(w->type, w->ne[0]);
    void *row = w->packed ? malloc(rb) : NULL;
    for (int i = 0; i < n; i++) {
        const char *src = (const char *)w->data + (size_t)ids[i] * rb;
        if (row) {
            ei_pack_unpack_row(w->type, w->packed, w->ne[0], ids[i], row);
            src = row;
        }
        dequantize_row(w->type, src, out + (size_t)i * w->ne[0], w->ne[0]);
    }
    free(row);
}

/* ---- matmul -------------------------------------------------------------
 *
 * The activations are quantized once per call to the type ggml pairs with
 * the weight type (vec_dot.h), then every output is one call of the
 * dispatched integer dot product. Work is split into tasks of MATMUL_CHUNK
 * output rows x up to MATMUL_GROUP activation rows; a task walks its
 * activation rows in tiles of EI_VEC_DOT_MAX_ROWS, so each weight block
 * is unpacked once per tile and the chunk of weight rows stays in cache
 * across the tiles. Tasks sharing a group of activation rows are numbered
 * consecutively, so the group stays in cache too. Each output element is
 * computed by one kernel call whose result does not depend on the tile it
 * was in: outputs do not depend on the thread count. With one activation
 * row (generation) a task takes its weight rows four at a time where the
 * type has a several-rows kernel (same bits as one row at a time). The
 * lattice and ternary types (IQ1-IQ3, TQ), whose grid lookups cost more
 * than the products, and IQ4_XS and Q3_K (their decoding, once per tile of
 * four rows, was a quarter of the time) unpack the task's weight rows to
 * integers once (vec_dot.h, unpacked rows) when the task has more than one
 * tile of activation rows, and take those with dot_unpacked (the same
 * bits): 2048 x 2048 against 64 rows, one thread, IQ4_XS 7.1 -> 5.2 ms,
 * Q3_K 7.6 -> 5.2 ms (tests/microbench/vec_dot_bench.c -r 64). (Both are
 * packed where the CPU packs, so this path is theirs only where it does not;
 * AVX2's dot_unpacked takes codes up to 64, so there IQ4_XS keeps its dot.)
 *
 * Float weights with a tile kernel (vec_dot.h) take tasks of
 * float_task_rows() rows x WIDE_GROUP activation rows, one tile call per
 * EI_VEC_DOT_MAX_ROWS activation rows.
 *
 * Types without a kernel (F64) take the reference path: each weight row
 * dequantized to f32 and dotted with the exact f32 activations. */

#define MATMUL_CHUNK 16
#define MATMUL_GROUP 64
/* Float weights' prompt tiles (vec_dot.h tile) go through the weights once
 * per group of activation rows, and unpacked rows are unpacked once per
 * group: those take groups of WIDE_GROUP rows. For the floats 256 rows
 * re-read the weights a quarter as often as 64: 2048 x 2048 F16 against 256
 * rows, two threads (vec_dot_bench -r 256), 13.1 -> 12.5 ms; 2048 x 5632:
 * 39.5 -> 34.3 ms; 128 in between. (Unpacking was 9 % of an IQ3_S pp512
 * with groups of 64.) */
#define WIDE_GROUP 256
/* One activation row: the product streams the weights from memory once, so
 * tasks are long runs of consecutive output units (rows, or packed groups):
 * the prefetchers follow long streams better. `tasks` per thread even out
 * the threads; a run is a multiple of `multiple` units and at least `min`.
 * The packed kernels (bound by memory) take GEMV_TASKS; the dot kernels of
 * the types that do not pack (the IQ1-IQ3 lattices above all, bound by
 * their decoding) GEMV_TASKS_DOT: with 2 per thread, one thread often
 * finished its share well after the other (IQ2_XXS 1.1B tg32, three
 * alternating runs: 11.0, 12.3, 10.5 t/s with 2; 12.7, 14.5, 12.4 with 8;
 * 32 no better than 8). */
#define GEMV_TASKS 2
#define GEMV_TASKS_DOT 8
/* Weight rows of a float tile task: all of them are read again for every
 * four activation rows, so they should stay in L2 beside the activations:
 * at most FLOAT_TASK_BYTES of them, in threes (the AVX2 tile's passes),
 * EI_VEC_DOT_TILE_W at most. 2048 x 8192 F16 (the 1.1B model's FFN down)
 * against 512 rows, two threads, beside ggml's mul_mat in one process
 * (ggml time / ours, three rounds): 24 rows (384 KiB) 0.79-0.90, 12 rows
 * 0.88-0.94, 6 rows 0.89-0.93. */
#define FLOAT_TASK_BYTES (96 * 1024)
static int64_t float_task_rows(size_t row_bytes) {
    const int64_t fit = (int64_t)(FLOAT_TASK_BYTES / row_bytes) / 3 * 3;
    return fit < 3 ? 3 : fit > EI_VEC_DOT_TILE_W ? EI_VEC_DOT_TILE_W : fit;
}

static int64_t gemv_chunk(int64_t n_units, int threads, int tasks, int64_t min, int64_t multiple) {
    const int64_t c = n_units / ((int64_t)threads * tasks) / multiple * multiple;
    return c > min ? c : min;
}

typedef struct matmul_job {
    const ei_tensor *w;
    const float *x;          /* (rows, n) f32 input: quantize tasks, reference path */
    void *a;                 /* (rows, a_stride bytes) quantized activations */
    size_t a_stride, w_row_bytes;
    float *y;                /* (rows, n_out) */
    int rows;
    int group_rows;          /* activation rows per group */
    int64_t chunk;           /* output rows per task */
    int64_t n_chunks;        /* output chunks per activation group */
    ei_vec_dot_fn dot;
    ei_vec_dot_rows_fn dot_rows; /* one activation row: several weight rows per call, or NULL */
    ei_act_quantize_fn quantize;
    ei_unpack_row_fn unpack_row; /* or NULL */
    ei_vec_dot_fn dot_unpacked;
    ei_vec_dot_tile_fn tile; /* several activation rows: weight rows x activation rows per call, or NULL */
} matmul_job;

static void quantize_task(void *ctx, int64_t r) {
    const matmul_job *j = ctx;
    j->quantize(j->x + (size_t)r * j->w->ne[0], (char *)j->a + (size_t)r * j->a_stride, j->w->ne[0]);
}

static void matmul_task(void *ctx, int64_t task) {
    const matmul_job *j = ctx;
    const int64_t n = j->w->ne[0], n_out = j->w->ne[1];
    const int64_t chunk = task % j->n_chunks, group = task / j->n_chunks;
    const int64_t o0 = chunk * j->chunk, o1 = o0 + j->chunk < n_out ? o0 + j->chunk : n_out;
    const int r0 = (int)(group * j->group_rows), r1 = r0 + j->group_rows < j->rows ? r0 + j->group_rows : j->rows;
    if (j->rows == 1 && j->dot_rows) { /* generation: weight rows in fours against the one input row */
        for (int64_t o = o0; o < o1; o += EI_VEC_DOT_MAX_ROWS) {
            const int nw = o1 - o < EI_VEC_DOT_MAX_ROWS ? (int)(o1 - o) : EI_VEC_DOT_MAX_ROWS;
            j->dot_rows(n, (const char *)j->w->data + (size_t)o * j->w_row_bytes, j->w_row_bytes, nw, j->a, j->y + o);
        }
        return;
    }
    if (j->tile && r1 - r0 > 1) { /* the float types: all the task's weight rows per tile of activation rows */
        const char *w = (const char *)j->w->data + (size_t)o0 * j->w_row_bytes;
        for (int r = r0; r < r1; r += EI_VEC_DOT_MAX_ROWS) {
            const int nr = r1 - r < EI_VEC_DOT_MAX_ROWS ? r1 - r : EI_VEC_DOT_MAX_ROWS;
            j->tile(n, w, j->w_row_bytes, (int)(o1 - o0), (const char *)j->a + (size_t)r * j->a_stride, j->a_stride,
                    nr, j->y + (size_t)r * n_out + o0, (size_t)n_out);
        }
        return;
    }
    const size_t ub = ei_unpacked_row_bytes(n);
    unsigned char *u = j->unpack_row && r1 - r0 > EI_VEC_DOT_MAX_ROWS ? aligned_alloc(64, ub * (size_t)(o1 - o0)) : NULL;
    for (int64_t o = o0; u && o < o1; o++)
        j->unpack_row(n, (const char *)j->w->data + (size_t)o * j->w_row_bytes, u + (size_t)(o - o0) * ub);
    for (int r = r0; r < r1; r += EI_VEC_DOT_MAX_ROWS) {
        const int nr = r1 - r < EI_VEC_DOT_MAX_ROWS ? r1 - r : EI_VEC_DOT_MAX_ROWS;
        const char *a = (const char *)j->a + (size_t)r * j->a_stride;
        for (int64_t o = o0; o < o1; o++) {
            float s[EI_VEC_DOT_MAX_ROWS];
            if (u) j->dot_unpacked(n, u + (size_t)(o - o0) * ub, a, j->a_stride, nr, s);
            else j->dot(n, (const char *)j->w->data + (size_t)o * j->w_row_bytes, a, j->a_stride, nr, s);
            for (int t = 0; t < nr; t++) j->y[(size_t)(r + t) * n_out + o] = s[t];
        }
    }
    free(u); /* (no memory: the dot path above, same bits) */
}

static void reference_task(void *ctx, int64_t chunk) {
    const matmul_job *j = ctx;
    int64_t n_in = j->w->ne[0], n_out = j->w->ne[1];
    int64_t o0 = chunk * MATMUL_CHUNK, o1 = o0 + MATMUL_CHUNK < n_out ? o0 + MATMUL_CHUNK : n_out;
    float *row = malloc((size_t)n_in * sizeof *row);
    if (!row) return; /* cannot happen in practice; the output keeps its old values */
    for (int64_t o = o0; o < o1; o++) {
        dequantize_row(j->w->type, (const char *)j->w->data + (size_t)o * j->w_row_bytes, row, n_in);
        for (int r = 0; r < j->rows; r++) j->y[(size_t)r * n_out + o] = ei_dot_f32(j->x + (size_t)r * n_in, row, n_in);
    }
    free(row);
}

/* ---- packed weights (packed.h) -------------------------------------------
 *
 * A weight the CPU can pack is repacked once at load into row groups of
 * 16; its products then run the packed kernels. Work is split into tasks
 * of PACKED_CHUNK groups x up to PACKED_COLS activation rows; a task walks
 * its groups and, for each, its activation rows PACK_COLS at a time, so a
 * group's weights stay in cache while they serve every row of the task. */

#define PACKED_CHUNK 4
#define PACKED_COLS 64
/* F16 and BF16 (f32 activation rows, 16 times the bytes of Q8_0's): a
 * task is one group against 256 rows. 2048 x 8192 F16 against 512 rows,
 * two threads, beside ggml's mul_mat (tests/microbench/f16_vs_ggml.c,
 * ggml time / ours): 4 groups x 64 rows 0.93, 1 x 128 0.98, 1 x 256
 * 1.02, 2 x 256 0.99, 1 x 512 0.88. */
#define PACKED_CHUNK_FLOAT 1
#define PACKED_COLS_FLOAT 256

typedef struct pack_job {
    const ei_tensor *w;
    void *dst;
    int64_t g0; /* first group of the batch */
} pack_job;

static void pack_task(void *ctx, int64_t i) {
    const pack_job *j = ctx;
    ei_pack_groups(j->w->type, j->w->data, j->w->ne[0], j->g0 + i, j->g0 + i + 1, j->dst);
}

/* Give back whole pages of [a, b) of a read-only file mapping. */
static void drop_pages(uintptr_t a, uintptr_t b) {
    const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    a = (a + page - 1) & ~(page - 1);
    b &= ~(page - 1);
    if (b > a) (void)madvise((void *)a, b - a, MADV_DONTNEED);
}

#define PACK_BATCH 256 /* groups packed between two page drops: 4096 rows */

static ei_status cpu_prepare_weight(ei_backend *be, ei_tensor *t, bool file_mapped) {
    if (t->packed || !ei_pack_kernel_selected(t->type)) return EI_OK;
    const size_t bytes = ei_pack_bytes(t->type, t->ne[0], t->ne[1]);
    if (!bytes) return EI_OK; /* a shape the packed layout does not take: the plain kernels */
    void *dst = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
    if (!dst) return ei_error(EI_ERR_NOMEM, "tensor %s: cannot allocate %zu bytes to repack it", t->name, bytes);
    const int64_t n_groups = t->ne[1] / PACK_ROWS;
    const size_t group_src = ei_type_row_bytes(t->type, t->ne[0]) * PACK_ROWS;
    const uintptr_t src = (uintptr_t)t->data;
    for (int64_t g0 = 0; g0 < n_groups; g0 += PACK_BATCH) {
        const int64_t n = n_groups - g0 < PACK_BATCH ? n_groups - g0 : PACK_BATCH;
        pack_job j = {t, dst, g0};
        ei_pool_run(pool_of(be), n, pack_task, &j);
        /* this batch's source pages are done with (a page shared with the next
         * batch stays: one page per batch) */
        if (file_mapped) drop_pages(src + (size_t)g0 * group_src, src + (size_t)(g0 + n) * group_src);
    }
    t->packed = dst;
    return EI_OK;
}

static void cpu_release_weight(ei_backend *be, ei_tensor *t) {
    (void)be;
    free(t->packed);
    t->packed = NULL;
}

/* One of the matrices of a packed product (several when they read the
 * same input: Q, K and V; gate and up). Its tasks are numbered from
 * first_task on. */
typedef struct packed_mat {
    const ei_tensor *w;
    float *y;
    ei_pack_kernel_fn kernel;
    size_t group_bytes;
    int64_t chunk;      /* groups per task */
    int64_t n_chunks;   /* group chunks per block of activation rows */
    int64_t first_task;
} packed_mat;

#define MAX_SHARED 3 /* matrices that share one quantized input */

typedef struct packed_job {
    const float *x;
    char *a; /* (rows, a_stride bytes) the input quantized once for every matrix */
    size_t a_stride;
    int rows;
    int cols;         /* activation rows per task */
    int64_t n;        /* input width */
    ei_type w_type;   /* the first matrix's type (they share the activation format) */
    ei_act_quantize_fn quantize;
    int n_mats;
    packed_mat mats[MAX_SHARED];
} packed_job;

static void packed_quantize_task(void *ctx, int64_t r) {
    const packed_job *j = ctx;
    char *row = j->a + (size_t)r * j->a_stride;
    j->quantize(j->x + (size_t)r * j->n, row, j->n);
    ei_pack_act_finish(j->w_type, row, j->n);
}

static void packed_task(void *ctx, int64_t task) {
    const packed_job *j = ctx;
    int i = 0;
    while (i + 1 < j->n_mats && task >= j->mats[i + 1].first_task) i++;
    const packed_mat *mt = &j->mats[i];
    task -= mt->first_task;
    const int64_t n_out = mt->w->ne[1], n_groups = n_out / PACK_ROWS;
    const int64_t chunk = task % mt->n_chunks, block = task / mt->n_chunks;
    const int64_t g0 = chunk * mt->chunk, g1 = g0 + mt->chunk < n_groups ? g0 + mt->chunk : n_groups;
    const int r0 = (int)(block * j->cols), r1 = r0 + j->cols < j->rows ? r0 + j->cols : j->rows;
    for (int64_t g = g0; g < g1; g++)
        for (int r = r0; r < r1; r += PACK_COLS) {
            const int nc = r1 - r < PACK_COLS ? r1 - r : PACK_COLS;
            mt->kernel(j->n, (const char *)mt->w->packed + (size_t)g * mt->group_bytes, j->a + (size_t)r * j->a_stride,
                       j->a_stride, nc, mt->y + (size_t)r * n_out + g * PACK_ROWS, (size_t)n_out);
        }
}

/* y[i] = x w[i]^T for n_w packed matrices of one input width whose types
 * share an activation format: the input is quantized once, and all the
 * products are one pool run (two barriers in all instead of two each).
 * False if it cannot run (no memory): the caller takes the plain path. */
static bool packed_matmul(ei_backend *be, const ei_tensor *const *ws, int n_w, const float *x, int rows,
                          float *const *ys) {
    const ei_type act = ei_pack_act_type(ws[0]->type);
    packed_job j = {.x = x, .rows = rows, .n = ws[0]->ne[0], .w_type = ws[0]->type, .n_mats = n_w};
    j.quantize = ei_vec_dot_selected()->quantize[act];
    j.a_stride = ei_pack_act_row_bytes(ws[0]->type, j.n);
    if (!j.quantize || !j.a_stride || (size_t)rows > SIZE_MAX / j.a_stride) return false;
    const bool float_w = act == EI_TYPE_F16 || act == EI_TYPE_BF16;
    j.cols = float_w ? PACKED_COLS_FLOAT : PACKED_COLS;
    const int64_t group_chunk = float_w ? PACKED_CHUNK_FLOAT : PACKED_CHUNK;
    const int64_t n_blocks = (rows + j.cols - 1) / j.cols;
    int64_t n_tasks = 0;
    for (int i = 0; i < n_w; i++) {
        packed_mat *mt = &j.mats[i];
        const ei_tensor *w = ws[i];
        const int64_t n_groups = w->ne[1] / PACK_ROWS;
        mt->w = w;
        mt->y = ys[i];
        mt->kernel = ei_pack_kernel_selected(w->type);
        mt->group_bytes = ei_pack_bytes(w->type, w->ne[0], PACK_ROWS);
        if (!mt->kernel) return false;
        mt->chunk = rows == 1 ? gemv_chunk(n_groups, ei_pool_threads(pool_of(be)), GEMV_TASKS, PACKED_CHUNK, 1) : group_chunk;
        mt->n_chunks = (n_groups + mt->chunk - 1) / mt->chunk;
        mt->first_task = n_tasks;
        n_tasks += n_blocks * mt->n_chunks;
    }
    j.a = aligned_alloc(64, j.a_stride * (size_t)rows);
    if (!j.a) return false;
    ei_pool_run(pool_of(be), rows, packed_quantize_task, &j);
    ei_pool_run(pool_of(be), n_tasks, packed_task, &j);
    free(j.a);
    return true;
}

static void cpu_matmul(ei_backend *be, const ei_tensor *w, const float *x, int rows, float *y) {
    if (rows <= 0 || w->ne[1] <= 0) return;
    if (w->packed && packed_matmul(be, &w, 1, x, rows, &y)) return;
    const ei_vec_dot_table *vt = ei_vec_dot_selected();
    const ei_type act = ei_vec_dot_act_type(w->type);
    matmul_job j = {.w = w, .x = x, .y = y, .rows = rows, .w_row_bytes = ei_type_row_bytes(w->type, w->ne[0])};
    /* Float weights' activation rows are f32 (vec_dot.h): a 512-row batch
     * into an 8192-wide matrix would hold 16 MiB of them (the BF16 1.1B
     * file's peak RSS went 14 MiB over llama.cpp's), so those batches go
     * WIDE_GROUP rows at a time; the others are quantized whole. */
    const bool float_act = act == EI_TYPE_F32 || act == EI_TYPE_F16 || act == EI_TYPE_BF16;
    const int slice = float_act && rows > WIDE_GROUP ? WIDE_GROUP : rows;
    if (act != EI_TYPE_COUNT && vt->dot[w->type] && vt->quantize[act]) {
        j.a_stride = ei_vec_dot_act_row_bytes(act, w->ne[0]);
        if (j.a_stride && (size_t)slice <= SIZE_MAX / j.a_stride) j.a = aligned_alloc(64, j.a_stride * (size_t)slice);
    }
    if (!j.a) { /* no kernel for this type (or no memory): the reference path */
        ei_pool_run(pool_of(be), (w->ne[1] + MATMUL_CHUNK - 1) / MATMUL_CHUNK, reference_task, &j);
        return;
    }
    j.tile = rows > 1 ? vt->tile[w->type] : NULL;
    j.chunk = rows == 1 ? gemv_chunk(w->ne[1], ei_pool_threads(pool_of(be)), GEMV_TASKS_DOT, MATMUL_CHUNK, EI_VEC_DOT_MAX_ROWS)
              : j.tile  ? float_task_rows(j.w_row_bytes)
                        : MATMUL_CHUNK;
    const int64_t n_chunks = (w->ne[1] + j.chunk - 1) / j.chunk;
    j.dot = vt->dot[w->type];
    j.dot_rows = vt->dot_rows[w->type];
    j.quantize = vt->quantize[act];
    j.unpack_row = vt->dot_unpacked ? vt->unpack_row[w->type] : NULL;
    j.group_rows = float_act || j.unpack_row ? WIDE_GROUP : MATMUL_GROUP;
    j.dot_unpacked = vt->dot_unpacked;
    j.n_chunks = n_chunks;
    for (int r0 = 0; r0 < rows; r0 += slice) { /* (one pass unless sliced above) */
        j.rows = rows - r0 < slice ? rows - r0 : slice;
        j.x = x + (size_t)r0 * (size_t)w->ne[0];
        j.y = y + (size_t)r0 * (size_t)w->ne[1];
        ei_pool_run(pool_of(be), j.rows, quantize_task, &j);
        const int64_t n_groups = (j.rows + j.group_rows - 1) / j.group_rows;
        ei_pool_run(pool_of(be), n_groups * n_chunks, matmul_task, &j);
    }
    free(j.a);
}

/* Products that read the same input: one quantization and one pool run
 * when every matrix is packed with the same activation format (Q, K, V of
 * a K-quant model may mix Q4_K and Q6_K: both take Q8_K), else one
 * product after another. The same bits either way. */
static void cpu_matmul_shared(ei_backend *be, const ei_tensor *const *ws, int n_w, const float *x, int rows,
                              float *const *ys) {
    bool shared = n_w <= MAX_SHARED && rows > 0;
    for (int i = 0; i < n_w && shared; i++)
        shared = ws[i]->packed && ws[i]->ne[1] > 0 && ws[i]->ne[0] == ws[0]->ne[0] &&
                 ei_pack_act_type(ws[i]->type) == ei_pack_act_type(ws[0]->type);
    if (shared && packed_matmul(be, ws, n_w, x, rows, ys)) return;
    for (int i = 0; i < n_w; i++) cpu_matmul(be, ws[i], x, rows, ys[i]);
}

/* ---- element-wise and row ops ------------------------------------------- */

/* One row: the sum of squares in double, in order (one chain of adds:
 * ~3 us for 2048 values, so a prompt's rows go to the pool) */
static void rms_norm_row(const float *xr, const float *w, int n, float eps, float *yr) {
    double sum = 0.0;
    for (int i = 0; i < n; i++) sum += (double)xr[i] * xr[i];
    float mean = (float)(sum / n);
    float scale = 1.0f / sqrtf(mean + eps);
    for (int i = 0; i < n; i++) yr[i] = xr[i] * scale * (w ? w[i] : 1.0f);
}

#define RMS_NORM_TASK_VALUES 8192 /* rows of a task: the QK-norms' head rows are short */

typedef struct rms_norm_job {
    const float *x, *w;
    int rows, n, per_task;
    float eps;
    float *y;
} rms_norm_job;

static void rms_norm_task(void *ctx, int64_t task) {
    const rms_norm_job *j = ctx;
    const int r0 = (int)task * j->per_task, r1 = r0 + j->per_task < j->rows ? r0 + j->per_task : j->rows;
    for (int r = r0; r < r1; r++) rms_norm_row(j->x + (size_t)r * j->n, j->w, j->n, j->eps, j->y + (size_t)r * j->n);
}

static void cpu_rms_norm(ei_backend *be, const float *x, const float *w, int rows, int n, float eps, float *y) {
    const int per_task = n >= RMS_NORM_TASK_VALUES ? 1 : RMS_NORM_TASK_VALUES / n;
    rms_norm_job j = {x, w, rows, n, per_task, eps, y};
    if (rows <= per_task) rms_norm_task(&j, 0); /* one task: no pool run */
    else ei_pool_run(pool_of(be), (rows + per_task - 1) / per_task, rms_norm_task, &j);
}

static void cpu_add(ei_backend *be, const float *a, const float *b, int64_t n, float *y) {
    (void)be;
    for (int64_t i = 0; i < n; i++) y[i] = a[i] + b[i];
}

static void cpu_add_bias(ei_backend *be, float *x, const float *bias, int rows, int n) {
    (void)be;
    for (int r = 0; r < rows; r++)
        for (int i = 0; i < n; i++) x[(size_t)r * n + i] += bias[i];
}

static void cpu_scale(ei_backend *be, float *x, int64_t n, float s) {
    (void)be;
    for (int64_t i = 0; i < n; i++) x[i] *= s;
}

static void cpu_softcap(ei_backend *be, float *x, int64_t n, float cap) {
    (void)be;
    for (int64_t i = 0; i < n; i++) x[i] = cap * tanhf(x[i] / cap);
}

static float gelu_tanh(float x) {
    const float c = 0.797884560802865355879892119868763737f; /* sqrt(2/pi) */
    return 0.5f * x * (1.0f + tanhf(c * x * (1.0f + 0.044715f * x * x)));
}

/* GELU as llama.cpp's CPU backend computes it: through a table indexed by the
 * f16 input and holding f16 outputs, saturated beyond +-10. Rounding the same
 * way keeps gemma's logits within noise of llama.cpp's. The result depends
 * only on the input's f16 bits, so it is tabulated once (256 KiB). */
static float gelu_table[1 << 16];
static pthread_once_t gelu_once = PTHREAD_ONCE_INIT;

static void gelu_table_init(void) {
    for (uint32_t h = 0; h < (1u << 16); h++) {
        const float x = ei_fp16_to_fp32((uint16_t)h);
        gelu_table[h] = ei_round_f16(gelu_tanh(x));
    }
}

static float gelu_like_ggml(float x) {
    if (x <= -10.0f) return 0.0f;
    if (x >= 10.0f) return x;
    if (x != x) return ei_round_f16(gelu_tanh(ei_round_f16(x))); /* NaN: as computed */
    return gelu_table[ei_fp32_to_fp16(x)];
}

/* Element-wise work big enough to share (a prompt's or a batch's rows) is
 * split into tasks of this many elements; less runs on the calling thread. */
#define ELEMENT_CHUNK 4096

typedef struct glu_job {
    const float *gate, *up;
    float *y;
    int64_t n;
    ei_act act;
} glu_job;

static void glu_task(void *ctx, int64_t t) {
    const glu_job *j = ctx;
    const int64_t i1 = (t + 1) * ELEMENT_CHUNK < j->n ? (t + 1) * ELEMENT_CHUNK : j->n;
    const int64_t i0 = t * ELEMENT_CHUNK;
    if (j->act == EI_ACT_SILU) {
        ei_silu_mul_f32(j->gate + i0, j->up + i0, i1 - i0, j->y + i0);
        return;
    }
    for (int64_t i = i0; i < i1; i++) j->y[i] = gelu_like_ggml(j->gate[i]) * j->up[i];
}

static void cpu_glu(ei_backend *be, const float *gate, const float *up, int64_t n, ei_act act, float *y) {
    if (act != EI_ACT_SILU) pthread_once(&gelu_once, gelu_table_init);
    glu_job j = {gate, up, y, n, act};
    ei_pool_run(pool_of(be), (n + ELEMENT_CHUNK - 1) / ELEMENT_CHUNK, glu_task, &j);
}

/* ---- RoPE (with linear, YaRN and per-frequency scaling) ------------------ */

static float yarn_ramp(float low, float high, int i0) {
    float y = (i0 / 2 - low) / fmaxf(0.001f, high - low);
    return 1.0f - fminf(1.0f, fmaxf(0.0f, y));
}

/* The dimension at which a frequency completes n_rot rotations over the
 * original context: YaRN interpolates below it and extrapolates above. */
static float yarn_corr_dim(int n_dims, int n_ctx_orig, float n_rot, float base) {
    return n_dims * logf(n_ctx_orig / (n_rot * 2.0f * (float)M_PI)) / (2.0f * logf(base));
}

static void rope_cos_sin(const ei_rope_params *p, float theta_extrap, int i0, const float corr[2], float *c,
                         float *s) {
    float theta_interp = p->freq_scale * theta_extrap;
    float theta = theta_interp, mscale = p->attn_factor;
    if (p->ext_factor != 0.0f) {
        float mix = yarn_ramp(corr[0], corr[1], i0) * p->ext_factor;
        theta = theta_interp * (1 - mix) + theta_extrap * mix;
        mscale *= 1.0f + 0.1f * logf(1.0f / p->freq_scale);
    }
    *c = cosf(theta) * mscale;
    *s = sinf(theta) * mscale;
}

typedef struct rope_job {
    float *x;
    int rows, n_head, head_dim;
    const int32_t *pos;
    const ei_rope_params *p;
    float corr[2], theta_scale;
} rope_job;

/* one row: the angles of its position once, then every head rotated */
static void rope_row(void *ctx, int64_t r) {
    const rope_job *j = ctx;
    const ei_rope_params *p = j->p;
    const int n_rot = p->n_rot;
    float cs[1 << 12]; /* cos, sin of the n_rot / 2 frequencies (n_rot <= head_dim <= 4096, checked at load) */
    float theta = (float)j->pos[r];
    for (int i0 = 0; i0 < n_rot; i0 += 2) {
        float ff = p->freq_factors ? p->freq_factors[i0 / 2] : 1.0f;
        rope_cos_sin(p, theta / ff, i0, j->corr, &cs[i0], &cs[i0 + 1]);
        theta *= j->theta_scale;
    }
    for (int h = 0; h < j->n_head; h++) {
        float *v = j->x + ((size_t)r * j->n_head + h) * j->head_dim;
        for (int i0 = 0; i0 < n_rot; i0 += 2) {
            const float c = cs[i0], sn = cs[i0 + 1];
            int a = p->mode == EI_ROPE_NEOX ? i0 / 2 : i0;
            int b = p->mode == EI_ROPE_NEOX ? i0 / 2 + n_rot / 2 : i0 + 1;
            float x0 = v[a], x1 = v[b];
            v[a] = x0 * c - x1 * sn;
            v[b] = x0 * sn + x1 * c;
        }
    }
}

static void cpu_rope(ei_backend *be, float *x, int rows, int n_head, int head_dim, const int32_t *pos,
                     const ei_rope_params *p) {
    rope_job j = {x, rows, n_head, head_dim, pos, p, {0, 0}, powf(p->freq_base, -2.0f / p->n_rot)};
    if (p->ext_factor != 0.0f) {
        float lo = floorf(yarn_corr_dim(p->n_rot, p->n_ctx_orig, p->beta_fast, p->freq_base));
        float hi = ceilf(yarn_corr_dim(p->n_rot, p->n_ctx_orig, p->beta_slow, p->freq_base));
        j.corr[0] = fmaxf(0, lo);
        j.corr[1] = fminf((float)(p->n_rot - 1), hi);
    }
    if ((int64_t)rows * n_head * head_dim < 2 * ELEMENT_CHUNK) {
        for (int r = 0; r < rows; r++) rope_row(&j, r);
        return;
    }
    ei_pool_run(pool_of(be), rows, rope_row, &j);
}

/* ---- KV cache and attention --------------------------------------------- */

static void cpu_kv_store(ei_backend *be, ei_kv_layer *kv, const float *k, const float *v, int rows, int width,
                         const int32_t *pos) {
    (void)be;
    ei_quantize_fn q = ei_type_traits_of(kv->type)->quantize;
    for (int r = 0; r < rows; r++) {
        q(k + (size_t)r * width, (char *)kv->k + (size_t)pos[r] * kv->row_bytes, width);
        q(v + (size_t)r * width, (char *)kv->v + (size_t)pos[r] * kv->row_bytes, width);
    }
}

/* Attention, in tasks of (up to ATTN_ROWS query rows, the query heads that
 * share one KV head): the task converts each chunk of ATTN_KEYS cached
 * keys (then values) of its KV head to f32 once, and every query of the
 * task reads it. For a single row (generation) with fewer KV heads than
 * threads, each query head is its own task, so the work still spreads. Per query the
 * arithmetic is fixed (scores, max, exp, sum, weights, weighted sum in key
 * order), so outputs do not depend on the task split. */

#define ATTN_ROWS 16
#define ATTN_KEYS 512

typedef struct attn_job {
    const float *q;
    const int32_t *pos;
    const ei_kv_layer *kv;
    int n_kv, rows, heads_per_task, n_head_groups;
    const ei_attn_params *p;
    float *out;
} attn_job;

/* keys [first, last] that a query at position pq sees among n_kv cached */
static void key_range(int pq, int n_kv, int window, int *first, int *last) {
    *first = 0;
    *last = pq < n_kv - 1 ? pq : n_kv - 1;
    if (window > 0 && pq - window + 1 > *first) *first = pq - window + 1;
}

/* keys [first, last] that query row r sees */
static void attn_range(const attn_job *j, int r, int *first, int *last) {
    key_range(j->pos[r], j->n_kv, j->p->window, first, last);
}

/* rows [t0, t1) of the cache's K or V, this head's slice, as f32 */
static void attn_load(const attn_job *j, const void *cache, int kvh, int t0, int t1, float *dst) {
    const int hd = j->p->head_dim;
    const ei_dequantize_fn deq = ei_type_traits_of(j->kv->type)->dequantize;
    const size_t head_off = ei_type_row_bytes(j->kv->type, (int64_t)kvh * hd);
    for (int t = t0; t < t1; t++)
        deq((const char *)cache + (size_t)t * j->kv->row_bytes + head_off, dst + (size_t)(t - t0) * hd, hd);
}

/* scores -> weights in place: exp(s - max) / sum, the sum in double; with
 * an f16 cache the weights are rounded to f16 (as llama.cpp does). The max
 * and the sum are kept in SOFTMAX_LANES partial results (element t in lane
 * t % SOFTMAX_LANES), then combined in a fixed tree: independent chains
 * where one chain of adds took about 4 cycles a key (the softmax was 14.6 %
 * of SmolLM2's pp512 at depth 2048, `perf record`), the same bits whether
 * or not the compiler vectorizes the lanes. The max does not depend on the
 * order (a NaN score is never taken; a -0 or +0 maximum gives the same
 * exp(s - max)). */
#define SOFTMAX_LANES 16
static void attn_softmax(float *sc, int n, bool f16, uint16_t *h16) {
    float mx[SOFTMAX_LANES];
    double part[SOFTMAX_LANES];
    for (int k = 0; k < SOFTMAX_LANES; k++) mx[k] = -INFINITY, part[k] = 0;
    int t = 0;
    for (; t + SOFTMAX_LANES <= n; t += SOFTMAX_LANES)
        for (int k = 0; k < SOFTMAX_LANES; k++) mx[k] = sc[t + k] > mx[k] ? sc[t + k] : mx[k];
    for (; t < n; t++) mx[t % SOFTMAX_LANES] = sc[t] > mx[t % SOFTMAX_LANES] ? sc[t] : mx[t % SOFTMAX_LANES];
    float max = -INFINITY;
    for (int k = 0; k < SOFTMAX_LANES; k++) max = mx[k] > max ? mx[k] : max;
    ei_exp_sub_f32(sc, n, max);
    for (t = 0; t + SOFTMAX_LANES <= n; t += SOFTMAX_LANES)
        for (int k = 0; k < SOFTMAX_LANES; k++) part[k] += sc[t + k];
    for (; t < n; t++) part[t % SOFTMAX_LANES] += sc[t];
    for (int w = SOFTMAX_LANES / 2; w > 0; w /= 2)
        for (int k = 0; k < w; k++) part[k] += part[k + w];
    const double sum = part[0];
    const float inv = sum > 0 ? (float)(1.0 / sum) : 0.0f;
    for (int t = 0; t < n; t++) sc[t] *= inv;
    if (f16) {
        ei_fp32_to_fp16_row(sc, h16, n);
        ei_fp16_to_fp32_row(h16, sc, n);
    }
}

/* scores -> scaled (and soft-capped) scores in place; the soft-cap test
 * outside the loop, so that the plain scaling vectorizes */
static void attn_scale(float *sc, int n, const ei_attn_params *p) {
    for (int t = 0; t < n; t++) sc[t] *= p->scale;
    if (p->softcap > 0)
        for (int t = 0; t < n; t++) sc[t] = p->softcap * tanhf(sc[t] / p->softcap);
}

/* Generation with an f16 cache: the nq query heads h0.. of one row that
 * share a KV head, reading the cache's f16 rows directly (no conversion
 * pass over the whole cache: half the bytes, no transpose; each row is
 * converted once for the nq heads). Scores as ei_dot_f32 sums (attn_task's
 * ei_scores_f32 sums the same way); the weighted sum as ei_wsum_f32 would
 * compute it on the converted values. q, out: the nq heads' head_dim
 * values, one after another. */
static void attn_gen_heads(const float *q, int pos, const ei_kv_layer *kv, int n_kv, const ei_attn_params *p, int h0,
                           int nq, float *out) {
    const int hd = p->head_dim, kvh = h0 / (p->n_head / p->n_head_kv);
    memset(out, 0, sizeof(float) * (size_t)hd * nq);
    int f, l;
    key_range(pos, n_kv, p->window, &f, &l);
    if (l < f) return;
    const int n = l - f + 1;
    float *buf = malloc(sizeof(float) * (size_t)nq * ((size_t)n + hd) + sizeof(uint16_t) * ((size_t)n + (size_t)nq * hd));
    if (!buf) return; /* cannot happen in practice */
    float *sc = buf, *qr = sc + (size_t)nq * n;
    uint16_t *h16 = (uint16_t *)(qr + (size_t)nq * hd);
    ei_fp32_to_fp16_row(q, h16, (int64_t)nq * hd); /* the queries rounded to f16 */
    ei_fp16_to_fp32_row(h16, qr, (int64_t)nq * hd);
    const size_t rb = kv->row_bytes, off = (size_t)kvh * hd * sizeof(uint16_t);
    ei_scores_f16(qr, nq, (const char *)kv->k + (size_t)f * rb + off, rb, n, hd, sc, n);
    for (int m = 0; m < nq; m++) {
        float *sm = sc + (size_t)m * n;
        attn_scale(sm, n, p);
        attn_softmax(sm, n, true, h16);
    }
    ei_wsum_f16(out, nq, sc, n, (const char *)kv->v + (size_t)f * rb + off, rb, n, hd);
    free(buf);
}

/* Query heads per generation task: all that share a KV head (their cache
 * rows are converted once) unless that leaves a thread with less work than
 * the others (3 KV heads on 2 threads), then one head per task. */
static int gen_heads_per_task(int rows, const ei_attn_params *p, int threads) {
    const int tasks = rows * p->n_head_kv;
    return tasks % threads == 0 || tasks >= 4 * threads ? p->n_head / p->n_head_kv : 1;
}

static void attn_gen_task(void *ctx, int64_t task) {
    const attn_job *j = ctx;
    const int h0 = (int)task * j->heads_per_task;
    const size_t at = (size_t)h0 * j->p->head_dim;
    attn_gen_heads(j->q + at, j->pos[0], j->kv, j->n_kv, j->p, h0, j->heads_per_task, j->out + at);
}

static void attn_task(void *ctx, int64_t task) {
    const attn_job *j = ctx;
    const ei_attn_params *p = j->p;
    const int hd = p->head_dim, n_rep = p->n_head / p->n_head_kv;
    const int hg = (int)(task % j->n_head_groups), r0 = (int)(task / j->n_head_groups) * ATTN_ROWS;
    const int r1 = r0 + ATTN_ROWS < j->rows ? r0 + ATTN_ROWS : j->rows;
    const int h0 = hg * j->heads_per_task, nh = j->heads_per_task, kvh = h0 / n_rep;
    const int nq = (r1 - r0) * nh;
    /* the keys any query of the task sees */
    int lo = INT32_MAX, hi = -1;
    for (int r = r0; r < r1; r++) {
        int f, l;
        attn_range(j, r, &f, &l);
        if (l >= f && f < lo) lo = f;
        if (l >= f && l > hi) hi = l;
    }
    const int n_keys = hi >= lo ? hi - lo + 1 : 0;
    /* An f16 cache is read as llama.cpp reads it: the query is rounded to f16
     * for q.k, and the probabilities to f16 for the sum over values. Its
     * scores come from the cache's rows: no transposed keys. */
    const bool f16 = j->kv->type == EI_TYPE_F16;
    const size_t kt_floats = f16 ? 0 : ((size_t)ATTN_KEYS + 8) * hd;
    float *buf = malloc(sizeof(float) * ((size_t)nq * ((size_t)n_keys + hd) + (size_t)ATTN_KEYS * hd + kt_floats) +
                        sizeof(uint16_t) * ((size_t)n_keys + hd));
    if (!buf) return; /* cannot happen in practice: the output keeps its old values */
    float *scores = buf, *qs = scores + (size_t)nq * n_keys, *chunk = qs + (size_t)nq * hd;
    float *kt = chunk + (size_t)ATTN_KEYS * hd; /* the chunk's keys transposed: [hd][ld <= ATTN_KEYS + 8] */
    uint16_t *h16 = (uint16_t *)(kt + kt_floats);
    for (int r = r0; r < r1; r++)
        for (int k = 0; k < nh; k++) {
            const float *q = j->q + ((size_t)r * p->n_head + h0 + k) * hd;
            float *qr = qs + (size_t)((r - r0) * nh + k) * hd;
            if (f16) { /* rounded to f16 a row at a time (vector conversions, the bits of ei_round_f16) */
                ei_fp32_to_fp16_row(q, h16, hd);
                ei_fp16_to_fp32_row(h16, qr, hd);
            } else memcpy(qr, q, sizeof(float) * (size_t)hd);
        }
    if (f16) { /* scores on the cache's rows: ei_scores_f16 converts each block of keys once for all nq queries */
        const size_t rb = j->kv->row_bytes, off = (size_t)kvh * hd * sizeof(uint16_t);
        if (n_keys > 0) ei_scores_f16(qs, nq, (const char *)j->kv->k + (size_t)lo * rb + off, rb, n_keys, hd, scores, n_keys);
    } else
        for (int c0 = lo; c0 <= hi; c0 += ATTN_KEYS) { /* other caches: chunks of keys as f32, transposed */
            const int c1 = c0 + ATTN_KEYS <= hi + 1 ? c0 + ATTN_KEYS : hi + 1;
            attn_load(j, j->kv->k, kvh, c0, c1, chunk);
            /* rows of the transposed keys an odd multiple of 32 bytes apart, so
             * that a block of keys (one 32-byte piece of each of hd rows) spreads
             * over L1's sets instead of sharing two of them */
            int ld = (c1 - c0 + 7) & ~7;
            if (!((ld / 8) & 1)) ld += 8;
            for (int tb = 0; tb < c1 - c0; tb += 16) { /* 16 keys at a time: their rows stay in L1 */
                const int te = tb + 16 < c1 - c0 ? tb + 16 : c1 - c0;
                for (int d = 0; d < hd; d++)
                    for (int t = tb; t < te; t++) kt[(size_t)d * ld + t] = chunk[(size_t)t * hd + d];
            }
            /* every query against every key of the chunk (a query's keys outside
             * its range are not used below): each block of keys is read once */
            ei_scores_f32(qs, nq, hd, kt, ld, c1 - c0, hd, scores + (c0 - lo), n_keys);
        }
    for (int r = r0; r < r1; r++) { /* scaled (and soft-capped) over the keys the row sees */
        int f, l;
        attn_range(j, r, &f, &l);
        for (int k = 0; k < nh; k++) {
            if (l >= f) attn_scale(scores + (size_t)((r - r0) * nh + k) * n_keys - lo + f, l - f + 1, p);
        }
    }
    for (int r = r0; r < r1; r++) { /* softmax: the weights */
        int f, l;
        attn_range(j, r, &f, &l);
        for (int k = 0; k < nh; k++) {
            float *sc = scores + (size_t)((r - r0) * nh + k) * n_keys - lo;
            if (l >= f) attn_softmax(sc + f, l - f + 1, f16, h16);
            memset(j->out + ((size_t)r * p->n_head + h0 + k) * hd, 0, sizeof(float) * (size_t)hd);
        }
    }
    for (int c0 = lo; c0 <= hi; c0 += ATTN_KEYS) { /* the weighted sum of values */
        const int c1 = c0 + ATTN_KEYS <= hi + 1 ? c0 + ATTN_KEYS : hi + 1;
        attn_load(j, j->kv->v, kvh, c0, c1, chunk);
        for (int r = r0; r < r1; r++) {
            int f, l;
            attn_range(j, r, &f, &l);
            const int t0 = f > c0 ? f : c0, t1 = l + 1 < c1 ? l + 1 : c1;
            if (t1 <= t0) continue;
            const float *v = chunk + (size_t)(t0 - c0) * hd;
            const float *sc = scores + (size_t)(r - r0) * nh * n_keys - lo + t0; /* head k's: + k * n_keys */
            float *out = j->out + ((size_t)r * p->n_head + h0) * hd;            /* head k's: + k * hd */
            int k = 0;
            for (; k + 2 <= nh; k += 2) /* heads in pairs: each value row read once for two */
                ei_wsum2_f32(out + (size_t)k * hd, out + (size_t)(k + 1) * hd, sc + (size_t)k * n_keys,
                             sc + (size_t)(k + 1) * n_keys, v, t1 - t0, hd);
            if (k < nh) ei_wsum_f32(out + (size_t)k * hd, sc + (size_t)k * n_keys, v, t1 - t0, hd);
        }
    }
    free(buf);
}

static void cpu_attention(ei_backend *be, const float *q, const int32_t *pos, int rows, const ei_kv_layer *kv,
                          int n_kv, const ei_attn_params *p, float *out) {
    const int threads = ei_pool_threads(pool_of(be));
    if (rows == 1 && kv->type == EI_TYPE_F16) {
        const int per = gen_heads_per_task(1, p, threads);
        attn_job j = {q, pos, kv, n_kv, rows, per, p->n_head / per, p, out};
        ei_pool_run(pool_of(be), j.n_head_groups, attn_gen_task, &j);
        return;
    }
    /* the heads sharing a KV head share a task (one conversion of the keys),
     * unless that leaves threads idle in generation */
    const int per = rows > 1 || p->n_head_kv >= threads ? p->n_head / p->n_head_kv : 1;
    attn_job j = {q, pos, kv, n_kv, rows, per, p->n_head / per, p, out};
    const int64_t n_blocks = (rows + ATTN_ROWS - 1) / ATTN_ROWS;
    ei_pool_run(pool_of(be), n_blocks * j.n_head_groups, attn_task, &j);
}

/* Continuous batching: one query row per sequence, each against its own
 * cache, all (row, head) pairs in one pool run, so the threads share the
 * rows' work in one dispatch instead of one per row. */
typedef struct attn_multi_job {
    const float *q;
    const int32_t *pos;
    const ei_kv_layer *const *kv;
    const ei_attn_params *p;
    int heads_per_task;
    float *out;
} attn_multi_job;

static void attn_multi_task(void *ctx, int64_t task) {
    const attn_multi_job *j = ctx;
    const int groups = j->p->n_head / j->heads_per_task, r = (int)(task / groups);
    const int h0 = (int)(task % groups) * j->heads_per_task;
    const size_t at = ((size_t)r * j->p->n_head + h0) * j->p->head_dim;
    attn_gen_heads(j->q + at, j->pos[r], j->kv[r], j->pos[r] + 1, j->p, h0, j->heads_per_task, j->out + at);
}

static void cpu_attention_multi(ei_backend *be, const float *q, const int32_t *pos, int rows,
                                const ei_kv_layer *const *kv, const ei_attn_params *p, float *out) {
    bool all_f16 = true;
    for (int r = 0; r < rows; r++) all_f16 = all_f16 && kv[r]->type == EI_TYPE_F16;
    if (all_f16) {
        const int per = gen_heads_per_task(rows, p, ei_pool_threads(pool_of(be)));
        attn_multi_job j = {q, pos, kv, p, per, out};
        ei_pool_run(pool_of(be), (int64_t)rows * (p->n_head / per), attn_multi_task, &j);
        return;
    }
    const size_t w = (size_t)p->n_head * p->head_dim;
    for (int r = 0; r < rows; r++) cpu_attention(be, q + r * w, &pos[r], 1, kv[r], pos[r] + 1, p, out + r * w);
}

/* ---- construction ------------------------------------------------------- */

static void cpu_free(ei_backend *be) {
    if (!be) return;
    ei_pool_free(pool_of(be));
    free(be);
}

static const ei_backend_ops cpu_ops = {
    .name = "cpu",
    .free = cpu_free,
    .alloc = cpu_alloc,
    .release = cpu_release,
    .upload = cpu_copy,
    .download = cpu_copy,
    .host_memory = true,
    .prepare_weight = cpu_prepare_weight,
    .release_weight = cpu_release_weight,
    .get_rows = cpu_get_rows,
    .matmul_shared = cpu_matmul_shared,
    .matmul = cpu_matmul,
    .rms_norm = cpu_rms_norm,
    .add = cpu_add,
    .add_bias = cpu_add_bias,
    .scale = cpu_scale,
    .softcap = cpu_softcap,
    .rope = cpu_rope,
    .glu = cpu_glu,
    .kv_store = cpu_kv_store,
    .attention = cpu_attention,
    .attention_multi = cpu_attention_multi,
};

ei_status ei_cpu_backend_new(int n_threads, ei_backend **out) {
    cpu_backend *b = calloc(1, sizeof *b);
    if (!b) return ei_error(EI_ERR_NOMEM, "out of memory");
    b->base.ops = &cpu_ops;
    b->pool = ei_pool_new(n_threads);
    if (!b->pool) {
        free(b);
        return ei_error(EI_ERR_NOMEM, "cannot start %d threads", n_threads);
    }
    *out = &b->base;
    return EI_OK;
}
