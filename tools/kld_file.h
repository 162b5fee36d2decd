/*
 * kld_file.h — llama.cpp's `_logits_` file: the base model's next-token
 * distributions over a text, written by `perplexity --kl-divergence-base F`
 * and read back by `perplexity --kl-divergence-base F --kl-divergence`.
 * Byte for byte the format of llama-perplexity, so either tool reads the
 * other's files.
 *
 * Layout (little-endian, no padding):
 *   char    magic[8]             "_logits_"
 *   int32   n_ctx                tokens per chunk
 *   int32   n_vocab
 *   int32   n_chunk
 *   int32   tokens[n_chunk * n_ctx]   the text's tokens (not BOS-replaced)
 *   then per chunk, per scored position p = n_ctx/2 .. n_ctx-2 (that is
 *   n_ctx - 1 - n_ctx/2 records), one record of kld_record_len(n_vocab)
 *   uint16:
 *     [0..1] float scale, [2..3] float min_log_prob (native float bits),
 *     [4 .. 4+n_vocab) q[i]: log p(i) ~= scale * q[i] + min_log_prob,
 *     one zero uint16 of padding when n_vocab is odd.
 */
#ifndef EI_TOOLS_KLD_FILE_H
#define EI_TOOLS_KLD_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define KLD_MAGIC "_logits_"
#define KLD_HEADER_BYTES 20
/* Smallest chunk that scores at least one token (n_ctx/2 .. n_ctx-2). */
#define KLD_MIN_CTX 4

typedef struct kld_header {
    int32_t n_ctx, n_vocab, n_chunk;
} kld_header;

/* uint16 per record: 4 for the two floats, n_vocab rounded up to even. */
size_t kld_record_len(int32_t n_vocab);
/* Records per chunk: the positions n_ctx/2 .. n_ctx-2. */
int32_t kld_scored_per_chunk(int32_t n_ctx);

/* Compress the distribution softmax(logits[n_vocab]) into rec[kld_record_len]
 * exactly as llama.cpp's log_softmax does (same float arithmetic, log-probs
 * below max-16 clamp to 0), and return -log p(tok). */
double kld_compress(int32_t n_vocab, const float *logits, uint16_t *rec, int32_t tok);

/* Writing: the header and the tokens, then records in order. 0, or -1 with
 * errno set on an I/O error. */
int kld_write_header(FILE *f, const kld_header *h, const int32_t *tokens);
int kld_write_record(FILE *f, const uint16_t *rec, size_t len);

/* Reading. Open checks everything it can before a model runs: the magic,
 * sizes in range, the file long enough for every chunk (for a regular
 * file), and every token id inside [0, n_vocab). */
typedef struct kld_reader {
    FILE *f;
    kld_header h;
    int32_t *tokens; /* (n_chunk * n_ctx) */
    size_t rec_len;  /* uint16 per record */
} kld_reader;

/* 0 on success; -1 with a message in err (which names the file). */
int kld_reader_open(kld_reader *r, const char *path, char *err, size_t errsize);
/* Read the next record into rec[r->rec_len]; 0, or -1 when the file ends early. */
int kld_reader_record(kld_reader *r, uint16_t *rec);
void kld_reader_close(kld_reader *r);

/* Is this host little-endian (the only byte order the format is written in)? */
int kld_host_little_endian(void);

#endif
