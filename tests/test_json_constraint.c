/*
 * test_json_constraint.c — the JSON recognizer behind the server's
 * response_format {"type": "json_object"} (tools/serve/json_constraint.c).
 *
 * - valid object texts are accepted byte by byte and end "done"; every
 *   proper prefix of them is accepted and not done;
 * - invalid texts (each class: grammar, numbers, literals, escapes, UTF-8,
 *   control characters, depth, whitespace runs, trailing bytes) are refused;
 * - on thousands of random mutations of valid texts the recognizer agrees
 *   with an independent recursive-descent validator written here;
 * - jc_mask leaves exactly the tokens whose text may follow, only
 *   end-of-generation tokens once the object is closed, and a random walk
 *   through allowed tokens always yields a valid object.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
/* a module of the edgeinfer command, not of the library: compiled in here */
#include "../tools/serve/json_constraint.c"

/* ---- an independent validator -------------------------------------------- */

typedef struct rd {
    const unsigned char *p, *end;
    int depth;
} rd;

static void rd_ws(rd *r) {
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')) r->p++;
}

static int rd_value(rd *r);

static int rd_string(rd *r) {
    if (r->p >= r->end || *r->p != '"') return 0;
    r->p++;
    while (r->p < r->end) {
        unsigned c = *r->p++;
        if (c == '"') return 1;
        if (c < 0x20) return 0;
        if (c == '\\') {
            if (r->p >= r->end) return 0;
            c = *r->p++;
            if (c == 'u') {
                for (int i = 0; i < 4; i++, r->p++)
                    if (r->p >= r->end || !strchr("0123456789abcdefABCDEF", *r->p) || !*r->p) return 0;
            } else if (!c || !strchr("\"\\/bfnrt", (int)c)) {
                return 0;
            }
            continue;
        }
        if (c < 0x80) continue;
        /* decode the code point and check it is minimal, not a surrogate, in range */
        int n = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : -1;
        if (n < 0 || c > 0xF4) return 0;
        uint32_t cp = c & (0x3F >> n);
        for (int i = 0; i < n; i++) {
            if (r->p >= r->end || (*r->p & 0xC0) != 0x80) return 0;
            cp = cp << 6 | (*r->p++ & 0x3F);
        }
        uint32_t min = n == 1 ? 0x80 : n == 2 ? 0x800 : 0x10000;
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    }
    return 0;
}

static int rd_digits(rd *r) {
    const unsigned char *s = r->p;
    while (r->p < r->end && *r->p >= '0' && *r->p <= '9') r->p++;
    return r->p > s;
}

static int rd_number(rd *r) {
    if (r->p < r->end && *r->p == '-') r->p++;
    if (r->p < r->end && *r->p == '0') r->p++;
    else if (!rd_digits(r)) return 0;
    if (r->p < r->end && *r->p == '.') {
        r->p++;
        if (!rd_digits(r)) return 0;
    }
    if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
        r->p++;
        if (r->p < r->end && (*r->p == '+' || *r->p == '-')) r->p++;
        if (!rd_digits(r)) return 0;
    }
    return 1;
}

static int rd_container(rd *r, char open) {
    char close = open == '{' ? '}' : ']';
    if (++r->depth > JC_MAX_DEPTH) return 0;
    r->p++;
    rd_ws(r);
    if (r->p < r->end && *r->p == close) {
        r->p++;
        r->depth--;
        return 1;
    }
    for (;;) {
        if (open == '{') {
            if (!rd_string(r)) return 0;
            rd_ws(r);
            if (r->p >= r->end || *r->p++ != ':') return 0;
        }
        if (!rd_value(r)) return 0;
        rd_ws(r);
        if (r->p >= r->end) return 0;
        unsigned char c = *r->p++;
        if (c == (unsigned char)close) break;
        if (c != ',') return 0;
        rd_ws(r);
    }
    r->depth--;
    return 1;
}

