/*
 * vocab.c — load a vocabulary from the tokenizer.ggml.* keys of a GGUF file,
 * with llama.cpp's defaults and fix-ups (src/llama-vocab.cpp, impl::load, as
 * vendored by llama-cpp-python 0.3.36):
 * per-model default special ids and flags, per-pre-tokenizer flags, special
 * tokens recognised by their text (EOT, FIM, end-of-generation set), the
 * per-model lstrip/rstrip attributes. Tokenizing lives in the other
 * vocab_*.c files.
 *
 * Guarantees: every key is type-checked and every id range-checked before
 * use; a bad file is an error naming the key, never a crash. Token texts
 * and merges are copied, so the GGUF may be closed after loading.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer/vocab_internal.h"
#include "util/error.h"

#define KEY(x) "tokenizer.ggml." x

/* ---- small helpers --------------------------------------------------------- */

uint64_t ei_vocab_hash(uint64_t h, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

ei_status ei_tokvec_push(ei_tokvec *t, int32_t id) {
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        if (cap > SIZE_MAX / sizeof *t->v) return ei_error(EI_ERR_NOMEM, "out of memory");
        int32_t *v = realloc(t->v, cap * sizeof *v);
        if (!v) return ei_error(EI_ERR_NOMEM, "out of memory");
        t->v = v;
        t->cap = cap;
    }
    t->v[t->n++] = id;
    return EI_OK;
}

int32_t ei_vocab_find(const ei_vocab *v, const char *s, size_t n) {
    if (!v->tok_slots) return -1;
    uint32_t i = (uint32_t)ei_vocab_hash(EI_HASH_INIT, s, n) & v->tok_mask;
    for (;;) {
        int32_t id = v->tok_slots[i];
        if (id < 0) return -1;
        if (v->tok[id].len == n && memcmp(v->tok[id].text, s, n) == 0) return id;
        i = (i + 1) & v->tok_mask;
    }
}

static uint64_t pair_hash(const char *l, size_t ln, const char *r, size_t rn) {
    uint64_t h = ei_vocab_hash(EI_HASH_INIT, l, ln);
    h ^= 0xff;            /* a byte no UTF-8 text holds, between the halves */
    h *= 0x100000001b3ull;
    return ei_vocab_hash(h, r, rn);
}

int32_t ei_vocab_merge_rank(const ei_vocab *v, const char *l, size_t ln, const char *r, size_t rn) {
    if (!v->merge_slots) return -1;
    uint32_t i = (uint32_t)pair_hash(l, ln, r, rn) & v->merge_mask;
    for (;;) {
        int32_t k = v->merge_slots[i];
        if (k < 0) return -1;
        const ei_vmerge *m = &v->merge[k];
        if (m->llen == ln && m->rlen == rn && memcmp(m->left, l, ln) == 0 && memcmp(m->right, r, rn) == 0) return k;
        i = (i + 1) & v->merge_mask;
    }
}

int32_t ei_vocab_byte_token(const ei_vocab *v, unsigned char byte) { return v->byte_tok[byte]; }

/* Slots for n entries at most half full. */
static ei_status make_slots(size_t n, int32_t **slots, uint32_t *mask) {
    size_t cap = 16;
    while (cap < 2 * n) cap *= 2;
    if (cap > (size_t)1 << 31) return ei_error(EI_ERR_FORMAT, "vocabulary too large");
    *slots = malloc(cap * sizeof **slots);
    if (!*slots) return ei_error(EI_ERR_NOMEM, "out of memory");
    memset(*slots, 0xff, cap * sizeof **slots);
    *mask = (uint32_t)(cap - 1);
    return EI_OK;
}

/* Optional key: EI_OK with *found false if absent; a type error names the key. */
static ei_status opt_str(const ei_gguf *g, const char *key, const char **out) {
    *out = NULL;
    ei_status s = ei_gguf_get_str(g, key, out);
    if (s == EI_ERR_NOT_FOUND) {
        *out = NULL;
        return EI_OK;
    }
    return s;
}

static ei_status opt_bool(const ei_gguf *g, const char *key, bool *out) {
    bool b;
    ei_status s = ei_gguf_get_bool(g, key, &b);
    if (s == EI_ERR_NOT_FOUND) return EI_OK;
    if (s) return s;
    *out = b;
    return EI_OK;
}

/* ---- per-model and per-pre-tokenizer settings ----------------------------- */

enum {
    P_IGNORE_MERGES = 1 << 0,
    P_NO_CLEAN = 1 << 1,
    P_ADD_BOS = 1 << 2,
    P_ESCAPE_WS = 1 << 3,
    P_ADD_SEP = 1 << 4,
    P_NO_BOS = 1 << 5,
    P_RAW_BYTES = 1 << 6,
    P_GEMMA4 = 1 << 7,
};

