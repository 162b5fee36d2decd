/*
 * lineedit.c — see lineedit.h. Keys: Left/Right, Home/End (and Ctrl-A/E),
 * Backspace, Delete, Ctrl-U/K (kill to start/end), Ctrl-W (word), Ctrl-L
 * (clear screen), Up/Down (history), Ctrl-C, Ctrl-D, Enter.
 *
 * The cursor moves by whole UTF-8 characters. Redrawing writes the prompt
 * and the whole line and puts the cursor back, which is plenty for chat-sized
 * lines; wide (CJK) characters may misplace the cursor by a column.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "lineedit.h"

#define LE_HISTORY_MAX 200

struct le_state {
    int in, out;
    char *hist[LE_HISTORY_MAX];
    int n_hist;
};

typedef struct buf {
    char *s;
    size_t len, cap, cur; /* cur: byte offset of the cursor */
} buf;

le_state *le_new(int in_fd, int out_fd) {
    le_state *le = calloc(1, sizeof *le);
    if (le) {
        le->in = in_fd;
        le->out = out_fd;
    }
    return le;
}

void le_free(le_state *le) {
    if (!le) return;
    for (int i = 0; i < le->n_hist; i++) free(le->hist[i]);
    free(le);
}

void le_history_add(le_state *le, const char *line) {
    if (!line[0] || (le->n_hist && !strcmp(le->hist[le->n_hist - 1], line))) return;
    char *copy = strdup(line);
    if (!copy) return;
    if (le->n_hist == LE_HISTORY_MAX) {
        free(le->hist[0]);
        memmove(le->hist, le->hist + 1, (LE_HISTORY_MAX - 1) * sizeof *le->hist);
        le->n_hist--;
    }
    le->hist[le->n_hist++] = copy;
}

static bool buf_reserve(buf *b, size_t extra) {
    if (b->len + extra + 1 <= b->cap) return true;
    size_t cap = (b->len + extra + 1) * 2;
    char *s = realloc(b->s, cap);
    if (!s) return false;
    b->s = s;
    b->cap = cap;
    return true;
}

static bool buf_set(buf *b, const char *text) {
    size_t n = strlen(text);
    b->len = 0;
    if (!buf_reserve(b, n)) return false;
    memcpy(b->s, text, n + 1);
    b->len = b->cur = n;
    return true;
}

static bool is_cont(char c) { return ((unsigned char)c & 0xC0) == 0x80; }

static size_t prev_char(const buf *b, size_t i) {
    if (i == 0) return 0;
    do i--;
    while (i > 0 && is_cont(b->s[i]));
    return i;
}

static size_t next_char(const buf *b, size_t i) {
    if (i >= b->len) return b->len;
    do i++;
    while (i < b->len && is_cont(b->s[i]));
    return i;
}

static void erase(buf *b, size_t from, size_t to) {
    memmove(b->s + from, b->s + to, b->len - to + 1);
    b->len -= to - from;
    b->cur = from;
}

static size_t columns(const char *s, size_t n) {
    size_t c = 0;
    for (size_t i = 0; i < n; i++) c += !is_cont(s[i]);
    return c;
}

