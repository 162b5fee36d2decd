/*
 * lineedit.h — a small line editor for the terminal chat: cursor movement,
 * editing keys, history. When input is not a terminal it reads plain lines,
 * so `edgeinfer run < script.txt` works the same.
 */
#ifndef EI_TOOLS_LINEEDIT_H
#define EI_TOOLS_LINEEDIT_H

typedef struct le_state le_state;

typedef enum le_result {
    LE_OK,        /* *line holds the text (no newline), free() it */
    LE_EOF,       /* Ctrl-D on an empty line, or end of input */
    LE_INTERRUPT, /* Ctrl-C */
    LE_ERROR,
} le_result;

le_state *le_new(int in_fd, int out_fd);
void le_free(le_state *le);
le_result le_readline(le_state *le, const char *prompt, char **line);
/* Remember a line for Up/Down (consecutive duplicates are kept once). */
void le_history_add(le_state *le, const char *line);

#endif
