/*
 * edgeinfer.h — the public API of libedgeinfer, and the only installed header.
 *
 * Conventions
 *   - Every fallible call returns an ei_status; EI_OK is zero. On failure a
 *     human-readable message is left for ei_last_error() (per thread).
 *   - Handles are opaque. Pointers returned by accessors stay valid until the
 *     handle they came from is closed.
 *   - The library never prints to stdout, never exits and never aborts on
 *     bad input: a malformed file or argument is an error status.
 */
#ifndef EDGEINFER_H
#define EDGEINFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Symbols of the shared library: only what this header declares is exported. */
#if defined(__GNUC__) && defined(EI_BUILDING_LIBRARY)
#define EI_API __attribute__((visibility("default")))
#else
#define EI_API
#endif

#define EI_VERSION_MAJOR 0
#define EI_VERSION_MINOR 1
#define EI_VERSION_PATCH 0

/* Library version as "MAJOR.MINOR.PATCH". */
EI_API const char *ei_version(void);

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */
/* ------------------------------------------------------------------------ */

typedef enum ei_status {
    EI_OK = 0,
    EI_ERR_ARG,         /* invalid argument from the caller */
    EI_ERR_IO,          /* open/read/write/mmap failed */
    EI_ERR_FORMAT,      /* malformed input (file, data) */
    EI_ERR_UNSUPPORTED, /* well-formed, but not something this build handles */
    EI_ERR_NOMEM,       /* allocation failed */
    EI_ERR_NOT_FOUND,   /* key, tensor or name not present */
    EI_ERR_TYPE,        /* value present, but of another type */
} ei_status;

/* Message describing the last failure on this thread ("" if none). */
EI_API const char *ei_last_error(void);

/* Short constant name of a status, e.g. "format error". */
EI_API const char *ei_status_str(ei_status s);

/* ------------------------------------------------------------------------ */
/* Tensor types (numbering is GGML's, as stored in GGUF files)               */
/* ------------------------------------------------------------------------ */

typedef enum ei_type {
    EI_TYPE_F32 = 0,
    EI_TYPE_F16 = 1,
    EI_TYPE_Q4_0 = 2,
    EI_TYPE_Q4_1 = 3,
    EI_TYPE_Q5_0 = 6,
    EI_TYPE_Q5_1 = 7,
    EI_TYPE_Q8_0 = 8,
    EI_TYPE_Q8_1 = 9,
    EI_TYPE_Q2_K = 10,
    EI_TYPE_Q3_K = 11,
    EI_TYPE_Q4_K = 12,
    EI_TYPE_Q5_K = 13,
    EI_TYPE_Q6_K = 14,
    EI_TYPE_Q8_K = 15,
    EI_TYPE_IQ2_XXS = 16,
    EI_TYPE_IQ2_XS = 17,
    EI_TYPE_IQ3_XXS = 18,
    EI_TYPE_IQ1_S = 19,
    EI_TYPE_IQ4_NL = 20,
    EI_TYPE_IQ3_S = 21,
    EI_TYPE_IQ2_S = 22,
    EI_TYPE_IQ4_XS = 23,
    EI_TYPE_I8 = 24,
    EI_TYPE_I16 = 25,
    EI_TYPE_I32 = 26,
    EI_TYPE_I64 = 27,
    EI_TYPE_F64 = 28,
    EI_TYPE_IQ1_M = 29,
    EI_TYPE_BF16 = 30,
    EI_TYPE_TQ1_0 = 34,
    EI_TYPE_TQ2_0 = 35,
    EI_TYPE_MXFP4 = 39,
    EI_TYPE_COUNT = 40 /* one past the largest id; not every id below is a type */
} ei_type;