typedef struct pre_rule {
    const char *name;
    unsigned flags;
} pre_rule;

/* The BPE pre-tokenizer names llama.cpp knows and what each switches on
 * besides its split rules (those are pretokenize.c's business). */
static const pre_rule pre_rules[] = {
    {"default", 0},
    {"minicpm5", P_IGNORE_MERGES},
    {"llama3", P_IGNORE_MERGES | P_ADD_BOS},
    {"llama-v3", P_IGNORE_MERGES | P_ADD_BOS},
    {"llama-bpe", P_IGNORE_MERGES | P_ADD_BOS},
    {"falcon3", P_IGNORE_MERGES | P_ADD_BOS},
    {"falcon-h1", P_IGNORE_MERGES | P_ADD_BOS},
    {"pixtral", P_IGNORE_MERGES | P_ADD_BOS},
    {"midm-2.0", P_IGNORE_MERGES | P_ADD_BOS},
    {"lfm2", P_IGNORE_MERGES | P_ADD_BOS},
    {"jina-v5-nano", P_IGNORE_MERGES | P_ADD_BOS},
    {"deepseek-llm", P_NO_CLEAN},
    {"deepseek-coder", P_NO_CLEAN},
    {"deepseek-v3", P_NO_CLEAN},
    {"spark2_5", P_NO_CLEAN},
    {"youtu", P_NO_CLEAN | P_IGNORE_MERGES},
    {"falcon", 0},
    {"mpt", 0},
    {"starcoder", 0},
    {"gpt-2", 0},
    {"phi-2", 0},
    {"jina-es", 0},
    {"jina-de", 0},
    {"gigachat", 0},
    {"jina-v2-es", 0},
    {"jina-v2-de", 0},
    {"a.x-4.0", 0},
    {"mellum", 0},
    {"modern-bert", 0},
    {"jais-2", 0},
    {"gemma4", P_ESCAPE_WS | P_RAW_BYTES | P_GEMMA4},
    {"granite-embed-multi-311m", P_ESCAPE_WS | P_RAW_BYTES | P_GEMMA4},
    {"sarvam-moe", P_ESCAPE_WS | P_NO_CLEAN | P_RAW_BYTES},
    {"jina-v1-en", P_ADD_SEP},
    {"jina-v2-code", P_ADD_SEP},
    {"roberta-bpe", P_ADD_SEP},
    {"whitespace", P_RAW_BYTES},
    {"refact", 0},
    {"command-r", P_NO_CLEAN},
    {"qwen2", P_NO_CLEAN},
    {"deepseek-r1-qwen", P_NO_CLEAN},
    {"kormo", P_NO_CLEAN},
    {"f2llmv2", P_NO_CLEAN},
    {"qwen35", P_NO_CLEAN},
    {"stablelm2", 0},
    {"olmo", 0},
    {"dbrx", 0},
    {"smaug-bpe", 0},
    {"poro-chat", P_NO_CLEAN},
    {"chatglm-bpe", P_NO_BOS},
    {"glm4", P_NO_BOS | P_IGNORE_MERGES},
    {"glm5", P_NO_BOS | P_IGNORE_MERGES},
    {"viking", P_NO_CLEAN},
    {"jais", 0},
    {"tekken", P_NO_CLEAN | P_IGNORE_MERGES | P_ADD_BOS},
    {"smollm", P_NO_CLEAN},
    {"codeshell", 0},
    {"bloom", 0},
    {"gpt3-finnish", 0},
    {"exaone", 0},
    {"exaone4", 0},
    {"exaone-moe", 0},
    {"chameleon", P_ADD_BOS | P_NO_CLEAN},
    {"minerva-7b", 0},
    {"megrez", 0},
    {"gpt-4o", P_NO_CLEAN},
    {"llama4", P_NO_CLEAN},
    {"kanana2", P_NO_CLEAN},
    {"talkie", P_NO_CLEAN},
    {"granite-embed-multi-97m", P_NO_CLEAN | P_IGNORE_MERGES},
    {"tiny_aya", P_NO_CLEAN},
    {"cohere2moe", P_NO_CLEAN},
    {"superbpe", P_NO_CLEAN},
    {"trillion", P_NO_CLEAN},
    {"granite-docling", P_NO_CLEAN},
    {"bailingmoe", P_NO_CLEAN},
    {"bailingmoe2", P_NO_CLEAN},
    {"llada-moe", P_NO_CLEAN},
    {"seed-coder", P_NO_CLEAN},
    {"hunyuan", P_NO_CLEAN},
    {"hunyuan-dense", P_NO_CLEAN},
    {"hy_v4", P_NO_CLEAN},
    {"joyai-llm", P_NO_CLEAN},
    {"kimi-k2", P_NO_CLEAN},
    {"ufakzeka", P_NO_CLEAN},
    {"grok-2", P_NO_CLEAN},
    {"afmoe", P_NO_CLEAN},
    {"laguna", P_NO_CLEAN},
    {"minimax-m2", P_NO_CLEAN},
    {"solar-open", P_NO_CLEAN},
    {"mellum2", 0},
};

