/*
 * uiccboot: read, check and write EF LwM2M_Bootstrap files (LwM2M Core
 * Appendix G). This file holds the command line: subcommand dispatch,
 * options, help and exit codes. Everything it does goes through the public
 * libuiccboot API.
 */
#include "tool.h"

#include <malloc.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#ifndef UCB_TOOL_VERSION
#define UCB_TOOL_VERSION "unknown"
#endif

enum opt_bits { OPT_JSON = 1, OPT_SECRETS = 2, OPT_OUTPUT = 4, OPT_CARD = 8, OPT_WRITE = 16,
                OPT_WATCH = 32 };

/* The positional argument: required, allowed only without a card, or none. */
enum positional { POS_REQUIRED, POS_FILE_OR_CARD, POS_NONE };

#define CARD_HELP                                                                          \
    "Card options (one transport; without one, the first PC/SC reader with a card):\n"     \
    "  --reader NAME|INDEX  a PC/SC reader by name or by index (see 'uiccboot readers')\n"  \
    "  --at DEVICE          an AT modem on a serial device or tty (AT+CSIM)\n"              \
    "  --baud N             serial speed for --at (default: leave as is)\n"                 \
    "  --at-mode csim|cgla  cgla: logical channels through AT+CCHO/+CGLA/+CCHC\n"           \
    "  --sim FILE           an in-process virtual UICC holding FILE (no hardware)\n"        \
    "  --profile CARD.json  the virtual UICC's profile (docs/simcard.md), with --sim\n"     \
    "  --pin PIN            PIN to verify when the bootstrap file is PIN-protected\n"       \
    "  --aid HEX            PKCS#15 application AID (skips the EF.DIR search)\n"            \
    "  --oid HEX            bootstrap data OID, DER content bytes (default 672B0901)\n"     \
    "  --path HEX           fixed path of the bootstrap EF (cards without PKCS#15);\n"      \
    "                       a leading 3F00 means from the MF, else from the application\n" \
    "  --trace              print every exchange on stderr: '> C-APDU', '< R-APDU' (hex);\n"\
    "                       PIN and bootstrap-file bytes show as ** unless --show-secrets\n"\
    "  --scp03-keys KEYFILE read through a GlobalPlatform SCP03 secure channel (LwM2M\n"   \
    "                       Appendix H) with the static keys in KEYFILE, JSON\n"          \
    "                       {\"kvn\": 48, \"enc\": HEX, \"mac\": HEX, \"dek\": HEX}\n"      \
    "  --scp03-level HEX    security level: 33 (default), 13, 11, 03 or 01\n"             \
    "  --scp03-policy P     require (default: never read the file in plain) or prefer\n"  \
    "                       (plain only when the card has no SCP03 key set)\n"

struct command {
    const char *name;
    int (*run)(const struct tool_opts *o);
    unsigned opts; /**< enum opt_bits accepted */
    enum positional pos;
    const char *synopsis;
    const char *help;
};