/* Is `t` a tensor type this library knows the layout of (name and size)? */
EI_API bool ei_type_known(int t);
/* Does this library have reference dequantize (and quantize) code for `t`? */
EI_API bool ei_type_supported(int t);
/* "Q4_K", "F32", ...; "unknown" for ids that are not types. */
EI_API const char *ei_type_name(int t);
/* Elements per block (1 for plain types); 0 for unknown ids. */
EI_API size_t ei_type_block_size(int t);
/* Bytes per block; 0 for unknown ids. */
EI_API size_t ei_type_block_bytes(int t);
/* Bytes taken by a row of n elements; 0 if n is not a whole number of blocks. */
EI_API size_t ei_type_row_bytes(int t, int64_t n);

/* Reference (scalar) conversion of n elements, n a multiple of the block size.
 * Dequantize: `src` holds n/block_size blocks; `dst` receives n floats.
 * Quantize: the inverse; fails for types without a reference quantizer. */
EI_API ei_status ei_dequantize(int t, const void *src, float *dst, int64_t n);
EI_API ei_status ei_quantize(int t, const float *src, void *dst, int64_t n);

/* ------------------------------------------------------------------------ */
/* GGUF files: reading                                                       */
/* ------------------------------------------------------------------------ */

typedef enum ei_gguf_type {
    EI_GGUF_UINT8 = 0,
    EI_GGUF_INT8 = 1,
    EI_GGUF_UINT16 = 2,
    EI_GGUF_INT16 = 3,
    EI_GGUF_UINT32 = 4,
    EI_GGUF_INT32 = 5,
    EI_GGUF_FLOAT32 = 6,
    EI_GGUF_BOOL = 7,
    EI_GGUF_STRING = 8,
    EI_GGUF_ARRAY = 9,
    EI_GGUF_UINT64 = 10,
    EI_GGUF_INT64 = 11,
    EI_GGUF_FLOAT64 = 12,
    EI_GGUF_TYPE_COUNT = 13
} ei_gguf_type;

/* "uint32", "string", "array", ... */
EI_API const char *ei_gguf_type_name(int t);

/* A string as stored in the file. `ptr` is NUL-terminated for convenience;
 * `len` is authoritative (a GGUF string may contain NUL bytes). */
typedef struct ei_gguf_str {
    const char *ptr;
    uint64_t len;
} ei_gguf_str;

/* One metadata value. Scalars are widened into u64/i64/f64; `type` says what
 * the file stored. Arrays: `elem_type` and `n`; the elements are reached
 * through ei_gguf_arr_* below (scalars stay in the mapped file, strings and
 * nested arrays are decoded once at open). */
typedef struct ei_gguf_value {
    ei_gguf_type type;
    union {
        uint64_t u64; /* UINT8/16/32/64, BOOL (0 or 1) */
        int64_t i64;  /* INT8/16/32/64 */
        double f64;   /* FLOAT32/64 */
        ei_gguf_str str;
        struct {
            ei_gguf_type elem_type;
            uint64_t n;
            const void *data; /* private: read through ei_gguf_arr_* */
        } arr;
    } v;
} ei_gguf_value;

/* Array element i as a widened scalar, string or nested array. Each fails
 * with EI_ERR_TYPE if the element type does not fit, EI_ERR_ARG if i >= n. */
EI_API ei_status ei_gguf_arr_int(const ei_gguf_value *a, uint64_t i, int64_t *out);
EI_API ei_status ei_gguf_arr_float(const ei_gguf_value *a, uint64_t i, double *out);
EI_API ei_status ei_gguf_arr_str(const ei_gguf_value *a, uint64_t i, ei_gguf_str *out);
EI_API ei_status ei_gguf_arr_arr(const ei_gguf_value *a, uint64_t i, const ei_gguf_value **out);

#define EI_MAX_DIMS 4

typedef struct ei_tensor_info {
    const char *name;
    ei_type type;
    uint32_t n_dims;
    int64_t ne[EI_MAX_DIMS]; /* elements per dimension, ne[0] innermost; unused dims are 1 */
    uint64_t offset;         /* from the start of the data section */
    uint64_t size;           /* bytes */
    const void *data;        /* in the mapped file (NULL for in-memory parses without data) */
} ei_tensor_info;

typedef struct ei_gguf ei_gguf;

/* Map and validate a GGUF file. Everything is checked before it returns:
 * header, every key and value, every tensor's name, type, shape, offset and
 * extent. Tensor data is never copied. */
