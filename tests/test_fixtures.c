/*
 * The fixture table of fixtures/bootstrap/README.md, checked against the
 * validator: every .bin file there is validated with ucb_validate_file() and
 * must get the verdict and exactly the rule codes its table row names.
 * The table is written by fixtures/bootstrap/gen_fixtures.py, an encoder
 * independent of the library.
 *
 * Besides one test per fixture, three tests guard the table itself: it
 * parses, it names every .bin file of the folder exactly once (and nothing
 * else), and every rule of ucb_rule_get() is expected by at least one row,
 * so no rule goes untested.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "test_util.h"
#include "uiccboot/bootstrap.h"
#include "uiccboot/validate.h"

#ifndef UCB_SOURCE_ROOT
#define UCB_SOURCE_ROOT "."
#endif

#define FIXTURE_DIR "fixtures/bootstrap"
#define TABLE_FILE FIXTURE_DIR "/README.md"
#define TABLE_BEGIN "<!-- BEGIN FIXTURE TABLE"
#define TABLE_END "<!-- END FIXTURE TABLE"
#define MAX_ROW_RULES 8

/* The capacity rows sit on the default limits (gen_fixtures.py reads ucb_config.h). */
_Static_assert(UCB_BS_MAX_OBJECTS == 8u && UCB_BS_MAX_INSTANCES == 32u &&
                   UCB_BS_MAX_RESOURCES == 192u && UCB_BOOTSTRAP_MAX == 32768u,
               "fixtures/bootstrap assumes the default UCB_BS_MAX_* and UCB_BOOTSTRAP_MAX; "
               "regenerate them with gen_fixtures.py");

/* One row of the table. */
struct row {
    char file[128];
    unsigned line;      /* line in README.md, for messages */
    bool valid;         /* verdict column */
    size_t nrules;
    const struct ucb_rule *rules[MAX_ROW_RULES];
};

static struct row *rows;
static size_t nrows;
static char table_errors[4096]; /* parse problems, one per line */

/* One diagnostic received from the validator. */
struct seen {
    const struct ucb_rule *rule;
    enum ucb_severity severity;
    char path[48];
    uint32_t offset;
    const char *message;
};

struct collector {
    struct seen *v;
    size_t n, cap;
};

static struct ucb_bootstrap scratch; /* one model, reused by every fixture */

/* ---- table parsing ---------------------------------------------------- */

static void table_error(unsigned line, const char *what, const char *detail)
{
    size_t used = strlen(table_errors);
    snprintf(table_errors + used, sizeof table_errors - used, "README.md:%u: %s%s%s\n", line,
             what, detail[0] != '\0' ? ": " : "", detail);
}

/* Trim spaces in place; returns the start. */
static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) {
        s[--n] = '\0';
    }
    return s;
}

static const struct ucb_rule *rule_by_code(const char *code)
{
    for (int id = 0; id < (int)UCB_RULE_COUNT; id++) {
        const struct ucb_rule *r = ucb_rule_get((enum ucb_rule_id)id);
        if (r != NULL && strcmp(r->code, code) == 0) {
            return r;
        }
    }
    return NULL;
}