static const pre_rule *find_pre(const char *name) {
    for (size_t i = 0; i < sizeof pre_rules / sizeof pre_rules[0]; i++)
        if (!strcmp(pre_rules[i].name, name)) return &pre_rules[i];
    return NULL;
}

/* Type and flags from tokenizer.ggml.model (and .pre for BPE). */
static ei_status set_model(ei_vocab *v, const char *model, const char *pre) {
    v->bos = v->eos = v->eot = v->eom = v->unk = v->sep = v->pad = v->mask = -1;
    v->fim_pre = v->fim_suf = v->fim_mid = v->fim_pad = v->fim_rep = v->fim_sep = -1;
    v->escape_whitespaces = true;
    v->lowercase = true;
    if (!strcmp(model, "llama")) {
        v->type = EI_VOCAB_SPM;
        v->bos = 1, v->eos = 2, v->unk = 0;
        v->add_space_prefix = true;
        v->add_bos = true;
        return EI_OK;
    }
    if (!strcmp(model, "bert")) {
        v->type = EI_VOCAB_WPM;
        v->bos = 101, v->unk = 100, v->sep = 102, v->pad = 0, v->mask = 103;
        v->clean_spaces = true;
        v->add_bos = true;
        v->add_sep = true;
        return EI_OK;
    }
    bool gemma4 = !strcmp(model, "gemma4");
    if (strcmp(model, "gpt2") && !gemma4) {
        const char *known = !strcmp(model, "t5")       ? "UGM (T5)"
                            : !strcmp(model, "rwkv")   ? "RWKV"
                            : !strcmp(model, "plamo2") ? "PLaMo-2"
                            : (!strcmp(model, "no_vocab") || !strcmp(model, "none")) ? "no vocabulary"
                            : (!strcmp(model, "hybriddna") || !strcmp(model, "whitespace")) ? "BPE variant"
                                                                                            : NULL;
        if (known)
            return ei_error(EI_ERR_UNSUPPORTED,
                            "key \"" KEY("model") "\": tokenizer \"%s\" (%s) is not supported "
                            "(supported: llama, gpt2, bert)",
                            model, known);
        return ei_error(EI_ERR_UNSUPPORTED,
                        "key \"" KEY("model") "\": unknown tokenizer \"%s\" (supported: llama, gpt2, bert)", model);
    }
    v->type = EI_VOCAB_BPE;
    if (!gemma4) v->bos = 11, v->eos = 11;
    if (gemma4) pre = "gemma4";
    if (!pre) pre = "default";
    const pre_rule *r = find_pre(pre);
    if (!r) return ei_error(EI_ERR_UNSUPPORTED, "key \"" KEY("pre") "\": unknown pre-tokenizer \"%s\"", pre);
    snprintf(v->pre, sizeof v->pre, "%s", pre);
    v->add_space_prefix = false;
    v->escape_whitespaces = (r->flags & P_ESCAPE_WS) != 0;
    v->clean_spaces = !(r->flags & P_NO_CLEAN);
    v->ignore_merges = (r->flags & P_IGNORE_MERGES) != 0;
    v->add_bos = (r->flags & P_ADD_BOS) != 0;
    v->add_sep = (r->flags & P_ADD_SEP) != 0;
    v->byte_encode = !(r->flags & P_RAW_BYTES);
    v->gemma4 = (r->flags & P_GEMMA4) != 0;
    if (r->flags & P_NO_BOS) v->bos = -1;
    if (!strcmp(pre, "whitespace")) v->lowercase = false;
    return EI_OK;
}

/* ---- tokens, scores, types ------------------------------------------------- */

/* GGUF token types, and the attribute each becomes. */
static uint32_t type_to_attr(int64_t t) {
    switch (t) {
    case 1: return EI_TATTR_NORMAL;
    case 2: return EI_TATTR_UNKNOWN;
    case 3: return EI_TATTR_CONTROL;
    case 4: return EI_TATTR_USER_DEFINED;
    case 5: return EI_TATTR_UNUSED;
    case 6: return EI_TATTR_BYTE;
    default: return EI_TATTR_UNDEFINED;
    }
}

static ei_status get_array(const ei_gguf *g, const char *key, bool required, const ei_gguf_value **out) {
    *out = NULL;
    ei_status s = ei_gguf_get_arr(g, key, out);
    if (s == EI_ERR_NOT_FOUND) {
        *out = NULL;
        return required ? ei_error(EI_ERR_FORMAT, "missing key \"%s\"", key) : EI_OK;
    }
    return s;
}

