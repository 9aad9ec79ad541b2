/*
 * uiccboot: read, check and write EF LwM2M_Bootstrap files (LwM2M Core
 * Appendix G). This file holds the command line: subcommand dispatch,
 * options, help and exit codes. Everything it does goes through the public
 * libuiccboot API.
 */
#include "tool.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#ifndef UCB_TOOL_VERSION
#define UCB_TOOL_VERSION "unknown"
#endif

enum opt_bits { OPT_JSON = 1, OPT_SECRETS = 2, OPT_OUTPUT = 4 };

struct command {
    const char *name;
    int (*run)(const struct tool_opts *o);
    unsigned opts; /**< enum opt_bits accepted */
    const char *synopsis;
    const char *help;
};

static const struct command commands[] = {
    {"decode", tool_cmd_decode, OPT_JSON | OPT_SECRETS, "decode FILE [--json] [--show-secrets]",
     "Print the content of an EF LwM2M_Bootstrap file as a tree with resource\n"
     "names, or as JSON that `uiccboot encode` accepts back. FILE may be - for\n"
     "standard input.\n"
     "\n"
     "  --json          print JSON: {\"objects\":[{\"oid\",\"version\",\"instances\":[{\"iid\",\n"
     "                  \"resources\":{\"ID\": value}}]}]}\n"
     "  --show-secrets  print Security Secret Key (/0/x/5) and SMS Binding Secret\n"
     "                  Keys (/0/x/8); by default they show as redacted with their length\n"
     "\n"
     "Exit status: 0 decoded, 1 the file does not decode, 3 the file cannot be read.\n"},
    {"validate", tool_cmd_validate, OPT_JSON, "validate FILE [--json]",
     "Check an EF LwM2M_Bootstrap file against the rules of docs/validation.md and\n"
     "print one line per finding and a summary. FILE may be - for standard input.\n"
     "\n"
     "  --json  print {\"valid\": bool, \"diagnostics\": [{\"rule\", \"severity\", \"path\",\n"
     "          \"offset\", \"message\"}]}\n"
     "\n"
     "Exit status: 0 valid (warnings allowed), 1 errors found, 3 the file cannot be read.\n"},
    {"encode", tool_cmd_encode, OPT_OUTPUT, "encode SPEC.json -o FILE",
     "Write an EF LwM2M_Bootstrap file from a JSON spec in the form printed by\n"
     "`uiccboot decode --json --show-secrets` (SPEC.json may be - for standard input).\n"
     "Values are encoded by the known type of each resource; {\"hex\": \"...\"} gives the\n"
     "raw bytes of any value. Encode checks the form of the spec, not its meaning\n"
     "(use validate). FILE is replaced atomically (written to FILE.tmp, then renamed).\n"
     "\n"
     "  -o, --output FILE  the file to write (required)\n"
     "\n"
     "Exit status: 0 written, 1 malformed spec, 3 a file cannot be read or written.\n"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(void)
{
    fputs("usage: uiccboot COMMAND [OPTIONS]\n"
          "\n"
          "Read, check and write EF LwM2M_Bootstrap files (LwM2M bootstrap data on a\n"
          "smartcard, LwM2M Core Appendix G).\n"
          "\n"
          "Commands:\n",
          stdout);
    for (size_t i = 0; i < NCOMMANDS; i++)
        printf("  uiccboot %s\n", commands[i].synopsis);
    fputs("  uiccboot help [COMMAND]\n"
          "\n"
          "Options:\n"
          "  -h, --help     show help (also after a command)\n"
          "  -V, --version  show the version\n"
          "\n"
          "Exit status: 0 ok/valid, 1 invalid content or spec, 2 usage error,\n"
          "3 a file (or card) cannot be read or written.\n",
          stdout);
}

static void command_help(const struct command *c)
{
    printf("usage: uiccboot %s\n\n%s", c->synopsis, c->help);
}

void tool_err(const char *fmt, ...)
{
    va_list ap;

    fputs("uiccboot: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static int usage_error(const struct command *c, const char *what, const char *arg)
{
    if (c != NULL)
        tool_err("%s: %s%s (try 'uiccboot %s --help')", c->name, what, arg, c->name);
    else
        tool_err("%s%s (try 'uiccboot --help')", what, arg);
    return TOOL_USAGE;
}

/* Options and the one positional argument, in any order; "--" ends options. */
static int run_command(const struct command *c, int argc, char **argv)
{
    struct tool_opts o = {NULL, NULL, false, false};
    bool only_args = false;

    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];

        if (!only_args && a[0] == '-' && a[1] != '\0') {
            if (strcmp(a, "--") == 0) {
                only_args = true;
            } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
                command_help(c);
                return TOOL_OK;
            } else if ((c->opts & OPT_JSON) && strcmp(a, "--json") == 0) {
                o.json = true;
            } else if ((c->opts & OPT_SECRETS) && strcmp(a, "--show-secrets") == 0) {
                o.show_secrets = true;
            } else if ((c->opts & OPT_OUTPUT) && (strcmp(a, "-o") == 0 ||
                                                 strcmp(a, "--output") == 0)) {
                if (i + 1 >= argc)
                    return usage_error(c, "missing argument to ", a);
                o.output = argv[++i];
            } else if ((c->opts & OPT_OUTPUT) && strncmp(a, "--output=", 9) == 0) {
                o.output = a + 9;
            } else {
                return usage_error(c, "unknown option ", a);
            }
        } else if (o.input == NULL) {
            o.input = a;
        } else {
            return usage_error(c, "unexpected argument ", a);
        }
    }
    if (o.input == NULL)
        return usage_error(c, "missing ", (c->opts & OPT_OUTPUT) ? "SPEC.json" : "FILE");
    if ((c->opts & OPT_OUTPUT) && (o.output == NULL || o.output[0] == '\0'))
        return usage_error(c, "missing ", "-o FILE");
    return c->run(&o);
}

int main(int argc, char **argv)
{
    const struct command *c;

    if (argc < 2)
        return usage_error(NULL, "missing command", "");
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        (strcmp(argv[1], "help") == 0 && argc == 2)) {
        usage();
        return TOOL_OK;
    }
    if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("uiccboot %s\n", UCB_TOOL_VERSION);
        return TOOL_OK;
    }
    if (strcmp(argv[1], "help") == 0) {
        if (argc > 3)
            return usage_error(NULL, "help takes one command, got extra ", argv[3]);
        c = find_command(argv[2]);
        if (c == NULL)
            return usage_error(NULL, "unknown command ", argv[2]);
        command_help(c);
        return TOOL_OK;
    }
    c = find_command(argv[1]);
    if (c == NULL)
        return usage_error(NULL, argv[1][0] == '-' ? "unknown option " : "unknown command ",
                           argv[1]);
    return c->run != NULL ? run_command(c, argc - 2, argv + 2) : TOOL_USAGE;
}