/* One "| file | exercises | verdict | rules |" line (already known to start with '|'). */
static void parse_row(char *line, unsigned lineno)
{
    char *cell[6];
    size_t ncell = 0;
    char *p = line + 1;

    while (ncell < 6) {
        char *bar = strchr(p, '|');
        if (bar == NULL) {
            break;
        }
        *bar = '\0';
        cell[ncell++] = trim(p);
        p = bar + 1;
    }
    if (ncell != 4 || trim(p)[0] != '\0') {
        table_error(lineno, "row does not have 4 cells", "");
        return;
    }
    if (strcmp(cell[0], "file") == 0 || cell[0][0] == '-') {
        return; /* header and separator */
    }

    struct row r;
    memset(&r, 0, sizeof r);
    r.line = lineno;
    if (strlen(cell[0]) >= sizeof r.file) {
        table_error(lineno, "file name too long", cell[0]);
        return;
    }
    strcpy(r.file, cell[0]);
    if (strcmp(cell[2], "valid") == 0) {
        r.valid = true;
    } else if (strcmp(cell[2], "invalid") != 0) {
        table_error(lineno, "verdict is neither valid nor invalid", cell[2]);
        return;
    }
    if (strcmp(cell[3], "-") != 0) {
        for (char *tok = cell[3]; tok != NULL;) {
            char *comma = strchr(tok, ',');
            if (comma != NULL) {
                *comma = '\0';
            }
            const char *code = trim(tok);
            tok = comma != NULL ? comma + 1 : NULL;
            const struct ucb_rule *rule = rule_by_code(code);
            if (rule == NULL) {
                table_error(lineno, "unknown rule code", code);
                return;
            }
            if (r.nrules == MAX_ROW_RULES) {
                table_error(lineno, "too many rule codes", "");
                return;
            }
            r.rules[r.nrules++] = rule;
        }
        if (r.nrules == 0) {
            table_error(lineno, "empty rules cell (write -)", "");
            return;
        }
    }
    for (size_t k = 0; k < nrows; k++) {
        if (strcmp(rows[k].file, r.file) == 0) {
            table_error(lineno, "file listed twice", r.file);
            return;
        }
    }
    rows = realloc(rows, (nrows + 1) * sizeof *rows);
    if (rows == NULL) {
        abort();
    }
    rows[nrows++] = r;
}

static void parse_table(void)
{
    size_t len;
    uint8_t *raw = test_read_file(TABLE_FILE, &len);
    char *text = malloc(len + 1);
    if (text == NULL) {
        abort();
    }
    memcpy(text, raw, len);
    text[len] = '\0';
    free(raw);

    bool inside = false, begun = false, ended = false;
    unsigned lineno = 0;
    char *p = text;
    while (p != NULL && *p != '\0') {
        char *nl = strchr(p, '\n');
        if (nl != NULL) {
            *nl = '\0';
        }
        lineno++;
        if (strncmp(p, TABLE_BEGIN, strlen(TABLE_BEGIN)) == 0) {
            inside = begun = true;
        } else if (strncmp(p, TABLE_END, strlen(TABLE_END)) == 0) {
            inside = false;
            ended = begun;
        } else if (inside && p[0] == '|') {
            parse_row(p, lineno);
        } else if (inside && trim(p)[0] != '\0') {
            table_error(lineno, "text inside the table markers that is not a row", p);
        }
        p = nl != NULL ? nl + 1 : NULL;
    }
    if (!begun || !ended) {
        table_error(lineno, "BEGIN/END FIXTURE TABLE markers not found", "");
    }
    free(text);
}

/* ---- one fixture ------------------------------------------------------- */

static void collect(void *ctx, const struct ucb_diag *d)
{
    struct collector *c = ctx;
    if (c->n == c->cap) {
        c->cap = c->cap != 0 ? 2 * c->cap : 16;
        c->v = realloc(c->v, c->cap * sizeof *c->v);
        if (c->v == NULL) {
            abort();
        }
    }
    struct seen *s = &c->v[c->n++];
    s->rule = d->rule;
    s->severity = d->severity;
    s->offset = d->offset;
    s->message = d->message;
    if (ucb_diag_path(d, s->path, sizeof s->path) < 0) {
        strcpy(s->path, "?");
    }
}

static bool row_expects(const struct row *r, const struct ucb_rule *rule)
{
    for (size_t k = 0; k < r->nrules; k++) {
        if (r->rules[k] == rule) {
            return true;
        }
    }
    return false;
}

/* Rules raised from a decode fault: validation stops after their one diagnostic. */
static bool is_structural(const struct ucb_rule *rule)
{
    switch (rule->id) {
    case UCB_RULE_FILE_TRUNCATED:
    case UCB_RULE_FILE_TOO_LARGE:
    case UCB_RULE_FILE_COUNT_MISMATCH:
    case UCB_RULE_FILE_SIZE_MISMATCH:
    case UCB_RULE_TLV_TRUNCATED:
    case UCB_RULE_TLV_NESTING:
    case UCB_RULE_TLV_MALFORMED:
    case UCB_RULE_MODEL_CAPACITY:
        return true;
    default:
        return false;
    }
}