EI_API ei_status ei_gguf_open(const char *path, ei_gguf **out);
/* The same for a buffer in memory; `buf` must outlive the handle. */
EI_API ei_status ei_gguf_open_memory(const void *buf, size_t size, ei_gguf **out);
EI_API void ei_gguf_close(ei_gguf *g);

EI_API uint32_t ei_gguf_version(const ei_gguf *g);
EI_API uint32_t ei_gguf_alignment(const ei_gguf *g);
EI_API uint64_t ei_gguf_data_offset(const ei_gguf *g); /* file offset of the data section */
EI_API uint64_t ei_gguf_file_size(const ei_gguf *g);

EI_API int64_t ei_gguf_n_kv(const ei_gguf *g);
EI_API const char *ei_gguf_kv_key(const ei_gguf *g, int64_t i);
EI_API const ei_gguf_value *ei_gguf_kv_value(const ei_gguf *g, int64_t i);
/* Index of `key`, or -1. */
EI_API int64_t ei_gguf_find_key(const ei_gguf *g, const char *key);

/* Typed accessors by key. EI_ERR_NOT_FOUND if absent, EI_ERR_TYPE if the
 * stored type does not fit (get_int takes any integer type and checks range;
 * get_float takes FLOAT32/FLOAT64). The message names the key. */
EI_API ei_status ei_gguf_get_str(const ei_gguf *g, const char *key, const char **out);
EI_API ei_status ei_gguf_get_int(const ei_gguf *g, const char *key, int64_t *out);
EI_API ei_status ei_gguf_get_float(const ei_gguf *g, const char *key, double *out);
EI_API ei_status ei_gguf_get_bool(const ei_gguf *g, const char *key, bool *out);
EI_API ei_status ei_gguf_get_arr(const ei_gguf *g, const char *key, const ei_gguf_value **out);

EI_API int64_t ei_gguf_n_tensors(const ei_gguf *g);
EI_API const ei_tensor_info *ei_gguf_tensor(const ei_gguf *g, int64_t i);
/* Index of the tensor called `name`, or -1. */
EI_API int64_t ei_gguf_find_tensor(const ei_gguf *g, const char *name);

/* EI_OK if every tensor has a type with reference kernels; otherwise
 * EI_ERR_UNSUPPORTED and a message like
 * "tensor blk.0.attn_q.weight: type IQ2_XXS not supported". */
EI_API ei_status ei_gguf_check_types_supported(const ei_gguf *g);

/* ------------------------------------------------------------------------ */
/* GGUF files: writing                                                       */
/* ------------------------------------------------------------------------ */

typedef struct ei_gguf_writer ei_gguf_writer;

EI_API ei_status ei_gguf_writer_new(ei_gguf_writer **out);
EI_API void ei_gguf_writer_free(ei_gguf_writer *w);

/* Set a key (replacing an earlier value of the same key). Values are copied. */
EI_API ei_status ei_gguf_writer_set_value(ei_gguf_writer *w, const char *key, const ei_gguf_value *v);
EI_API ei_status ei_gguf_writer_set_str(ei_gguf_writer *w, const char *key, const char *s);
EI_API ei_status ei_gguf_writer_set_u32(ei_gguf_writer *w, const char *key, uint32_t x);
EI_API ei_status ei_gguf_writer_set_i32(ei_gguf_writer *w, const char *key, int32_t x);
EI_API ei_status ei_gguf_writer_set_u64(ei_gguf_writer *w, const char *key, uint64_t x);
EI_API ei_status ei_gguf_writer_set_f32(ei_gguf_writer *w, const char *key, float x);
EI_API ei_status ei_gguf_writer_set_bool(ei_gguf_writer *w, const char *key, bool x);
/* Array of n scalars of type `elem_type` (not STRING or ARRAY), `data` holding
 * them packed little-endian as the file stores them. */
EI_API ei_status ei_gguf_writer_set_arr_data(ei_gguf_writer *w, const char *key, ei_gguf_type elem_type,
                                      const void *data, uint64_t n);
