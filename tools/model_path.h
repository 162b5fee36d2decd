/*
 * model_path.h — turn a -m argument into a file path: an existing file is
 * used as is; otherwise the name is looked up in the model catalog
 * (models/catalog.tsv, which models/fetch.sh copies into the cache beside
 * the models it fetched).
 */
#ifndef EI_TOOLS_MODEL_PATH_H
#define EI_TOOLS_MODEL_PATH_H

#include <stddef.h>

/* The cache folder: $EDGEINFER_HOME, else ~/.cache/edgeinfer. */
const char *models_home(char *buf, size_t size);

/* Resolve `arg` into `out`; 0 on success, -1 with a message on stderr. */
int resolve_model(const char *arg, char *out, size_t size);

#endif