static void put(le_state *le, const char *s, size_t n) {
    while (n) {
        ssize_t w = write(le->out, s, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        s += w;
        n -= (size_t)w;
    }
}

static void redraw(le_state *le, const char *prompt, const buf *b) {
    char seq[32];
    put(le, "\r", 1);
    put(le, prompt, strlen(prompt));
    put(le, b->s, b->len);
    put(le, "\x1b[0K", 4); /* erase what an older, longer line left */
    size_t back = columns(b->s + b->cur, b->len - b->cur);
    if (back) {
        int k = snprintf(seq, sizeof seq, "\x1b[%zuD", back);
        put(le, seq, (size_t)k);
    }
}

static int read_byte(le_state *le) {
    unsigned char c;
    for (;;) {
        ssize_t r = read(le->in, &c, 1);
        if (r == 1) return c;
        if (r < 0 && errno == EINTR) continue;
        return -1;
    }
}

/* Not a terminal: one line as it comes, newline removed. */
static le_result read_plain(le_state *le, char **line) {
    buf b = {0};
    int c;
    bool any = false;
    while ((c = read_byte(le)) >= 0 && c != '\n') {
        any = true;
        if (!buf_reserve(&b, 1)) {
            free(b.s);
            return LE_ERROR;
        }
        b.s[b.len++] = (char)c;
    }
    if (c < 0 && !any) {
        free(b.s);
        return LE_EOF;
    }
    if (!buf_reserve(&b, 0)) {
        free(b.s);
        return LE_ERROR;
    }
    if (b.len && b.s[b.len - 1] == '\r') b.len--;
    b.s[b.len] = '\0';
    *line = b.s;
    return LE_OK;
}

static le_result edit(le_state *le, const char *prompt, buf *b) {
    int hpos = le->n_hist; /* n_hist: the line being written */
    char *draft = NULL;    /* that line, kept while browsing history */
    le_result res = LE_ERROR;
    redraw(le, prompt, b);
    for (;;) {
        int c = read_byte(le);
        if (c < 0) {
            res = b->len ? LE_OK : LE_EOF;
            break;
        }
        if (c == '\r' || c == '\n') {
            res = LE_OK;
            break;
        }
        if (c == 3) { /* Ctrl-C */
            res = LE_INTERRUPT;
            break;
        }
        if (c == 4) { /* Ctrl-D: quit on an empty line, else delete */
            if (!b->len) {
                res = LE_EOF;
                break;
            }
            if (b->cur < b->len) erase(b, b->cur, next_char(b, b->cur));
        } else if (c == 127 || c == 8) {
            if (b->cur) erase(b, prev_char(b, b->cur), b->cur);
        } else if (c == 1) {
            b->cur = 0;
        } else if (c == 5) {
            b->cur = b->len;
        } else if (c == 11) {
            b->len = b->cur;
            b->s[b->len] = '\0';
        } else if (c == 21) {
            erase(b, 0, b->cur);
        } else if (c == 23) { /* Ctrl-W: the word before the cursor */
            size_t i = b->cur;
            while (i && b->s[i - 1] == ' ') i--;
            while (i && b->s[i - 1] != ' ') i--;
            erase(b, i, b->cur);
        } else if (c == 12) {
            put(le, "\x1b[H\x1b[2J", 7);
        } else if (c == 27) { /* escape sequences: arrows, Home/End, Delete */
            int c1 = read_byte(le), c2 = c1 >= 0 ? read_byte(le) : -1;
            if (c1 != '[' && c1 != 'O') continue;
            if (c2 >= '0' && c2 <= '9') {
                int c3 = read_byte(le); /* '~' */
                if (c3 != '~') continue;
                if (c2 == '3' && b->cur < b->len) erase(b, b->cur, next_char(b, b->cur));
                else if (c2 == '1' || c2 == '7') b->cur = 0;
                else if (c2 == '4' || c2 == '8') b->cur = b->len;
            } else if (c2 == 'D') {
                b->cur = prev_char(b, b->cur);
            } else if (c2 == 'C') {
                b->cur = next_char(b, b->cur);
            } else if (c2 == 'H') {
                b->cur = 0;
            } else if (c2 == 'F') {
                b->cur = b->len;
            } else if ((c2 == 'A' && hpos > 0) || (c2 == 'B' && hpos < le->n_hist)) {
                if (hpos == le->n_hist) {
                    free(draft);
                    draft = strdup(b->s);
                }
                hpos += c2 == 'A' ? -1 : 1;
                if (!buf_set(b, hpos == le->n_hist ? (draft ? draft : "") : le->hist[hpos])) break;
            }
        } else if (c >= 32 || c == '\t') {
            if (!buf_reserve(b, 1)) break;
            memmove(b->s + b->cur + 1, b->s + b->cur, b->len - b->cur + 1);
            b->s[b->cur++] = (char)c;
            b->len++;
            /* draw once a UTF-8 character is whole */
            if (((unsigned char)c & 0xC0) == 0xC0) continue;
            if (is_cont((char)c) && b->cur < b->len && is_cont(b->s[b->cur])) continue;
        }
        redraw(le, prompt, b);
    }
    free(draft);
    put(le, "\r\n", 2);
    return res;
}

le_result le_readline(le_state *le, const char *prompt, char **line) {
    *line = NULL;
    if (!isatty(le->in)) return read_plain(le, line);
    struct termios orig, raw;
    if (tcgetattr(le->in, &orig) < 0) return read_plain(le, line);
    raw = orig;
    raw.c_iflag &= ~(unsigned)(BRKINT | ICRNL | INPCK | ISTRIP | IXON);
    raw.c_lflag &= ~(unsigned)(ECHO | ICANON | IEXTEN | ISIG);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    if (tcsetattr(le->in, TCSAFLUSH, &raw) < 0) return read_plain(le, line);
    buf b = {0};
    le_result r = buf_reserve(&b, 0) ? LE_OK : LE_ERROR;
    if (r == LE_OK) {
        b.s[0] = '\0';
        r = edit(le, prompt, &b);
    }
    tcsetattr(le->in, TCSAFLUSH, &orig);
    if (r == LE_OK) *line = b.s;
    else free(b.s);
    return r;
}