EI_API ei_status ei_gguf_writer_set_arr_str(ei_gguf_writer *w, const char *key, const char *const *strs,
                                     uint64_t n);

/* Add a tensor; `data` (ei_type_row_bytes(type, ne[0]) * ne[1] * ne[2] * ne[3]
 * bytes) is referenced, not copied, and must stay valid until written. */
EI_API ei_status ei_gguf_writer_add_tensor(ei_gguf_writer *w, const char *name, ei_type type,
                                    uint32_t n_dims, const int64_t *ne, const void *data);

/* Write the file (version 3). general.alignment, if set, is honoured. The
 * file is written to a temporary name and renamed, so a failure leaves no
 * partial file behind. */
EI_API ei_status ei_gguf_writer_write(ei_gguf_writer *w, const char *path);


/* ------------------------------------------------------------------------ */
/* Models and contexts                                                       */
/* ------------------------------------------------------------------------ */

typedef struct ei_model ei_model;
typedef struct ei_context ei_context;

typedef struct ei_model_params {
    int n_threads;    /* worker threads for the CPU backend; <= 0: physical cores */
    int n_gpu_layers; /* layers placed on a GPU backend; 0 until one is built */
    bool vocab_only;  /* load the vocabulary only (no weights, no architecture check): for tokenizing;
                         ei_context_new refuses such a model */
} ei_model_params;

EI_API ei_model_params ei_model_default_params(void);

/* Map a GGUF file and bind its tensors to the architecture it names. Every
 * tensor's presence, type and shape is checked; errors name the tensor or
 * key. The file stays mapped (never copied) until ei_model_free. */
EI_API ei_status ei_model_load(const char *path, const ei_model_params *p, ei_model **out);
EI_API void ei_model_free(ei_model *m);

EI_API int32_t ei_model_n_vocab(const ei_model *m);
EI_API int32_t ei_model_n_ctx_train(const ei_model *m);
EI_API int32_t ei_model_n_embd(const ei_model *m);
EI_API int32_t ei_model_n_layer(const ei_model *m);
EI_API const char *ei_model_arch(const ei_model *m);
/* Threads the model's CPU backend runs with. */
EI_API int32_t ei_model_n_threads(const ei_model *m);
/* The GGUF handle the model was loaded from (metadata, tensors). */
EI_API const ei_gguf *ei_model_gguf(const ei_model *m);
/* Size of the weights in bytes and number of parameters. */
EI_API uint64_t ei_model_size(const ei_model *m);
EI_API uint64_t ei_model_n_params(const ei_model *m);

typedef enum ei_kv_type {
    EI_KV_F16 = 0,
    EI_KV_Q8_0 = 1,
    EI_KV_F32 = 2,
} ei_kv_type;

typedef struct ei_context_params {
    int32_t n_ctx;    /* positions in the KV cache; <= 0: the model's training context (capped at 4096) */
    int32_t n_batch;  /* most tokens one forward pass handles (prompts are split); default 512 */
    ei_kv_type kv_type;
    bool logits_all;  /* keep logits of every token of a batch (perplexity), not just the last */
} ei_context_params;

EI_API ei_context_params ei_context_default_params(void);

EI_API ei_status ei_context_new(ei_model *m, const ei_context_params *p, ei_context **out);
EI_API void ei_context_free(ei_context *c);

EI_API int32_t ei_context_n_ctx(const ei_context *c);
/* Tokens in the KV cache (the position the next token gets). */
EI_API int32_t ei_context_n_past(const ei_context *c);
/* Forget cached tokens from position n_keep on (0 clears everything), so a
 * new prompt that shares the first n_keep tokens reuses them. */
EI_API ei_status ei_context_truncate(ei_context *c, int32_t n_keep);

/* Run the model on n tokens appended at position n_past. Fails with
 * EI_ERR_ARG (leaving the cache unchanged) if they do not fit in the
 * context or an id is outside the vocabulary. */
EI_API ei_status ei_decode(ei_context *c, const int32_t *tokens, int32_t n);

