/*
 * commands.h — the verbs of the edgeinfer command. Each takes the arguments
 * after the verb (argv[0] is the verb) and returns the process exit code.
 */
#ifndef EI_TOOLS_COMMANDS_H
#define EI_TOOLS_COMMANDS_H

int cmd_info(int argc, char **argv);

#endif