static const struct command commands[] = {
    {"decode", tool_cmd_decode, OPT_JSON | OPT_SECRETS, POS_REQUIRED, "decode FILE [--json] [--show-secrets]",
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
    {"validate", tool_cmd_validate, OPT_JSON | OPT_CARD, POS_FILE_OR_CARD,
     "validate FILE [--json] | validate CARD-OPTIONS [--json]",
     "Check an EF LwM2M_Bootstrap file, or the one on a card, against the rules of\n"
     "docs/validation.md and print one line per finding and a summary. FILE may be -\n"
     "for standard input.\n"
     "\n"
     "  --json  print {\"valid\": bool, \"diagnostics\": [{\"rule\", \"severity\", \"path\",\n"
     "          \"offset\", \"message\"}]} (and \"card\" when read from a card)\n"
     "\n" CARD_HELP
     "\n"
     "Exit status: 0 valid (warnings allowed), 1 errors found, 3 the file or card\n"
     "cannot be read.\n"},
    {"encode", tool_cmd_encode, OPT_OUTPUT, POS_REQUIRED, "encode SPEC.json -o FILE",
     "Write an EF LwM2M_Bootstrap file from a JSON spec in the form printed by\n"
     "`uiccboot decode --json --show-secrets` (SPEC.json may be - for standard input).\n"
     "Values are encoded by the known type of each resource; {\"hex\": \"...\"} gives the\n"
     "raw bytes of any value. Encode checks the form of the spec, not its meaning\n"
     "(use validate). FILE is replaced atomically (written to FILE.tmp, then renamed).\n"
     "\n"
     "  -o, --output FILE  the file to write (required)\n"
     "\n"
     "Exit status: 0 written, 1 malformed spec, 3 a file cannot be read or written.\n"},
    {"readers", tool_cmd_readers, OPT_JSON, POS_NONE, "readers [--json]",
     "List the PC/SC readers with their index and whether a card is in each.\n"
     "\n"
     "  --json  print {\"readers\": [{\"index\", \"name\", \"card\": bool}]}\n"
     "\n"
     "Exit status: 0 listed (also when there are none), 3 PC/SC is not reachable.\n"},
    {"dump", tool_cmd_dump, OPT_JSON | OPT_SECRETS | OPT_CARD, POS_NONE,
     "dump [CARD-OPTIONS] [--json] [--show-secrets]",
     "Read the LwM2M bootstrap file from a card (LwM2M Core Appendix G: EF.DIR,\n"
     "PKCS#15 application, ODF, DODF, EF LwM2M_Bootstrap) and print it like\n"
     "'uiccboot decode', after the card's identity and the route taken.\n"
     "\n"
     "  --json          the decode JSON plus \"card\": {\"iccid\", \"aid\", \"path\",\n"
     "                  \"sha256\"} and \"route\": [...]\n"
     "  --show-secrets  print secret keys (and PIN and file bytes in --trace)\n"
     "\n" CARD_HELP
     "\n"
     "Exit status: 0 read and decoded, 1 the content does not decode, 2 usage error,\n"
     "3 the card cannot be read (the message says at which step and status word).\n"},
    {"watch", tool_cmd_watch, OPT_JSON | OPT_CARD | OPT_WATCH, POS_NONE,
     "watch [CARD-OPTIONS] [--json] [--interval MS] [--checks N] [--store FILE]",
     "Keep a reference in-memory LwM2M client core fed from the card, as a device\n"
     "would: apply the card at start, hand card events (removal, insertion,\n"
     "another card) to the bridge, and check the card before each periodic Update\n"
     "with a server the card created. One line per event with its actions.\n"
     "\n"
     "  --json          each line {\"event\": \"...\", \"actions\": [{\"op\", \"path\",\n"
     "                  \"ssid\"}], \"iccid\", \"commands\"}\n"
     "  --interval MS   time between checks (default 1000)\n"
     "  --checks N      stop after N rounds (default: until SIGINT/SIGTERM)\n"
     "  --store FILE    keep provenance in FILE across runs (default: in memory)\n"
     "\n" CARD_HELP
     "\n"
     "Exit status: 0 stopped, 2 usage error, 3 the card or reader cannot be opened.\n"},
    {"write", tool_cmd_write, OPT_CARD | OPT_WRITE, POS_REQUIRED,
     "write FILE [CARD-OPTIONS] [--force] [--pad]",
     "Write FILE to the card's EF LwM2M_Bootstrap with UPDATE BINARY and read it\n"
     "back to verify. FILE must validate unless --force.\n"
     "\n"
     "  --force  write content that does not validate\n"
     "  --pad    fill the rest of the EF with FF\n"
     "\n" CARD_HELP
     "\n"
     "Exit status: 0 written and verified, 1 FILE does not validate, 2 usage error,\n"
     "3 a file or the card cannot be read or written.\n"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(void)
{
    fputs("usage: uiccboot COMMAND [OPTIONS]\n"
          "\n"
          "Read, check and write EF LwM2M_Bootstrap files and the cards that hold them\n"
          "(LwM2M bootstrap data on a smartcard, LwM2M Core Appendix G).\n"
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

/* The card options that take a value: the slot it goes to, or NULL. */
static const char **card_value_opt(struct tool_opts *o, const char *a)
{
    static const char *baud_text;

    if (strcmp(a, "--reader") == 0)
        return &o->reader;
    if (strcmp(a, "--at") == 0)
        return &o->at;
    if (strcmp(a, "--baud") == 0)
        return &baud_text;
    if (strcmp(a, "--at-mode") == 0)
        return &o->at_mode;
    if (strcmp(a, "--sim") == 0)
        return &o->sim;
    if (strcmp(a, "--profile") == 0)
        return &o->profile;
    if (strcmp(a, "--pin") == 0)
        return &o->pin;
    if (strcmp(a, "--aid") == 0)
        return &o->aid;
    if (strcmp(a, "--oid") == 0)
        return &o->oid;
    if (strcmp(a, "--path") == 0)
        return &o->path;
    if (strcmp(a, "--scp03-keys") == 0)
        return &o->scp03_keys;
    if (strcmp(a, "--scp03-level") == 0)
        return &o->scp03_level;
    if (strcmp(a, "--scp03-policy") == 0)
        return &o->scp03_policy;
    return NULL;
}

static int parse_baud(const char *text, unsigned *out)
{
    unsigned long v = 0;

    if (*text == '\0')
        return -1;
    for (const char *p = text; *p != '\0'; p++) {
        if (*p < '0' || *p > '9' || v > 10000000ul)
            return -1;
        v = v * 10 + (unsigned long)(*p - '0');
    }
    *out = (unsigned)v;
    return 0;
}

/* Options and the one positional argument, in any order; "--" ends options. */
static int run_command(const struct command *c, int argc, char **argv)
{
    struct tool_opts o;
    bool only_args = false;

    memset(&o, 0, sizeof(o));

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
            } else if ((c->opts & OPT_CARD) && (c->opts & OPT_SECRETS) == 0 &&
                       strcmp(a, "--show-secrets") == 0) {
                o.show_secrets = true; /* PIN bytes in --trace */
            } else if ((c->opts & OPT_CARD) && strcmp(a, "--trace") == 0) {
                o.trace = true;
            } else if ((c->opts & OPT_WRITE) && strcmp(a, "--force") == 0) {
                o.force = true;
            } else if ((c->opts & OPT_WRITE) && strcmp(a, "--pad") == 0) {
                o.pad = true;
            } else if ((c->opts & OPT_WATCH) &&
                       (strcmp(a, "--interval") == 0 || strcmp(a, "--checks") == 0)) {
                if (i + 1 >= argc || parse_baud(argv[i + 1],
                                                a[2] == 'i' ? &o.interval_ms : &o.checks) != 0)
                    return usage_error(c, "needs a number: ", a);
                i++;
            } else if ((c->opts & OPT_WATCH) && strcmp(a, "--store") == 0) {
                if (i + 1 >= argc)
                    return usage_error(c, "missing argument to ", a);
                o.store = argv[++i];
            } else if ((c->opts & OPT_CARD) && card_value_opt(&o, a) != NULL) {
                const char **slot = card_value_opt(&o, a);

                if (i + 1 >= argc)
                    return usage_error(c, "missing argument to ", a);
                *slot = argv[++i];
                if (strcmp(a, "--baud") == 0 && parse_baud(*slot, &o.baud) != 0)
                    return usage_error(c, "--baud needs a number, got ", *slot);
            } else {
                return usage_error(c, "unknown option ", a);
            }
        } else if (o.input == NULL) {
            o.input = a;
        } else {
            return usage_error(c, "unexpected argument ", a);
        }
    }
    if ((c->opts & OPT_SECRETS) == 0 && o.show_secrets && !o.trace)
        return usage_error(c, "--show-secrets only applies to --trace here", "");
    if (c->pos == POS_NONE && o.input != NULL)
        return usage_error(c, "unexpected argument ", o.input);
    if (c->pos == POS_FILE_OR_CARD && o.input != NULL && tool_has_card(&o))
        return usage_error(c, "give FILE or card options, not both: ", o.input);
    if (o.input == NULL && (c->pos == POS_REQUIRED ||
                            (c->pos == POS_FILE_OR_CARD && !tool_has_card(&o))))
        return usage_error(c, "missing ", (c->opts & OPT_OUTPUT) ? "SPEC.json" : "FILE");
    if ((c->opts & OPT_OUTPUT) && (o.output == NULL || o.output[0] == '\0'))
        return usage_error(c, "missing ", "-o FILE");
    return c->run(&o);
}

/* jansson's strings may hold keys (--scp03-keys) and PSKs (--show-secrets
 * output): wipe every block it frees. */
static void free_wiped(void *p)
{
    if (p != NULL) {
        volatile unsigned char *b = p;
        for (size_t i = 0, n = malloc_usable_size(p); i < n; i++)
            b[i] = 0;
    }
    free(p);
}

int main(int argc, char **argv)
{
    const struct command *c;

    json_set_alloc_funcs(malloc, free_wiped);

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