static int rd_value(rd *r) {
    rd_ws(r);
    if (r->p >= r->end) return 0;
    unsigned char c = *r->p;
    if (c == '{' || c == '[') return rd_container(r, (char)c);
    if (c == '"') return rd_string(r);
    if (c == '-' || (c >= '0' && c <= '9')) return rd_number(r);
    const char *lits[] = {"true", "false", "null"};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(lits[i]);
        if ((size_t)(r->end - r->p) >= n && !memcmp(r->p, lits[i], n)) {
            r->p += n;
            return 1;
        }
    }
    return 0;
}

/* Is s a JSON object text (leading whitespace allowed, nothing after)? The
 * whitespace-run limit is the recognizer's own rule and is checked apart. */
static int reference_valid(const char *s, size_t n) {
    rd r = {(const unsigned char *)s, (const unsigned char *)s + n, 0};
    rd_ws(&r);
    if (r.p >= r.end || *r.p != '{') return 0;
    return rd_container(&r, '{') && r.p == r.end;
}

static size_t longest_ws_run(const char *s, size_t n) {
    size_t best = 0, run = 0;
    int in_str = 0, esc = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            if (esc) esc = 0;
            else if (c == '\\') esc = 1;
            else if (c == '"') in_str = 0;
            continue;
        }
        if (c == '"') in_str = 1;
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            if (++run > best) best = run;
        } else {
            run = 0;
        }
    }
    return best;
}

/* ---- helpers --------------------------------------------------------------- */

static int accepts_whole(const char *s, size_t n, int *done) {
    jc_state st;
    jc_init(&st);
    int ok = jc_push(&st, s, n);
    *done = ok && jc_done(&st);
    return ok;
}

static const char *valid_docs[] = {
    "{}",
    " \n\t{ }",
    "{\"a\":1}",
    "{\"a\": -0.5e+10, \"b\": [true, false, null], \"c\": {\"d\": \"e\"}}",
    "{\"k\":[[],[{}],[1,2.0,3e4,-0,0.25E-3]]}",
    "{\"esc\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\uD83D\\uDE00\"}",
    "{\"utf8\":\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80 \xed\x9f\xbf \xf4\x8f\xbf\xbf\"}",
    "{\"\":\"\"}",
    "{\"n\":123456789012345678901234567890}",
    "{\n  \"pretty\": {\n    \"x\": 1\n  }\n}",
};

static const char *invalid_docs[] = {
    "[]",                  /* the top level must be an object */
    "\"s\"",
    "1",
    "{,}",
    "{\"a\"}",
    "{\"a\":}",
    "{\"a\":1,}",
    "{\"a\":1 \"b\":2}",
    "{a:1}",
    "{'a':1}",
    "{\"a\":01}",          /* numbers */
    "{\"a\":1.}",
    "{\"a\":.5}",
    "{\"a\":-}",
    "{\"a\":1e}",
    "{\"a\":1e+}",
    "{\"a\":+1}",
    "{\"a\":0x10}",
    "{\"a\":NaN}",
    "{\"a\":tru}",         /* literals */
    "{\"a\":True}",
    "{\"a\":nul}",
    "{\"a\":\"\\x\"}",     /* escapes */
    "{\"a\":\"\\u12g4\"}",
    "{\"a\":\"\\u12\"}",
    "{\"a\":\"\x01\"}",    /* control characters */
    "{\"a\":\"\n\"}",
    "{\"a\":\"\xc0\xaf\"}", /* UTF-8: overlong */
    "{\"a\":\"\xe0\x80\xaf\"}",
    "{\"a\":\"\xed\xa0\x80\"}", /* surrogate */
    "{\"a\":\"\xf4\x90\x80\x80\"}", /* past U+10FFFF */
    "{\"a\":\"\xff\"}",
    "{\"a\":\"\x80\"}",
    "{\"a\":\"\xc3\"}",
    "{\"a\":[}",            /* brackets */
    "{\"a\":{]}",
    "{\"a\":[1}",
    "{} ",                  /* nothing after the end */
    "{}{}",
    "{}x",
};