/* Logits (n_vocab floats) of token i of the last ei_decode batch; i = -1 for
 * the last token. With logits_all false only the last token has logits.
 * NULL if i is out of range. Valid until the next ei_decode. */
EI_API const float *ei_get_logits(ei_context *c, int32_t i);

/* Continuous batching: one next token for each of n contexts of the same
 * model, decoded together in one pass (each weight is read once for all of
 * them), each against its own cache. ctxs[0]'s scratch is used, so n must
 * not exceed its n_batch; the contexts must be distinct and not full.
 * Afterwards ei_get_logits(ctxs[i], -1) is the logits of tokens[i]. */
EI_API ei_status ei_decode_multi(ei_context *const *ctxs, const int32_t *tokens, int32_t n);

/* ------------------------------------------------------------------------ */
/* Tokens                                                                    */
/* ------------------------------------------------------------------------ */

/* Text -> token ids with the model's vocabulary, as llama.cpp does it.
 * add_special: add BOS/EOS as the vocabulary asks. parse_special: text like
 * "<|im_start|>" becomes the special token instead of plain text.
 * Writes at most `cap` ids to `out` and sets *n to the number needed: call
 * again with a larger buffer when *n > cap. Invalid UTF-8 is tokenized as
 * llama.cpp does (never an error). */
EI_API ei_status ei_tokenize(const ei_model *m, const char *text, size_t len, bool add_special, bool parse_special,
                      int32_t *out, int32_t cap, int32_t *n);

/* The bytes of one token (SentencePiece "▁" as a space, byte tokens as their
 * byte). Special tokens give their text only when `special`. Writes at most
 * cap bytes (no NUL) and sets *len to the number needed. */
EI_API ei_status ei_token_to_piece(const ei_model *m, int32_t token, bool special, char *buf, size_t cap, size_t *len);

/* Several tokens to text, as llama.cpp's detokenize does (SentencePiece's
 * leading space after BOS removed). Writes at most cap bytes plus a NUL when
 * room allows, and sets *len to the bytes needed. */
EI_API ei_status ei_detokenize(const ei_model *m, const int32_t *tokens, int32_t n, bool special, char *buf, size_t cap,
                        size_t *len);

EI_API int32_t ei_token_bos(const ei_model *m); /* -1 if none */
EI_API int32_t ei_token_eos(const ei_model *m); /* -1 if none */
/* End of generation: EOS, EOT and the end-of-turn tokens of chat vocabularies. */
EI_API bool ei_token_is_eog(const ei_model *m, int32_t token);
/* Does tokenizing with add_special put a BOS first? */
EI_API bool ei_model_adds_bos(const ei_model *m);

/* ------------------------------------------------------------------------ */
/* Sampling                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct ei_logit_bias {
    int32_t token;
    float bias; /* added to the logit; -INFINITY bans the token */
} ei_logit_bias;

/* The sampler chain, applied in llama.cpp's default order: logit bias,
 * penalties (repeat/frequency/presence over the last penalty_last_n
 * tokens), top-k, typical, top-p, min-p, temperature, then a draw from the
 * distribution. temperature <= 0 means greedy (argmax after bias and
 * penalties). A value that disables a stage: top_k <= 0, top_p >= 1,
 * min_p <= 0, typical_p >= 1, repeat_penalty == 1, frequency/presence 0. */
typedef struct ei_sampler_params {
    float temperature;       /* 0.8 */
    int32_t top_k;           /* 40 */
    float top_p;             /* 0.95 */
    float min_p;             /* 0.05 */
    float typical_p;         /* 1.0 */
    float repeat_penalty;    /* 1.0 (llama.cpp's default since 2024) */
    float frequency_penalty; /* 0.0 */
    float presence_penalty;  /* 0.0 */
    int32_t penalty_last_n;  /* 64; 0 disables penalties, -1 means the whole history */
    uint64_t seed;           /* same seed, same draws */
    const ei_logit_bias *logit_bias; /* copied at creation */
    size_t n_logit_bias;
} ei_sampler_params;