static ei_status load_tokens(ei_vocab *v, const ei_gguf *g) {
    const ei_gguf_value *toks, *scores, *types;
    ei_status s = get_array(g, KEY("tokens"), true, &toks);
    if (s) return s;
    if (toks->v.arr.elem_type != EI_GGUF_STRING)
        return ei_error(EI_ERR_TYPE, "key \"" KEY("tokens") "\": array of %s, expected strings",
                        ei_gguf_type_name(toks->v.arr.elem_type));
    uint64_t n = toks->v.arr.n;
    if (n == 0) return ei_error(EI_ERR_FORMAT, "key \"" KEY("tokens") "\": empty vocabulary");
    if (n >= (uint64_t)1 << 30) return ei_error(EI_ERR_FORMAT, "key \"" KEY("tokens") "\": %llu tokens is too many",
                                                (unsigned long long)n);
    if ((s = get_array(g, KEY("scores"), false, &scores))) return s;
    if (scores) {
        ei_gguf_type t = scores->v.arr.elem_type;
        if (t != EI_GGUF_FLOAT32 && t != EI_GGUF_INT32)
            return ei_error(EI_ERR_TYPE, "key \"" KEY("scores") "\": array of %s, expected float32",
                            ei_gguf_type_name(t));
        if (scores->v.arr.n != n)
            return ei_error(EI_ERR_FORMAT, "key \"" KEY("scores") "\": %llu entries for %llu tokens",
                            (unsigned long long)scores->v.arr.n, (unsigned long long)n);
    }
    if ((s = get_array(g, KEY("token_type"), false, &types))) return s;
    if (types) {
        if (types->v.arr.elem_type != EI_GGUF_INT32)
            return ei_error(EI_ERR_TYPE, "key \"" KEY("token_type") "\": array of %s, expected int32",
                            ei_gguf_type_name(types->v.arr.elem_type));
        if (types->v.arr.n != n)
            return ei_error(EI_ERR_FORMAT, "key \"" KEY("token_type") "\": %llu entries for %llu tokens",
                            (unsigned long long)types->v.arr.n, (unsigned long long)n);
    }

    v->n_tokens = (int32_t)n;
    v->tok = calloc(n, sizeof *v->tok);
    if (!v->tok) return ei_error(EI_ERR_NOMEM, "out of memory");
    /* Texts end at their first NUL, as llama.cpp reads them; an empty one
     * becomes "[EMPTY_<id>]". */
    size_t total = 0;
    for (uint64_t i = 0; i < n; i++) {
        ei_gguf_str str;
        if ((s = ei_gguf_arr_str(toks, i, &str))) return s;
        size_t len = strnlen(str.ptr, (size_t)str.len);
        total += (len ? len : 32) + 1;
    }
    v->text_buf = malloc(total);
    if (!v->text_buf) return ei_error(EI_ERR_NOMEM, "out of memory");
    if ((s = make_slots(n, &v->tok_slots, &v->tok_mask))) return s;
    char *p = v->text_buf;
    for (uint64_t i = 0; i < n; i++) {
        ei_gguf_str str;
        ei_gguf_arr_str(toks, i, &str);
        size_t len = strnlen(str.ptr, (size_t)str.len);
        if (len) memcpy(p, str.ptr, len);
        else len = (size_t)snprintf(p, 32, "[EMPTY_%llu]", (unsigned long long)i);
        p[len] = '\0';
        ei_vtoken *t = &v->tok[i];
        t->text = p;
        t->len = (uint32_t)len;
        p += len + 1;
        if (scores) {
            double x = 0;
            int64_t xi = 0;
            if (scores->v.arr.elem_type == EI_GGUF_FLOAT32) ei_gguf_arr_float(scores, i, &x);
            else if (ei_gguf_arr_int(scores, i, &xi) == EI_OK) x = (double)xi;
            t->score = (float)x;
        }
        t->attr = EI_TATTR_NORMAL;
        if (types) {
            int64_t ty = 0;
            ei_gguf_arr_int(types, i, &ty);
            t->attr = type_to_attr(ty);
        }
        if ((int32_t)len > v->max_token_len) v->max_token_len = (int32_t)len;
        uint32_t h = (uint32_t)ei_vocab_hash(EI_HASH_INIT, t->text, len) & v->tok_mask;
        while (v->tok_slots[h] >= 0) {
            const ei_vtoken *o = &v->tok[v->tok_slots[h]];
            if (o->len == len && !memcmp(o->text, t->text, len))
                return ei_error(EI_ERR_FORMAT, "key \"" KEY("tokens") "\": duplicate token \"%.64s\" at ids %d and %llu",
                                t->text, v->tok_slots[h], (unsigned long long)i);
            h = (h + 1) & v->tok_mask;
        }
        v->tok_slots[h] = (int32_t)i;
    }
    return EI_OK;
}

