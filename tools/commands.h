/*
 * commands.h — the verbs of the edgeinfer command. Each takes the arguments
 * after the verb (argv[0] is the verb) and returns the process exit code.
 */
#ifndef EI_TOOLS_COMMANDS_H
#define EI_TOOLS_COMMANDS_H

int cmd_run(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_perplexity(int argc, char **argv);
int cmd_serve(int argc, char **argv);

#endif
