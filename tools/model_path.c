/*
 * model_path.c — see model_path.h.
 */
#include "model_path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *models_home(char *buf, size_t size) {
    const char *h = getenv("EDGEINFER_HOME");
    if (h && *h) snprintf(buf, size, "%s", h);
    else snprintf(buf, size, "%s/.cache/edgeinfer", getenv("HOME") ? getenv("HOME") : ".");
    return buf;
}

static int is_file(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Column index of `name` in a tab-separated header line, or -1. */
static int column(char *header, const char *name) {
    int i = 0;
    for (char *tok = strtok(header, "\t\r\n"); tok; tok = strtok(NULL, "\t\r\n"), i++)
        if (!strcmp(tok, name)) return i;
    return -1;
}

/* Field `col` of a tab-separated line, copied into out. */
static int field(const char *line, int col, char *out, size_t size) {
    const char *p = line;
    for (int i = 0; i < col; i++) {
        p = strchr(p, '\t');
        if (!p) return -1;
        p++;
    }
    size_t n = strcspn(p, "\t\r\n");
    if (n >= size) return -1;
    memcpy(out, p, n);
    out[n] = '\0';
    return 0;
}

int resolve_model(const char *arg, char *out, size_t size) {
    if (is_file(arg)) {
        snprintf(out, size, "%s", arg);
        return 0;
    }
    char home[1024], catalog[1200];
    models_home(home, sizeof home);
    snprintf(catalog, sizeof catalog, "%s/models/catalog.tsv", home);
    FILE *f = fopen(catalog, "r");
    if (!f) {
        fprintf(stderr, "edgeinfer: '%s' is neither a file nor a fetched model (no catalog at %s; "
                        "run models/fetch.sh)\n", arg, catalog);
        return -1;
    }
    char line[4096];
    int name_col = -1, file_col = -1;
    if (fgets(line, sizeof line, f)) {
        char copy[4096];
        memcpy(copy, line, sizeof copy);
        name_col = column(copy, "name");
        memcpy(copy, line, sizeof copy);
        file_col = column(copy, "file");
    }
    int found = -1;
    while (found < 0 && name_col >= 0 && file_col >= 0 && fgets(line, sizeof line, f)) {
        char name[256], file[512];
        if (field(line, name_col, name, sizeof name) || field(line, file_col, file, sizeof file)) continue;
        if (strcmp(name, arg) != 0) continue;
        snprintf(out, size, "%s/models/%s", home, file);
        if (!is_file(out)) {
            fprintf(stderr, "edgeinfer: model '%s' is in the catalog but not fetched: run models/fetch.sh %s\n", arg,
                    arg);
            found = -2;
        } else {
            found = 0;
        }
    }
    fclose(f);
    if (found == -1) fprintf(stderr, "edgeinfer: no file or catalog model named '%s'\n", arg);
    return found == 0 ? 0 : -1;
}