static ei_status load_merges(ei_vocab *v, const ei_gguf *g, bool required) {
    const ei_gguf_value *arr;
    ei_status s = get_array(g, KEY("merges"), required, &arr);
    if (s || !arr) return s;
    if (arr->v.arr.elem_type != EI_GGUF_STRING)
        return ei_error(EI_ERR_TYPE, "key \"" KEY("merges") "\": array of %s, expected strings",
                        ei_gguf_type_name(arr->v.arr.elem_type));
    uint64_t n = arr->v.arr.n;
    if (n >= (uint64_t)1 << 30) return ei_error(EI_ERR_FORMAT, "key \"" KEY("merges") "\": too many merges");
    size_t total = 1;
    for (uint64_t i = 0; i < n; i++) {
        ei_gguf_str str;
        if ((s = ei_gguf_arr_str(arr, i, &str))) return s;
        total += strnlen(str.ptr, (size_t)str.len) + 1;
    }
    v->n_merges = (int32_t)n;
    v->merge = calloc(n ? n : 1, sizeof *v->merge);
    v->merge_buf = malloc(total);
    if (!v->merge || !v->merge_buf) return ei_error(EI_ERR_NOMEM, "out of memory");
    if ((s = make_slots(n, &v->merge_slots, &v->merge_mask))) return s;
    char *p = v->merge_buf;
    for (uint64_t i = 0; i < n; i++) {
        ei_gguf_str str;
        ei_gguf_arr_str(arr, i, &str);
        size_t len = strnlen(str.ptr, (size_t)str.len);
        memcpy(p, str.ptr, len);
        p[len] = '\0';
        /* "left right", split at the first space after the first byte; a
         * merge without one pairs two empty texts, which never match */
        const char *sp = len > 1 ? memchr(p + 1, ' ', len - 1) : NULL;
        ei_vmerge *m = &v->merge[i];
        if (sp) {
            m->left = p;
            m->llen = (uint32_t)(sp - p);
            m->right = sp + 1;
            m->rlen = (uint32_t)(len - m->llen - 1);
        } else {
            m->left = m->right = p + len;
        }
        p += len + 1;
        if (!sp) continue;
        /* the first of two equal merges keeps its rank */
        if (ei_vocab_merge_rank(v, m->left, m->llen, m->right, m->rlen) >= 0) continue;
        uint32_t h = (uint32_t)pair_hash(m->left, m->llen, m->right, m->rlen) & v->merge_mask;
        while (v->merge_slots[h] >= 0) h = (h + 1) & v->merge_mask;
        v->merge_slots[h] = (int32_t)i;
    }
    return EI_OK;
}

/* ---- special tokens -------------------------------------------------------- */

typedef struct id_key {
    const char *key;
    size_t field; /* offsetof into ei_vocab */
} id_key;

#define F(x) offsetof(ei_vocab, x)
static const id_key id_keys[] = {
    {KEY("bos_token_id"), F(bos)},
    {KEY("eos_token_id"), F(eos)},
    {KEY("eot_token_id"), F(eot)},
    {KEY("eom_token_id"), F(eom)},
    {KEY("unknown_token_id"), F(unk)},
    {KEY("seperator_token_id"), F(sep)},
    {KEY("padding_token_id"), F(pad)},
    {KEY("mask_token_id"), F(mask)},
    {KEY("fim_pre_token_id"), F(fim_pre)},
    {KEY("fim_suf_token_id"), F(fim_suf)},
    {KEY("fim_mid_token_id"), F(fim_mid)},
    {KEY("fim_pad_token_id"), F(fim_pad)},
    {KEY("fim_rep_token_id"), F(fim_rep)},
    {KEY("fim_sep_token_id"), F(fim_sep)},
    /* deprecated spellings of the FIM ids */
    {KEY("prefix_token_id"), F(fim_pre)},
    {KEY("suffix_token_id"), F(fim_suf)},
    {KEY("middle_token_id"), F(fim_mid)},
};
#undef F