/* ---- tests ----------------------------------------------------------------- */

static void test_valid_documents(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof valid_docs / sizeof valid_docs[0]; i++) {
        const char *d = valid_docs[i];
        size_t n = strlen(d);
        assert_true(reference_valid(d, n));
        jc_state st;
        jc_init(&st);
        for (size_t k = 0; k < n; k++) {
            if (jc_done(&st)) fail_msg("doc %zu done early at byte %zu", i, k);
            if (!jc_push(&st, d + k, 1)) fail_msg("doc %zu refused at byte %zu: %s", i, k, d);
        }
        if (!jc_done(&st)) fail_msg("doc %zu not done: %s", i, d);
        /* the whole text at once, and a split in two */
        int done;
        assert_true(accepts_whole(d, n, &done) && done);
        jc_init(&st);
        assert_true(jc_push(&st, d, n / 2) && jc_push(&st, d + n / 2, n - n / 2) && jc_done(&st));
    }
}

static void test_invalid_documents(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof invalid_docs / sizeof invalid_docs[0]; i++) {
        const char *d = invalid_docs[i];
        size_t n = strlen(d);
        assert_false(reference_valid(d, n));
        int done;
        int ok = accepts_whole(d, n, &done);
        if (ok && done) fail_msg("invalid doc %zu accepted as complete: %s", i, d);
        /* the recognizer refuses at the first byte that cannot be continued,
         * unless the text is merely unfinished: an unfinished text is one
         * the test above already reports as not done */
    }
    /* a NUL inside a string is a control character */
    int done;
    assert_false(accepts_whole("{\"a\":\"\0\"}", 9, &done));
}

static void test_depth_and_whitespace_limits(void **state) {
    (void)state;
    char buf[4 * JC_MAX_DEPTH + 16];
    size_t n = 0;
    buf[n++] = '{';
    memcpy(buf + n, "\"a\":", 4);
    n += 4;
    for (int d = 1; d < JC_MAX_DEPTH; d++) buf[n++] = '[';
    jc_state st;
    jc_init(&st);
    assert_true(jc_push(&st, buf, n));
    assert_false(jc_accepts(&st, "[", 1)); /* one deeper than allowed */
    assert_false(jc_accepts(&st, "{", 1));
    assert_true(jc_accepts(&st, "1", 1));
    for (int d = 1; d < JC_MAX_DEPTH; d++) buf[n++] = ']';
    buf[n++] = '}';
    int done;
    assert_true(accepts_whole(buf, n, &done) && done);

    char ws[JC_MAX_WS + 8];
    memset(ws, ' ', sizeof ws);
    jc_init(&st);
    assert_true(jc_push(&st, "{", 1));
    assert_true(jc_accepts(&st, ws, JC_MAX_WS));
    assert_false(jc_accepts(&st, ws, JC_MAX_WS + 1));
    /* the run restarts after a non-space byte; spaces inside strings are free */
    assert_true(jc_push(&st, ws, JC_MAX_WS));
    assert_true(jc_push(&st, "\"", 1));
    assert_true(jc_push(&st, ws, sizeof ws));
    assert_true(jc_push(&st, "\"", 1));
    assert_true(jc_push(&st, ws, JC_MAX_WS));
    assert_true(jc_push(&st, ":1}", 3));
    assert_true(jc_done(&st));
}

/* Every prefix of a valid text is accepted and, but for the whole, not done. */
static void test_prefixes(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof valid_docs / sizeof valid_docs[0]; i++) {
        const char *d = valid_docs[i];
        size_t n = strlen(d);
        for (size_t k = 0; k < n; k++) {
            int done;
            assert_true(accepts_whole(d, k, &done));
            assert_false(done);
        }
    }
}

/* Random mutations: the recognizer and the reference validator agree on
 * every complete text, and every text the recognizer refuses is invalid. */