static void report_fixture(const struct row *r, const struct collector *c, int rc,
                           const char *why)
{
    print_error("fixture %s (README.md:%u): %s\n", r->file, r->line, why);
    print_error("  expected: %s, rules:", r->valid ? "valid" : "invalid");
    if (r->nrules == 0) {
        print_error(" -");
    }
    for (size_t k = 0; k < r->nrules; k++) {
        print_error(" %s", r->rules[k]->code);
    }
    print_error("\n  got: ucb_validate_file() = %d, %zu diagnostic(s)\n", rc, c->n);
    for (size_t k = 0; k < c->n; k++) {
        const struct seen *s = &c->v[k];
        print_error("    %-7s %-28s %-16s @%-5u %s\n",
                    s->severity == UCB_SEV_ERROR ? "error" : "warning",
                    s->rule != NULL ? s->rule->code : "(no rule)", s->path, (unsigned)s->offset,
                    s->message != NULL ? s->message : "");
    }
}

static void validates_as_its_table_row_says(void **state)
{
    const struct row *r = *state;
    char path[512];
    struct stat st;

    snprintf(path, sizeof path, "%s/%s/%s", UCB_SOURCE_ROOT, FIXTURE_DIR, r->file);
    if (stat(path, &st) != 0) {
        print_error("fixture %s (README.md:%u): file missing\n", r->file, r->line);
        fail();
    }
    char rel[256];
    snprintf(rel, sizeof rel, "%s/%s", FIXTURE_DIR, r->file);
    size_t len;
    uint8_t *data = test_read_file(rel, &len);

    struct collector c = {NULL, 0, 0};
    struct ucb_validate_result res = {99, 99};
    const int rc = ucb_validate_file(data, len, &scratch, collect, &c, &res);
    free(data);

    const char *why = NULL;
    char buf[160];
    size_t nerr = 0, nwarn = 0;
    bool ruleless = false;
    for (size_t k = 0; k < c.n; k++) {
        if (c.v[k].rule == NULL) {
            ruleless = true;
        } else if (c.v[k].severity == UCB_SEV_ERROR) {
            nerr++;
        } else {
            nwarn++;
        }
    }
    if (rc < 0) {
        why = "ucb_validate_file() failed";
    } else if (ruleless) {
        why = "a diagnostic without a rule";
    } else if ((unsigned)rc != res.errors || res.errors != nerr || res.warnings != nwarn) {
        why = "return value, result counts and diagnostics disagree";
    } else if (r->valid != (rc == 0)) {
        why = r->valid ? "expected valid (no error), got errors" : "expected invalid, got no error";
    } else {
        for (size_t k = 0; k < r->nrules && why == NULL; k++) {
            bool raised = false;
            for (size_t j = 0; j < c.n; j++) {
                raised = raised || c.v[j].rule == r->rules[k];
            }
            if (!raised) {
                snprintf(buf, sizeof buf, "expected rule %s was not raised", r->rules[k]->code);
                why = buf;
            }
        }
        for (size_t j = 0; j < c.n && why == NULL; j++) {
            if (!row_expects(r, c.v[j].rule)) {
                snprintf(buf, sizeof buf, "rule %s raised but not expected", c.v[j].rule->code);
                why = buf;
            }
        }
        for (size_t k = 0; k < r->nrules && why == NULL; k++) {
            if (is_structural(r->rules[k]) && c.n != 1) {
                why = "a structural fault must end validation after one diagnostic";
            }
        }
    }
    if (why != NULL) {
        report_fixture(r, &c, rc, why);
    }
    free(c.v);
    if (why != NULL) {
        fail_msg("%s: %s", r->file, why);
    }
}

/* ---- the table itself -------------------------------------------------- */

static void fixture_table_parses(void **state)
{
    (void)state;
    if (table_errors[0] != '\0') {
        print_error("%s", table_errors);
        fail();
    }
    assert_true(nrows > 0);
}