static ei_status load_special_ids(ei_vocab *v, const ei_gguf *g) {
    for (size_t i = 0; i < sizeof id_keys / sizeof id_keys[0]; i++) {
        int32_t *id = (int32_t *)((char *)v + id_keys[i].field);
        if (*id >= v->n_tokens) *id = -1; /* a default beyond this vocabulary */
        int64_t x;
        ei_status s = ei_gguf_get_int(g, id_keys[i].key, &x);
        if (s == EI_ERR_NOT_FOUND) continue;
        if (s) return s;
        if (x < 0 || x >= v->n_tokens)
            return ei_error(EI_ERR_FORMAT, "key \"%s\": token id %lld outside the vocabulary of %d tokens",
                            id_keys[i].key, (long long)x, v->n_tokens);
        *id = (int32_t)x;
    }
    ei_status s;
    if ((s = opt_bool(g, KEY("add_bos_token"), &v->add_bos))) return s;
    if ((s = opt_bool(g, KEY("add_eos_token"), &v->add_eos))) return s;
    if ((s = opt_bool(g, KEY("add_sep_token"), &v->add_sep))) return s;
    if (v->gemma4) v->add_bos = true;
    /* add_bos with no BOS id loads (as in llama.cpp, which would abort when
     * tokenizing); tokenizing then adds nothing */
    if ((s = opt_bool(g, KEY("normalizer.lowercase"), &v->lowercase))) return s;
    v->strip_accents = v->lowercase;
    if ((s = opt_bool(g, KEY("normalizer.strip_accents"), &v->strip_accents))) return s;
    return EI_OK;
}

static bool text_is(const ei_vtoken *t, const char *s) { return t->len == strlen(s) && !memcmp(t->text, s, t->len); }

static bool text_in(const ei_vtoken *t, const char *const *list) {
    for (; *list; list++)
        if (text_is(t, *list)) return true;
    return false;
}

/* Token texts llama.cpp takes for special ids the file does not give. */
static const char *const eot_texts[] = {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
                                        "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]",
                                        "<\xef\xbd\x9c" "end\xe2\x96\x81" "of\xe2\x96\x81" "sentence\xef\xbd\x9c>",
                                        "<end_of_utterance>", NULL};
static const char *const eom_texts[] = {"<|eom_id|>", NULL};
static const char *const fim_pre_texts[] = {"<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>",
                                            "<\xef\xbd\x9c" "fim\xe2\x96\x81" "begin\xef\xbd\x9c>",
                                            "<PRE>", "\xe2\x96\x81<PRE>", "<|code_prefix|>", "<|prefix|>", NULL};
static const char *const fim_suf_texts[] = {"<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>",
                                            "<\xef\xbd\x9c" "fim\xe2\x96\x81" "hole\xef\xbd\x9c>",
                                            "<SUF>", "\xe2\x96\x81<SUF>", "<|code_suffix|>", "<|suffix|>", NULL};
static const char *const fim_mid_texts[] = {"<|fim_middle|>", "<fim-middle>", "<fim_middle>",
                                            "<\xef\xbd\x9c" "fim\xe2\x96\x81" "end\xef\xbd\x9c>",
                                            "<MID>", "\xe2\x96\x81<MID>", "<|code_middle|>", "<|middle|>", NULL};