static void test_agrees_with_reference(void **state) {
    (void)state;
    uint64_t rng = 12345;
    static const char alphabet[] = "{}[]\":,.-+eE0123456789 \ntruefalsn\\u/abcx\x01\x80\xc3\xa9\xe2\xf0\xed\xff";
    char buf[256];
    int agree_valid = 0, agree_invalid = 0;
    for (int iter = 0; iter < 20000; iter++) {
        const char *d = valid_docs[tu_rand_u64(&rng) % (sizeof valid_docs / sizeof valid_docs[0])];
        size_t n = strlen(d);
        memcpy(buf, d, n);
        int muts = 1 + (int)(tu_rand_u64(&rng) % 3);
        for (int m = 0; m < muts; m++) {
            uint64_t op = tu_rand_u64(&rng) % 3;
            size_t at = n ? (size_t)(tu_rand_u64(&rng) % n) : 0;
            char c = alphabet[tu_rand_u64(&rng) % (sizeof alphabet - 1)];
            if (op == 0 && n) buf[at] = c;                                         /* replace */
            else if (op == 1 && n + 1 < sizeof buf) {                              /* insert */
                memmove(buf + at + 1, buf + at, n - at);
                buf[at] = c;
                n++;
            } else if (n > 1) {                                                    /* delete */
                memmove(buf + at, buf + at + 1, n - at - 1);
                n--;
            }
        }
        int done;
        int ok = accepts_whole(buf, n, &done);
        int ref = reference_valid(buf, n) && longest_ws_run(buf, n) <= JC_MAX_WS;
        if (ref != (ok && done)) fail_msg("disagree (reference %d, recognizer %d/%d) on '%.*s'", ref, ok, done, (int)n, buf);
        if (ref) agree_valid++;
        else agree_invalid++;
        /* a refused text: no valid continuation can fix it — in particular
         * the recognizer never refuses a prefix of a valid text (checked in
         * test_prefixes); here, check it does not accept a text past its end */
        if (ok && done) assert_true(reference_valid(buf, n));
    }
    print_message("mutations: %d valid, %d invalid, all agreed\n", agree_valid, agree_invalid);
    assert_true(agree_valid > 100 && agree_invalid > 100);
}

/* ---- masking --------------------------------------------------------------- */

/* A toy vocabulary: every single byte (as byte-fallback vocabularies have),
 * some multi-byte pieces, an empty (control) token and an EOG token. */
static const char *toy_multi[] = {
    "true", "false", "null", "{\"", "\":", "\",", "\"}", "}}", "12", ".5", "ab", "\xc3\xa9", "u00", "\\n", "1e",
    "", "<eos>",
};
#define N_MULTI (int32_t)(sizeof toy_multi / sizeof toy_multi[0])
#define N_TOY (255 + N_MULTI)

typedef struct toy {
    char bytes[1024];
    uint32_t off[N_TOY + 1];
    bool eog[N_TOY];
    jc_vocab v;
} toy;

static void toy_init(toy *t) {
    uint32_t o = 0;
    for (int32_t i = 0; i < N_TOY; i++) {
        t->off[i] = o;
        t->eog[i] = false;
        if (i < 255) {
            t->bytes[o++] = (char)(i + 1);
            continue;
        }
        const char *m = toy_multi[i - 255];
        bool eog = !strcmp(m, "<eos>");
        t->eog[i] = eog;
        size_t n = eog ? 0 : strlen(m); /* an EOG token shows no text */
        memcpy(t->bytes + o, m, n);
        o += (uint32_t)n;
    }
    t->off[N_TOY] = o;
    t->v = (jc_vocab){N_TOY, t->bytes, t->off, t->eog};
}