/* llama.cpp's defaults, as annotated above. */
EI_API ei_sampler_params ei_sampler_default_params(void);

typedef struct ei_sampler ei_sampler;

EI_API ei_status ei_sampler_new(const ei_sampler_params *p, int32_t n_vocab, ei_sampler **out);
EI_API void ei_sampler_free(ei_sampler *s);
/* Pick the next token from logits[n_vocab] (not modified). */
EI_API ei_status ei_sampler_sample(ei_sampler *s, const float *logits, int32_t *token);
/* Record a token as part of the history the penalties look at (prompt tokens
 * and generated tokens alike). */
EI_API void ei_sampler_accept(ei_sampler *s, int32_t token);
/* Forget the history and reseed. */
EI_API void ei_sampler_reset(ei_sampler *s);

/* ------------------------------------------------------------------------ */
/* Chat templates                                                            */
/* ------------------------------------------------------------------------ */

typedef struct ei_chat_message {
    const char *role;    /* "system", "user", "assistant" */
    const char *content;
} ei_chat_message;

/* Render a conversation into prompt text with the model's chat template
 * (tokenizer.chat_template), or with `tmpl` when given: the name of a
 * built-in (chatml, llama2, llama3, gemma, phi3, mistral, zephyr) or a Jinja
 * source. The text is ready for ei_tokenize(add_special = true,
 * parse_special = true): a leading BOS the template writes is left out when
 * the tokenizer adds one. *out is freed with ei_free. A template that cannot
 * be rendered is EI_ERR_UNSUPPORTED (or the template's own message for
 * raise_exception) suggesting a built-in. */
EI_API ei_status ei_chat_format(const ei_model *m, const char *tmpl, const ei_chat_message *msgs, size_t n,
                         bool add_generation_prompt, char **out);

/* Names of the built-in templates, NULL-terminated. */
EI_API const char *const *ei_chat_builtin_names(void);

/* Free memory the library handed out. */
EI_API void ei_free(void *p);

/* ------------------------------------------------------------------------ */
/* Generation                                                                */
/* ------------------------------------------------------------------------ */

typedef enum ei_finish_reason {
    EI_FINISH_STOP = 0,   /* end-of-generation token or a stop string */
    EI_FINISH_LENGTH,     /* max_tokens reached, or the context is full and shifting is off */
    EI_FINISH_CANCELLED,  /* the callback asked to stop */
} ei_finish_reason;

typedef struct ei_generate_params {
    int32_t max_tokens;      /* generated tokens at most; < 0: no limit but the context */
    ei_sampler_params sampling;
    const char *const *stop; /* stop strings: generation ends before any of them, which is not returned */
    size_t n_stop;
    bool context_shift;      /* at the end of the context: drop the oldest half of what follows the
                                first n_keep tokens and go on, instead of finishing with LENGTH */
    int32_t n_keep;          /* tokens kept at the start on a shift (the system prompt) */
} ei_generate_params;

EI_API ei_generate_params ei_generate_default_params(void);

/* Receives generated text as it comes, in whole UTF-8 characters (a
 * character split across tokens arrives once complete). Return false to stop. */
typedef bool (*ei_text_callback)(const char *text, size_t len, void *user);

typedef struct ei_generate_result {
    int32_t n_prompt;        /* prompt tokens */
    int32_t n_reused;        /* of which were already in the KV cache */
    int32_t n_generated;
    ei_finish_reason finish;
    double prompt_ms, gen_ms; /* wall time of prompt processing and of generation */
} ei_generate_result;

/* Generate a continuation of `prompt` in context c. The longest prefix of
 * the prompt that is already in the cache is reused (multi-turn chat does
 * not re-process history). A prompt that does not fit in the context is
 * EI_ERR_ARG naming both sizes, and nothing runs. */
EI_API ei_status ei_generate(ei_context *c, const int32_t *prompt, int32_t n_prompt, const ei_generate_params *p,
                      ei_text_callback cb, void *user, ei_generate_result *result);

#ifdef __cplusplus
}
#endif

#endif /* EDGEINFER_H */