static const char *const fim_pad_texts[] = {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]", NULL};
static const char *const fim_rep_texts[] = {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>", NULL};
static const char *const fim_sep_texts[] = {"<|file_sep|>", NULL};
/* Texts that end generation (llama.cpp's special_eog_ids, by text). */
static const char *const eog_texts[] = {"<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>",
                                        "<|calls|>", "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>",
                                        "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>", "<end_of_utterance>", "<eos>",
                                        "<turn|>", "<|tool_response>",
                                        "<\xef\xbd\x9c" "end\xe2\x96\x81" "of\xe2\x96\x81" "sentence\xef\xbd\x9c>",
                                        "[e~[", NULL};

/* A special id found by text is made a control token, as llama.cpp does. */
static void detect(ei_vocab *v, int32_t *id, const char *const *texts) {
    if (*id >= 0) return;
    for (int32_t i = 0; i < v->n_tokens; i++)
        if (text_in(&v->tok[i], texts)) {
            *id = i;
            v->tok[i].attr |= EI_TATTR_CONTROL;
            return;
        }
}

static int cmp_id(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static ei_status eog_add(ei_vocab *v, int32_t id) {
    if (id < 0) return EI_OK;
    for (int32_t i = 0; i < v->n_eog; i++)
        if (v->eog[i] == id) return EI_OK;
    int32_t *e = realloc(v->eog, (size_t)(v->n_eog + 1) * sizeof *e);
    if (!e) return ei_error(EI_ERR_NOMEM, "out of memory");
    v->eog = e;
    v->eog[v->n_eog++] = id;
    return EI_OK;
}

static void eog_remove(ei_vocab *v, int32_t id) {
    for (int32_t i = 0; i < v->n_eog; i++)
        if (v->eog[i] == id) {
            v->eog[i] = v->eog[--v->n_eog];
            return;
        }
}

typedef struct len_id {
    uint32_t len;
    int32_t id;
} len_id;

/* Longest text first; equal lengths by id, so the order is deterministic. */
static int cmp_special(const void *a, const void *b) {
    const len_id *x = a, *y = b;
    if (x->len != y->len) return x->len > y->len ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

static bool contains(const char *hay, const char *needle) { return hay && strstr(hay, needle) != NULL; }

static void set_attr(ei_vocab *v, const char *text, uint32_t attr, bool on) {
    int32_t id = ei_vocab_find(v, text, strlen(text));
    if (id < 0) return;
    if (on) v->tok[id].attr |= attr;
    else v->tok[id].attr &= ~attr;
}

static ei_status finish_specials(ei_vocab *v, const ei_gguf *g) {
    detect(v, &v->eot, eot_texts);
    detect(v, &v->eom, eom_texts);
    detect(v, &v->fim_pre, fim_pre_texts);
    detect(v, &v->fim_suf, fim_suf_texts);
    detect(v, &v->fim_mid, fim_mid_texts);
    detect(v, &v->fim_pad, fim_pad_texts);
    detect(v, &v->fim_rep, fim_rep_texts);
    detect(v, &v->fim_sep, fim_sep_texts);
    /* control tokens named "unused..." are unused */
    for (int32_t i = 0; i < v->n_tokens; i++)
        if ((v->tok[i].attr & EI_TATTR_CONTROL) && strstr(v->tok[i].text, "unused")) v->tok[i].attr |= EI_TATTR_UNUSED;

    ei_status s;
    if ((s = eog_add(v, v->fim_pad)) || (s = eog_add(v, v->fim_rep)) || (s = eog_add(v, v->fim_sep))) return s;
    for (int32_t i = 0; i < v->n_tokens; i++)
        if (text_in(&v->tok[i], eog_texts)) {
            if ((s = eog_add(v, i))) return s;
            v->tok[i].attr |= EI_TATTR_CONTROL;
        }
    /* gpt-oss: these are always rendered */
    static const char *const gpt_oss[] = {"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>", NULL};
    for (int32_t i = 0; i < v->n_tokens; i++)
        if (text_in(&v->tok[i], gpt_oss)) v->tok[i].attr = EI_TATTR_USER_DEFINED;
    if ((s = eog_add(v, v->eos)) || (s = eog_add(v, v->eot)) || (s = eog_add(v, v->eom))) return s;
    /* harmony and solar-open: with <|return|> and <|call|> (or <|calls|> and
     * <|flush|>), <|end|> ends a message, not generation */
    bool has_return = false, has_call = false, has_flush = false;
    int32_t end_id = -1;
    for (int32_t i = 0; i < v->n_eog; i++) {
        const ei_vtoken *t = &v->tok[v->eog[i]];
        if (text_is(t, "<|return|>")) has_return = true;
        else if (text_is(t, "<|call|>") || text_is(t, "<|calls|>")) has_call = true;
        else if (text_is(t, "<|flush|>")) has_flush = true;
        else if (text_is(t, "<|end|>")) end_id = v->eog[i];
    }
    if (end_id >= 0 && has_call && (has_return || has_flush)) {
        eog_remove(v, end_id);
        v->tok[end_id].attr = EI_TATTR_USER_DEFINED;
    }
    /* gemma4 and paddleocr: </s> is not an end of generation beside <|tool_response> */
    bool has_tool_response = false;
    int32_t s_id = -1;
    for (int32_t i = 0; i < v->n_eog; i++) {
        const ei_vtoken *t = &v->tok[v->eog[i]];
        if (text_is(t, "<|tool_response>")) has_tool_response = true;
        else if (text_is(t, "</s>")) s_id = v->eog[i];
    }
    if (has_tool_response && s_id >= 0) {
        eog_remove(v, s_id);
        v->tok[s_id].attr = EI_TATTR_NORMAL;
    }
    if (v->n_eog) qsort(v->eog, (size_t)v->n_eog, sizeof *v->eog, cmp_id);

    /* the tokens matched in the text before tokenizing */
    v->special = malloc((size_t)v->n_tokens * sizeof *v->special);
    len_id *order = malloc((size_t)v->n_tokens * sizeof *order);
    if (!v->special || !order) {
        free(order);
        return ei_error(EI_ERR_NOMEM, "out of memory");
    }
    for (int32_t i = 0; i < v->n_tokens; i++)
        if (v->tok[i].attr & (EI_TATTR_CONTROL | EI_TATTR_USER_DEFINED | EI_TATTR_UNKNOWN))
            order[v->n_special++] = (len_id){v->tok[i].len, i};
    if (v->n_special) qsort(order, (size_t)v->n_special, sizeof *order, cmp_special);
    for (int32_t i = 0; i < v->n_special; i++) v->special[i] = order[i].id;
    free(order);

    /* per-model lstrip/rstrip attributes, by name as llama.cpp sets them */
    const char *name = NULL, *pre = NULL, *arch = NULL;
    if ((s = opt_str(g, "general.name", &name)) || (s = opt_str(g, KEY("pre"), &pre)) ||
        (s = opt_str(g, "general.architecture", &arch)))
        return s;
    char lname[256] = "";
    if (name) {
        size_t k = 0;
        for (; name[k] && k + 1 < sizeof lname; k++) lname[k] = (char)tolower((unsigned char)name[k]);
        lname[k] = '\0';
    }
    if (contains(pre, "jina-v2-de") || contains(pre, "jina-v2-es") || contains(pre, "jina-v2-code") ||
        contains(arch, "nomic-bert-moe") || contains(arch, "jina-bert-v3")) {
        set_attr(v, "<mask>", EI_TATTR_LSTRIP, true);
    } else if (contains(lname, "phi-3") || contains(lname, "phi3")) {
        for (int32_t i = 0; i < v->n_special; i++) v->tok[v->special[i]].attr |= EI_TATTR_RSTRIP;
        set_attr(v, "</s>", EI_TATTR_RSTRIP, true);
        set_attr(v, "<unk>", EI_TATTR_RSTRIP, false);
        set_attr(v, "<s>", EI_TATTR_RSTRIP, false);
        set_attr(v, "<|endoftext|>", EI_TATTR_RSTRIP, false);
    } else if (contains(lname, "modern-bert")) {
        set_attr(v, "[MASK]", EI_TATTR_LSTRIP, true);
    }
    return EI_OK;
}

/* The fallback token of each byte. */
static void byte_tokens(ei_vocab *v) {
    static const char hex[] = "0123456789ABCDEF";
    for (int b = 0; b < 256; b++) {
        char sp[7] = {'<', '0', 'x', hex[b >> 4], hex[b & 15], '>', 0};
        char raw[1] = {(char)b};
        int32_t id = -1;
        if (v->type == EI_VOCAB_SPM) {
            id = ei_vocab_find(v, sp, 6);
            if (id < 0) id = ei_vocab_find(v, raw, 1);
        } else if (v->type == EI_VOCAB_BPE) {
            id = v->byte_encode ? ei_vocab_find(v, raw, 1) : ei_vocab_find(v, sp, 6);
        }
        v->byte_tok[b] = id;
    }
}

/* ---- public ---------------------------------------------------------------- */

ei_status ei_vocab_load(const ei_gguf *g, ei_vocab **out) {
    if (!g || !out) return ei_error(EI_ERR_ARG, "ei_vocab_load: NULL argument");
    *out = NULL;
    const char *model = NULL, *pre = NULL;
    ei_status s = ei_gguf_get_str(g, KEY("model"), &model);
    if (s == EI_ERR_NOT_FOUND) return ei_error(EI_ERR_FORMAT, "missing key \"" KEY("model") "\"");
    if (s) return s;
    if ((s = opt_str(g, KEY("pre"), &pre))) return s;
    ei_vocab *v = calloc(1, sizeof *v);
    if (!v) return ei_error(EI_ERR_NOMEM, "out of memory");
    if (!s) s = set_model(v, model, pre);
    if (!s) s = opt_bool(g, KEY("add_space_prefix"), &v->add_space_prefix);
    if (!s) s = opt_bool(g, KEY("remove_extra_whitespaces"), &v->remove_extra_whitespaces);
    if (!s) s = load_tokens(v, g);
    if (!s && v->type == EI_VOCAB_BPE) s = load_merges(v, g, strcmp(v->pre, "kimi-k2") != 0);
    if (!s && v->type == EI_VOCAB_BPE) s = ei_pretok_new(v->pre, &v->pretok);
    if (!s) s = load_special_ids(v, g);
    if (!s) s = finish_specials(v, g);
    if (s) {
        ei_vocab_free(v);
        return s;
    }
    byte_tokens(v);
    *out = v;
    return EI_OK;
}

void ei_vocab_free(ei_vocab *v) {
    if (!v) return;
    free(v->tok);
    free(v->text_buf);
    free(v->tok_slots);
    free(v->merge);
    free(v->merge_buf);
    free(v->merge_slots);
    ei_pretok_free(v->pretok);
    free(v->special);
    free(v->eog);
    free(v);
}

int32_t ei_vocab_n_tokens(const ei_vocab *v) { return v ? v->n_tokens : 0; }
int32_t ei_vocab_bos(const ei_vocab *v) { return v ? v->bos : -1; }
int32_t ei_vocab_eos(const ei_vocab *v) { return v ? v->eos : -1; }
bool ei_vocab_adds_bos(const ei_vocab *v) { return v && v->add_bos && v->bos >= 0; }

bool ei_vocab_is_eog(const ei_vocab *v, int32_t token) {
    if (!v || token < 0) return false;
    int32_t lo = 0, hi = v->n_eog;
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (v->eog[mid] == token) return true;
        if (v->eog[mid] < token) lo = mid + 1;
        else hi = mid;
    }
    return false;
}