static void test_mask_matches_accepts(void **state) {
    (void)state;
    static toy t;
    toy_init(&t);
    const char *prefixes[] = {"", "{", "{\"", "{\"a\"", "{\"a\":", "{\"a\":1", "{\"a\":[", "{\"a\":\"\xc3",
                              "{\"a\":tr", "{\"a\":-", "{\"a\":\"\\u0", "{\"a\":1}"};
    for (size_t p = 0; p < sizeof prefixes / sizeof prefixes[0]; p++) {
        jc_state st;
        jc_init(&st);
        assert_true(jc_push(&st, prefixes[p], strlen(prefixes[p])));
        float logits[N_TOY];
        for (int32_t i = 0; i < N_TOY; i++) logits[i] = (float)i;
        int32_t allowed = jc_mask(&st, &t.v, logits);
        int32_t count = 0;
        for (int32_t i = 0; i < N_TOY; i++) {
            uint32_t a = t.off[i], b = t.off[i + 1];
            bool expect = jc_done(&st) ? t.eog[i] : (b > a && jc_accepts(&st, t.bytes + a, b - a));
            bool got = !isinf(logits[i]);
            if (expect != got) fail_msg("prefix '%s', token %d: expected %d", prefixes[p], i, expect);
            if (got) {
                assert_true(logits[i] == (float)i); /* allowed logits are untouched */
                count++;
            }
        }
        assert_int_equal(count, allowed);
        assert_true(allowed > 0); /* a valid prefix always has a way on */
    }
}

/* The single byte that brings a text closest to its end in this mode. */
static char closer(const jc_state *st) {
    switch (st->mode) {
    case M_START: return '{';
    case M_STRING: case M_OBJ_KEY: return '"';
    case M_ESC: return 'n';
    case M_HEX: return '0';
    case M_UTF8: return (char)st->lo;
    case M_LITERAL: return literals[st->lit][st->aux];
    case M_MINUS: case M_DOT: case M_EXP: case M_EXP_SIGN: case M_VALUE: return '1';
    case M_COLON: return ':';
    default: return top_is_object(st) ? '}' : ']';
    }
}

/* Walk: pick random allowed tokens, then close once long enough; the text
 * must end as a valid object, and then only the EOG token is left. */
static void test_random_walk_yields_valid_json(void **state) {
    (void)state;
    static toy t;
    toy_init(&t);
    uint64_t rng = 99;
    for (int run = 0; run < 300; run++) {
        jc_state st;
        jc_init(&st);
        char out[8192];
        size_t n = 0;
        int steps = 0;
        while (!jc_done(&st)) {
            assert_true(++steps < 2000);
            float logits[N_TOY];
            for (int32_t i = 0; i < N_TOY; i++) logits[i] = 0;
            int32_t allowed = jc_mask(&st, &t.v, logits);
            assert_true(allowed > 0);
            int32_t pick = -1;
            if (steps > 60) {
                pick = (unsigned char)closer(&st) - 1; /* the single-byte token */
                assert_false(isinf(logits[pick]));
            }
            while (pick < 0) {
                int32_t i = (int32_t)(tu_rand_u64(&rng) % N_TOY);
                if (!isinf(logits[i])) pick = i;
            }
            uint32_t a = t.off[pick], b = t.off[pick + 1];
            assert_true(jc_push(&st, t.bytes + a, b - a));
            assert_true(n + (b - a) < sizeof out);
            memcpy(out + n, t.bytes + a, b - a);
            n += b - a;
        }
        if (!reference_valid(out, n)) fail_msg("walk produced invalid JSON: %.*s", (int)n, out);
        float logits[N_TOY] = {0};
        assert_int_equal(jc_mask(&st, &t.v, logits), 1);
        assert_false(isinf(logits[N_TOY - 1])); /* <eos> */
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_documents),
        cmocka_unit_test(test_invalid_documents),
        cmocka_unit_test(test_depth_and_whitespace_limits),
        cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_agrees_with_reference),
        cmocka_unit_test(test_mask_matches_accepts),
        cmocka_unit_test(test_random_walk_yields_valid_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