static void every_rule_is_expected_by_a_fixture(void **state)
{
    (void)state;
    size_t missing = 0;
    for (int id = 0; id < (int)UCB_RULE_COUNT; id++) {
        const struct ucb_rule *rule = ucb_rule_get((enum ucb_rule_id)id);
        assert_non_null(rule);
        bool covered = false;
        for (size_t k = 0; k < nrows && !covered; k++) {
            covered = row_expects(&rows[k], rule);
        }
        if (!covered) {
            print_error("rule %s (id %d) is expected by no fixture row\n", rule->code, id);
            missing++;
        }
    }
    assert_int_equal(missing, 0);
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), m = strlen(tail);
    return n >= m && strcmp(s + n - m, tail) == 0;
}

static void table_and_bin_files_match_one_to_one(void **state)
{
    (void)state;
    const char *dirpath = UCB_SOURCE_ROOT "/" FIXTURE_DIR;
    DIR *dir = opendir(dirpath);
    if (dir == NULL) {
        print_error("cannot open %s\n", dirpath);
        fail();
    }
    bool *found = calloc(nrows + 1, sizeof *found);
    assert_non_null(found);
    size_t problems = 0, files = 0;
    const struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (!ends_with(e->d_name, ".bin")) {
            continue;
        }
        files++;
        size_t k;
        for (k = 0; k < nrows && strcmp(rows[k].file, e->d_name) != 0; k++) {
        }
        if (k == nrows) {
            print_error("%s/%s has no row in the table\n", FIXTURE_DIR, e->d_name);
            problems++;
        } else {
            found[k] = true;
        }
    }
    closedir(dir);
    for (size_t k = 0; k < nrows; k++) {
        if (!found[k]) {
            print_error("README.md:%u: %s is not in %s\n", rows[k].line, rows[k].file,
                        FIXTURE_DIR);
            problems++;
        }
    }
    free(found);
    assert_int_equal(problems, 0);
    assert_int_equal(files, nrows);
}

/* Names carry the verdict: valid-* clean, warn-* valid with warnings, invalid-* errors. */
static void fixture_names_match_their_verdicts(void **state)
{
    (void)state;
    size_t problems = 0;
    for (size_t k = 0; k < nrows; k++) {
        const struct row *r = &rows[k];
        bool ok = true;
        if (strncmp(r->file, "invalid-", 8) == 0) {
            ok = !r->valid && r->nrules > 0;
        } else if (strncmp(r->file, "warn-", 5) == 0) {
            ok = r->valid && r->nrules > 0;
        } else if (strncmp(r->file, "valid-", 6) == 0) {
            ok = r->valid && r->nrules == 0;
        }
        for (size_t j = 0; j < r->nrules && ok && r->valid; j++) {
            /* a valid row may only expect warnings, or a rule that can downgrade */
            ok = r->rules[j]->severity == UCB_SEV_WARNING ||
                 r->rules[j]->id == UCB_RULE_ACL_RIGHTS_RANGE;
        }
        if (!ok) {
            print_error("README.md:%u: %s: name, verdict and rules disagree\n", r->line,
                        r->file);
            problems++;
        }
    }
    assert_int_equal(problems, 0);
}

int main(void)
{
    parse_table();

    const struct CMUnitTest table_tests[] = {
        cmocka_unit_test(fixture_table_parses),
        cmocka_unit_test(table_and_bin_files_match_one_to_one),
        cmocka_unit_test(every_rule_is_expected_by_a_fixture),
        cmocka_unit_test(fixture_names_match_their_verdicts),
    };
    int failed = cmocka_run_group_tests_name("fixture_table", table_tests, NULL, NULL);

    if (nrows > 0) {
        struct CMUnitTest *tests = calloc(nrows, sizeof *tests);
        if (tests == NULL) {
            abort();
        }
        for (size_t k = 0; k < nrows; k++) {
            tests[k].name = rows[k].file;
            tests[k].test_func = validates_as_its_table_row_says;
            tests[k].initial_state = &rows[k];
        }
        failed += _cmocka_run_group_tests("fixture_files", tests, nrows, NULL, NULL);
        free(tests);
    }
    free(rows);
    return failed;
}
