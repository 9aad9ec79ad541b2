/*
 * The file store (src/store_file.c).
 *
 * Part 1, on the real filesystem in a fresh temporary directory: round
 * trip, missing file, version mismatch, checksum error, garbage and
 * truncated files, a stale PATH.tmp, argument checks.
 *
 * Part 2, the power-loss sweep, on a simulated filesystem plugged in
 * through the io table. The simulation keeps, for every file, the content
 * the program sees and the content that is durable (made so by fsync), and
 * for every directory entry the binding the program sees and the durable
 * one (made so by fsync of the directory). save() is crashed at operation
 * k for every k (a write crashes after writing only part of its bytes);
 * then every disk image the crash may leave is built (each entry: durable
 * or visible binding; each file: durable content, visible content, a torn
 * prefix, zeros, empty) and loaded: the result must be exactly the old
 * record or exactly the new one, and once save() has returned 0 only the
 * new one. A run with an fsync that lies shows the sweep can fail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_util.h"
#include "uiccboot/err.h"
#include "uiccboot/store.h"
#include "uiccboot/store_file.h"

#define SZ UCB_PROV_SERIAL_SIZE

static uint32_t ref_crc32(const uint8_t *p, size_t len)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ ((c & 1) ? 0xEDB88320u : 0);
    }
    return ~c;
}

static void reseal(uint8_t *buf)
{
    uint32_t c = ref_crc32(buf, SZ - 4);
    for (int i = 0; i < 4; i++)
        buf[SZ - 4 + (size_t)i] = (uint8_t)(c >> (8 * i));
}

/* Records distinct in every field, selected by a seed. */
static void make_record(struct ucb_provenance *p, unsigned seed, uint16_t n)
{
    memset(p, 0, sizeof *p);
    p->valid = true;
    p->iccid_len = 10;
    for (unsigned i = 0; i < 10; i++)
        p->iccid[i] = (uint8_t)(seed * 7 + i);
    for (unsigned i = 0; i < 32; i++)
        p->fingerprint[i] = (uint8_t)(seed * 13 + i);
    p->bs_deadline = 1000u * seed;
    p->n = n;
    for (unsigned i = 0; i < n; i++) {
        p->rec[i].oid = (uint16_t)(i % 3);
        p->rec[i].iid = (uint16_t)(seed + i);
        p->rec[i].card_iid = (uint16_t)i;
        p->rec[i].ssid = (uint16_t)(seed * 100 + i);
        p->rec[i].flags = (uint8_t)(seed & UCB_PROV_FLAGS_KNOWN);
        for (unsigned k = 0; k < 8; k++)
            p->rec[i].hash[k] = (uint8_t)(seed ^ (i * 8 + k));
    }
}

static bool prov_equal(const struct ucb_provenance *a, const struct ucb_provenance *b)
{
    if (a->valid != b->valid || a->iccid_len != b->iccid_len || a->n != b->n ||
        a->bs_deadline != b->bs_deadline)
        return false;
    if (a->iccid_len > 10 || a->n > UCB_PROV_MAX) return false;
    if (memcmp(a->iccid, b->iccid, a->iccid_len) != 0) return false;
    if (memcmp(a->fingerprint, b->fingerprint, 32) != 0) return false;
    for (size_t i = 0; i < a->n; i++) {
        const struct ucb_prov_rec *x = &a->rec[i], *y = &b->rec[i];
        if (x->oid != y->oid || x->iid != y->iid || x->card_iid != y->card_iid ||
            x->ssid != y->ssid || x->flags != y->flags || memcmp(x->hash, y->hash, 8) != 0)
            return false;
    }
    return true;
}

static void check_cleared(const char *name, const struct ucb_provenance *p)
{
    static const struct ucb_provenance zero;
    if (memcmp(p, &zero, sizeof zero) != 0) fail_msg("%s: output not cleared", name);
}

/* ========================================================================= */
/* Part 1: the real filesystem                                               */

static char tmpdir[256];
static char recpath[300];

static int setup_dir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "%s/ucb-store-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir)) return -1;
    snprintf(recpath, sizeof recpath, "%s/prov.bin", tmpdir);
    return 0;
}

static int teardown_dir(void **state)
{
    (void)state;
    char p[320];
    snprintf(p, sizeof p, "%s.tmp", recpath);
    unlink(p);
    unlink(recpath);
    rmdir(recpath); /* a test makes it a directory */
    return rmdir(tmpdir);
}

static void write_file(const char *path, const uint8_t *data, size_t len)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    if (len) assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}

static void file_store_round_trips(void **state)
{
    (void)state;
    struct ucb_store_file f;
    struct ucb_store s;
    struct ucb_provenance a, b, q;
    CHECK_EQ("init", ucb_store_file_init(&f, recpath, &s), 0);
    make_record(&a, 1, UCB_PROV_MAX);
    make_record(&b, 2, 3);

    CHECK_EQ("save a", s.ops->save(s.ctx, &a), 0);
    memset(&q, 0x5A, sizeof q);
    CHECK_EQ("load a", s.ops->load(s.ctx, &q), 0);
    assert_true(prov_equal(&q, &a));

    CHECK_EQ("save b", s.ops->save(s.ctx, &b), 0);
    CHECK_EQ("load b", s.ops->load(s.ctx, &q), 0);
    assert_true(prov_equal(&q, &b));

    /* A second store on the same path (a reboot) reads the same record. */
    struct ucb_store_file f2;
    struct ucb_store s2;
    CHECK_EQ("init again", ucb_store_file_init(&f2, recpath, &s2), 0);
    CHECK_EQ("load after reboot", s2.ops->load(s2.ctx, &q), 0);
    assert_true(prov_equal(&q, &b));

    struct stat st;
    assert_int_equal(stat(recpath, &st), 0);
    CHECK_EQ("file size", st.st_size, SZ);
    char tmp[320];
    snprintf(tmp, sizeof tmp, "%s.tmp", recpath);
    CHECK_EQ("no PATH.tmp left", stat(tmp, &st), -1);

    CHECK_EQ("record the format cannot hold", (b.n = UCB_PROV_MAX + 1, s.ops->save(s.ctx, &b)),
             UCB_ERR_ARG);
    CHECK_EQ("load after refused save", s.ops->load(s.ctx, &q), 0);
    assert_int_equal(q.n, 3);
    unlink(recpath);
}

static void missing_file_loads_as_nothing_saved(void **state)
{
    (void)state;
    struct ucb_store_file f;
    struct ucb_store s;
    struct ucb_provenance q;
    CHECK_EQ("init", ucb_store_file_init(&f, recpath, &s), 0);
    memset(&q, 0x5A, sizeof q);
    CHECK_EQ("load", s.ops->load(s.ctx, &q), 0);
    check_cleared("missing", &q);
}

static void version_mismatch_is_refused(void **state)
{
    (void)state;
    struct ucb_store_file f;
    struct ucb_store s;
    struct ucb_provenance a, q;
    uint8_t buf[SZ];
    make_record(&a, 3, 5);
    CHECK_EQ("serialize", ucb_prov_serialize(&a, buf, sizeof buf), SZ);
    buf[4] = (uint8_t)(UCB_PROV_FORMAT_VERSION + 1);
    reseal(buf);   /* a well-formed record of a future version */
    write_file(recpath, buf, sizeof buf);
    CHECK_EQ("init", ucb_store_file_init(&f, recpath, &s), 0);
    memset(&q, 0x5A, sizeof q);
    CHECK_EQ("load", s.ops->load(s.ctx, &q), UCB_ERR_STORE);
    check_cleared("future version", &q);
    unlink(recpath);
}

static void checksum_error_is_refused(void **state)
{
    (void)state;
    struct ucb_store_file f;
    struct ucb_store s;
    struct ucb_provenance a, q;
    uint8_t buf[SZ];
    make_record(&a, 4, 5);
    CHECK_EQ("serialize", ucb_prov_serialize(&a, buf, sizeof buf), SZ);
    buf[100] ^= 0x10;   /* one bit flipped in a record slot */
    write_file(recpath, buf, sizeof buf);
    CHECK_EQ("init", ucb_store_file_init(&f, recpath, &s), 0);
    memset(&q, 0x5A, sizeof q);
    CHECK_EQ("load", s.ops->load(s.ctx, &q), UCB_ERR_STORE);
    check_cleared("bit flip", &q);
    unlink(recpath);
}

static void garbage_files_are_refused_without_crashing(void **state)
{
    (void)state;
    struct ucb_store_file f;
    struct ucb_store s;
    struct ucb_provenance a, q;
    static uint8_t buf[3 * SZ];
    static const size_t lens[] = {0, 1, 4, 55, SZ - 1, SZ, SZ + 1, 2 * SZ, 3 * SZ};
    CHECK_EQ("init", ucb_store_file_init(&f, recpath, &s), 0);

    srand(12345);
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        for (int round = 0; round < 20; round++) {
            for (size_t k = 0; k < lens[i]; k++)
                buf[k] = (uint8_t)rand();
            if (round & 1) memcpy(buf, "UCBP\x01\x00", lens[i] < 6 ? lens[i] : 6);
            write_file(recpath, buf, lens[i]);
            memset(&q, 0x5A, sizeof q);
            int rc = s.ops->load(s.ctx, &q);
            if (rc != UCB_ERR_STORE) fail_msg("random %zu bytes: rc %d", lens[i], rc);
            check_cleared("random", &q);
        }
    }

    make_record(&a, 5, UCB_PROV_MAX);
    CHECK_EQ("serialize", ucb_prov_serialize(&a, buf, sizeof buf), SZ);
    buf[SZ] = 0;
    static const size_t cut[] = {0, 4, 6, 56, SZ / 2, SZ - 4, SZ - 1, SZ + 1};
    for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++) {
        write_file(recpath, buf, cut[i]);
        memset(&q, 0x5A, sizeof q);
        int rc = s.ops->load(s.ctx, &q);
        if (rc != UCB_ERR_STORE) fail_msg("record cut to %zu bytes: rc %d", cut[i], rc);
        check_cleared("cut", &q);
    }
    unlink(recpath);

    /* PATH is a directory: open succeeds on Linux, read fails. */
    assert_int_equal(mkdir(recpath, 0700), 0);
    CHECK_EQ("directory", s.ops->load(s.ctx, &q), UCB_ERR_STORE);
    CHECK_EQ("save over a directory", s.ops->save(s.ctx, &a), UCB_ERR_STORE);
    rmdir(recpath);
}

static void stale_tmp_file_is_ignored_and_replaced(void **state)
{
    (void)state;
    struct ucb_store_file f;
    struct ucb_store s;
    struct ucb_provenance a, b, q;
    char tmp[320];
    snprintf(tmp, sizeof tmp, "%s.tmp", recpath);
    CHECK_EQ("init", ucb_store_file_init(&f, recpath, &s), 0);
    make_record(&a, 6, 4);
    make_record(&b, 7, 9);

    /* A crash mid-save before anything was ever saved. */
    static const uint8_t junk[700] = {'U', 'C', 'B', 'P', 1, 0, 1};
    write_file(tmp, junk, sizeof junk);
    CHECK_EQ("load with only a stale tmp", s.ops->load(s.ctx, &q), 0);
    CHECK_EQ("valid", q.valid, false);

    CHECK_EQ("save a", s.ops->save(s.ctx, &a), 0);
    /* A crash mid-save after a, leaving a whole serialised b in the tmp
     * file: still not the record until renamed. */
    uint8_t bb[SZ];
    CHECK_EQ("serialize b", ucb_prov_serialize(&b, bb, sizeof bb), SZ);
    write_file(tmp, bb, sizeof bb);
    CHECK_EQ("load with stale tmp", s.ops->load(s.ctx, &q), 0);
    assert_true(prov_equal(&q, &a));
    write_file(tmp, junk, 10);
    CHECK_EQ("save b over the stale tmp", s.ops->save(s.ctx, &b), 0);
    CHECK_EQ("load b", s.ops->load(s.ctx, &q), 0);
    assert_true(prov_equal(&q, &b));
    struct stat st;
    CHECK_EQ("tmp renamed away", stat(tmp, &st), -1);
    unlink(recpath);
}

static void save_into_missing_directory_fails(void **state)
{
    (void)state;
    struct ucb_store_file f;
    struct ucb_store s;
    struct ucb_provenance a, q;
    char p[320];
    snprintf(p, sizeof p, "%s/no-such-dir/prov.bin", tmpdir);
    CHECK_EQ("init", ucb_store_file_init(&f, p, &s), 0);
    make_record(&a, 8, 1);
    CHECK_EQ("save", s.ops->save(s.ctx, &a), UCB_ERR_STORE);
    CHECK_EQ("load", s.ops->load(s.ctx, &q), 0);
    CHECK_EQ("valid", q.valid, false);
}

static void init_checks_path_and_finds_directory(void **state)
{
    (void)state;
    struct ucb_store_file f;
    struct ucb_store s;
    static char longp[UCB_STORE_FILE_PATH_MAX + 1];
    memset(longp, 'a', UCB_STORE_FILE_PATH_MAX);
    CHECK_EQ("path of PATH_MAX bytes", ucb_store_file_init(&f, longp, &s), UCB_ERR_ARG);
    longp[UCB_STORE_FILE_PATH_MAX - 1] = 0;
    CHECK_EQ("path of PATH_MAX - 1 bytes", ucb_store_file_init(&f, longp, &s), 0);
    CHECK_EQ("tmp path", strlen(f.tmp), UCB_STORE_FILE_PATH_MAX + 3);
    CHECK_EQ("empty path", ucb_store_file_init(&f, "", &s), UCB_ERR_ARG);
    CHECK_EQ("path to a directory", ucb_store_file_init(&f, "/var/lib/", &s), UCB_ERR_ARG);
    CHECK_EQ("NULL path", ucb_store_file_init(&f, NULL, &s), UCB_ERR_ARG);
    CHECK_EQ("NULL store", ucb_store_file_init(NULL, "x", &s), UCB_ERR_ARG);
    CHECK_EQ("NULL out", ucb_store_file_init(&f, "x", NULL), UCB_ERR_ARG);

    CHECK_EQ("bare", ucb_store_file_init(&f, "prov.bin", &s), 0);
    assert_string_equal(f.dir, ".");
    assert_string_equal(f.tmp, "prov.bin.tmp");
    CHECK_EQ("root", ucb_store_file_init(&f, "/prov.bin", &s), 0);
    assert_string_equal(f.dir, "/");
    CHECK_EQ("nested", ucb_store_file_init(&f, "/var/lib/ucb/prov.bin", &s), 0);
    assert_string_equal(f.dir, "/var/lib/ucb");
    assert_ptr_equal(f.io, ucb_store_file_posix_io());
}

/* ========================================================================= */
/* Part 2: the simulated filesystem and the power-loss sweep                 */

#define SIM_INODES 8
#define SIM_NAMES 4
#define SIM_HANDLES 4
#define SIM_CAP 2048

struct sim_inode {
    bool used;
    uint8_t vis[SIM_CAP], dur[SIM_CAP];
    size_t vis_len, dur_len;
};

struct sim_name {
    char name[UCB_STORE_FILE_PATH_MAX + 8];
    int vis, dur;   /* inode, or -1 */
};

struct sim {
    struct sim_inode ino[SIM_INODES];
    struct sim_name dir[SIM_NAMES];
    int handle[SIM_HANDLES]; /* inode, or -1 when closed */
    size_t pos[SIM_HANDLES]; /* read position */
    size_t chunk;            /* most bytes one write() moves */
    int ops;                 /* operations so far */
    int crash_at;            /* crash at this operation (-1: never) */
    int fail_at;             /* fail this operation with EIO, no crash (-1: never) */
    bool crashed;
    bool lying_fsync;        /* fsync reports success, makes nothing durable */
};

static void sim_init(struct sim *s)
{
    memset(s, 0, sizeof *s);
    for (int i = 0; i < SIM_NAMES; i++)
        s->dir[i].vis = s->dir[i].dur = -1;
    for (int i = 0; i < SIM_HANDLES; i++)
        s->handle[i] = -1;
    s->chunk = 256;
    s->crash_at = s->fail_at = -1;
}

static struct sim_name *sim_lookup(struct sim *s, const char *name, bool create)
{
    for (int i = 0; i < SIM_NAMES; i++)
        if (s->dir[i].name[0] && strcmp(s->dir[i].name, name) == 0) return &s->dir[i];
    if (!create) return NULL;
    for (int i = 0; i < SIM_NAMES; i++) {
        if (!s->dir[i].name[0]) {
            snprintf(s->dir[i].name, sizeof s->dir[i].name, "%s", name);
            return &s->dir[i];
        }
    }
    fail_msg("sim: directory full");
    return NULL;
}

static int sim_new_inode(struct sim *s)
{
    for (int i = 0; i < SIM_INODES; i++) {
        if (!s->ino[i].used) {
            memset(&s->ino[i], 0, sizeof s->ino[i]);
            s->ino[i].used = true;
            return i;
        }
    }
    fail_msg("sim: out of inodes");
    return -1;
}

/* Counts the operation; true when it must not run (crashed now or before,
 * or injected I/O error). */
static bool sim_step(struct sim *s)
{
    if (s->crashed) return true;
    int k = s->ops++;
    if (k == s->crash_at) {
        s->crashed = true;
        return true;
    }
    return k == s->fail_at;
}

static int sim_open(void *ctx, const char *path, int mode)
{
    struct sim *s = ctx;
    if (sim_step(s)) return -EIO;
    int h = 0;
    while (h < SIM_HANDLES && s->handle[h] >= 0)
        h++;
    if (h == SIM_HANDLES) return -EMFILE;
    struct sim_name *n = sim_lookup(s, path, mode == UCB_STORE_FILE_WRITE);
    if (mode == UCB_STORE_FILE_READ) {
        if (!n || n->vis < 0) return -ENOENT;
    } else if (n->vis < 0) {
        n->vis = sim_new_inode(s);
    } else {
        s->ino[n->vis].vis_len = 0;   /* O_TRUNC, durable only with fsync */
    }
    s->handle[h] = n->vis;
    s->pos[h] = 0;
    return h;
}

static ptrdiff_t sim_read(void *ctx, int h, uint8_t *buf, size_t len)
{
    /* Reads are not crash points: a crash during load() changes nothing. */
    struct sim *s = ctx;
    assert_true(h >= 0 && h < SIM_HANDLES && s->handle[h] >= 0);
    struct sim_inode *ino = &s->ino[s->handle[h]];
    /* At most chunk bytes a call, so load() must loop. */
    size_t left = ino->vis_len - s->pos[h];
    size_t n = left < len ? left : len;
    if (n > s->chunk) n = s->chunk;
    memcpy(buf, ino->vis + s->pos[h], n);
    s->pos[h] += n;
    return (ptrdiff_t)n;
}

static ptrdiff_t sim_write(void *ctx, int h, const uint8_t *buf, size_t len)
{
    struct sim *s = ctx;
    assert_true(h >= 0 && h < SIM_HANDLES && s->handle[h] >= 0);
    struct sim_inode *ino = &s->ino[s->handle[h]];
    size_t n = len < s->chunk ? len : s->chunk;
    if (ino->vis_len + n > SIM_CAP) return -ENOSPC;
    bool stop = sim_step(s);
    if (stop && s->crashed) n /= 2;   /* torn: power fails mid-write */
    else if (stop) n = 0;
    memcpy(ino->vis + ino->vis_len, buf, n);
    ino->vis_len += n;
    return stop ? -EIO : (ptrdiff_t)n;
}

static int sim_fsync(void *ctx, int h)
{
    struct sim *s = ctx;
    assert_true(h >= 0 && h < SIM_HANDLES && s->handle[h] >= 0);
    if (sim_step(s)) return -EIO;
    if (s->lying_fsync) return 0;
    struct sim_inode *ino = &s->ino[s->handle[h]];
    memcpy(ino->dur, ino->vis, ino->vis_len);
    ino->dur_len = ino->vis_len;
    return 0;
}

static int sim_close(void *ctx, int h)
{
    struct sim *s = ctx;
    assert_true(h >= 0 && h < SIM_HANDLES && s->handle[h] >= 0);
    s->handle[h] = -1;   /* the descriptor is gone even on error */
    return sim_step(s) ? -EIO : 0;
}

static int sim_rename(void *ctx, const char *from, const char *to)
{
    struct sim *s = ctx;
    if (sim_step(s)) return -EIO;
    struct sim_name *f = sim_lookup(s, from, false);
    if (!f || f->vis < 0) return -ENOENT;
    struct sim_name *t = sim_lookup(s, to, true);
    t->vis = f->vis;
    f->vis = -1;
    return 0;
}

static int sim_fsyncdir(void *ctx, const char *dir)
{
    struct sim *s = ctx;
    (void)dir;
    if (sim_step(s)) return -EIO;
    for (int i = 0; i < SIM_NAMES; i++)
        s->dir[i].dur = s->dir[i].vis;
    return 0;
}

static const struct ucb_store_file_io sim_io = {
    .open = sim_open,
    .read = sim_read,
    .write = sim_write,
    .fsync = sim_fsync,
    .close = sim_close,
    .rename = sim_rename,
    .fsyncdir = sim_fsyncdir,
};

/* Put a file durably at `name` (the state before the save under test). */
static void sim_put(struct sim *s, const char *name, const uint8_t *data, size_t len)
{
    struct sim_name *n = sim_lookup(s, name, true);
    int i = sim_new_inode(s);
    memcpy(s->ino[i].vis, data, len);
    memcpy(s->ino[i].dur, data, len);
    s->ino[i].vis_len = s->ino[i].dur_len = len;
    n->vis = n->dur = i;
}

/* What one file may hold after power loss, given what was durable and
 * what the program saw (one of CV_*). */
enum { CV_DUR, CV_VIS, CV_HALF, CV_ALL_BUT_ONE, CV_ZEROS, CV_EMPTY, CV_N };

static size_t sim_crash_content(const struct sim_inode *ino, int v, uint8_t *out)
{
    switch (v) {
    case CV_DUR:
        memcpy(out, ino->dur, ino->dur_len);
        return ino->dur_len;
    case CV_VIS:
        memcpy(out, ino->vis, ino->vis_len);
        return ino->vis_len;
    case CV_HALF:
        memcpy(out, ino->vis, ino->vis_len / 2);
        return ino->vis_len / 2;
    case CV_ALL_BUT_ONE:
        if (ino->vis_len == 0) return 0;
        memcpy(out, ino->vis, ino->vis_len - 1);
        return ino->vis_len - 1;
    case CV_ZEROS:   /* size grew, data blocks never written (writeback) */
        memset(out, 0, ino->vis_len);
        return ino->vis_len;
    default:
        return 0;
    }
}

static bool inode_settled(const struct sim_inode *ino)
{
    return ino->dur_len == ino->vis_len && memcmp(ino->dur, ino->vis, ino->vis_len) == 0;
}

struct sweep_stats {
    unsigned images, old_seen, new_seen, bad;
    char first_bad[200];
};

/*
 * Every image power loss may leave of `crashed` (two names: PATH and
 * PATH.tmp; each bound durably or as the program saw; each bound file with
 * each possible content, settled files only as they are), loaded through a
 * fresh store. `new_only`: save() had returned 0, so only `b` is right.
 */
static void sweep_images(const struct sim *crashed, const char *path,
                         const struct ucb_provenance *a, const struct ucb_provenance *b,
                         bool new_only, int step, struct sweep_stats *st)
{
    static struct sim img;
    static uint8_t content[SIM_CAP];
    int nn = 0;
    const struct sim_name *names[SIM_NAMES];
    for (int i = 0; i < SIM_NAMES; i++)
        if (crashed->dir[i].name[0]) names[nn++] = &crashed->dir[i];
    assert_true(nn <= 2);

    for (unsigned bind = 0; bind < (1u << nn); bind++) {
        for (int cv0 = 0; cv0 < CV_N; cv0++) {
            for (int cv1 = 0; cv1 < CV_N; cv1++) {
                sim_init(&img);
                bool dup = false;
                for (int k = 0; k < nn; k++) {
                    int which = (bind >> k) & 1u ? names[k]->vis : names[k]->dur;
                    if (((bind >> k) & 1u) && names[k]->vis == names[k]->dur) dup = true;
                    if (which < 0) continue;
                    const struct sim_inode *ino = &crashed->ino[which];
                    int cv = k == 0 ? cv0 : cv1;
                    if (inode_settled(ino) && cv != CV_DUR) dup = true;
                    size_t len = sim_crash_content(ino, cv, content);
                    sim_put(&img, names[k]->name, content, len);
                }
                if (dup) continue;   /* same image as another combination */
                st->images++;

                struct ucb_store_file f;
                struct ucb_store s;
                struct ucb_provenance q;
                CHECK_EQ("init", ucb_store_file_init(&f, path, &s), 0);
                f.io = &sim_io;
                f.io_ctx = &img;
                int rc = s.ops->load(s.ctx, &q);
                bool is_old = rc == 0 && prov_equal(&q, a);
                bool is_new = rc == 0 && prov_equal(&q, b);
                if (is_old) st->old_seen++;
                if (is_new) st->new_seen++;
                if (!is_new && (new_only || !is_old)) {
                    if (!st->bad++)
                        snprintf(st->first_bad, sizeof st->first_bad,
                                 "crash at op %d, binding %u, content %d/%d: rc %d, %s", step,
                                 bind, cv0, cv1, rc,
                                 rc ? "unreadable" : is_old ? "old after success" : "mixed");
                    continue;
                }

                /* The next save after the reboot must work over whatever
                 * the crash left (a stale tmp among others). */
                struct ucb_provenance c;
                make_record(&c, 99, 2);
                CHECK_EQ("save after reboot", s.ops->save(s.ctx, &c), 0);
                CHECK_EQ("load after reboot", s.ops->load(s.ctx, &q), 0);
                if (!prov_equal(&q, &c)) fail_msg("crash at op %d: save after reboot lost", step);
            }
        }
    }
}

/*
 * Save `b` over `a` (a->valid false: nothing saved before; stale_tmp: a
 * garbage PATH.tmp lies around), crashing at every operation in turn.
 */
static struct sweep_stats sweep(const struct ucb_provenance *a, const struct ucb_provenance *b,
                                bool stale_tmp, bool lying_fsync)
{
    static const char *path = "/data/prov.bin";
    static struct sim s0, s;
    struct sweep_stats st;
    memset(&st, 0, sizeof st);
    sim_init(&s0);
    uint8_t buf[SZ];
    if (a->valid) {
        CHECK_EQ("serialize old", ucb_prov_serialize(a, buf, sizeof buf), SZ);
        sim_put(&s0, path, buf, SZ);
    }
    if (stale_tmp) {
        memset(buf, 0xA5, 300);
        sim_put(&s0, "/data/prov.bin.tmp", buf, 300);
    }
    s0.chunk = 200;   /* four writes per record: torn writes at several places */
    s0.lying_fsync = lying_fsync;

    for (int k = 0;; k++) {
        s = s0;
        s.crash_at = k;
        struct ucb_store_file f;
        struct ucb_store store;
        CHECK_EQ("init", ucb_store_file_init(&f, path, &store), 0);
        f.io = &sim_io;
        f.io_ctx = &s;
        int rc = store.ops->save(store.ctx, b);
        bool done = !s.crashed;
        if (done) CHECK_EQ("save without crash", rc, 0);
        else CHECK_EQ("save interrupted", rc, UCB_ERR_STORE);
        sweep_images(&s, path, a, b, done, k, &st);
        if (done) break;
    }
    return st;
}

static void power_loss_at_any_point_leaves_old_or_new_record(void **state)
{
    (void)state;
    struct ucb_provenance none, a, b, small;
    memset(&none, 0, sizeof none);
    make_record(&a, 10, UCB_PROV_MAX);
    make_record(&b, 11, 7);
    make_record(&small, 12, 0);

    struct {
        const char *name;
        const struct ucb_provenance *old, *nu;
        bool stale;
    } cases[] = {
        {"first save", &none, &a, false},
        {"replace", &a, &b, false},
        {"replace with stale tmp", &a, &b, true},
        {"first save with stale tmp", &none, &small, true},
        {"replace by empty", &b, &small, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sweep_stats st = sweep(cases[i].old, cases[i].nu, cases[i].stale, false);
        if (st.bad) fail_msg("%s: %u of %u images wrong; first: %s", cases[i].name, st.bad,
                             st.images, st.first_bad);
        /* The sweep reached both sides: crashes that keep the old record
         * and crashes that already show the new one. */
        if (!st.old_seen || !st.new_seen || st.images < 50)
            fail_msg("%s: sweep too small (%u images, %u old, %u new)", cases[i].name,
                     st.images, st.old_seen, st.new_seen);
    }
}

/* The sweep has teeth: with an fsync that makes nothing durable, some
 * crash must leave PATH naming an empty or torn file. */
static void sweep_catches_a_lying_fsync(void **state)
{
    (void)state;
    struct ucb_provenance a, b;
    make_record(&a, 20, 3);
    make_record(&b, 21, 4);
    struct sweep_stats st = sweep(&a, &b, false, true);
    if (!st.bad) fail_msg("sweep found nothing wrong with a lying fsync (%u images)", st.images);
}

/* An I/O error (no crash) at each operation: save() reports it, closes
 * what it opened, and the record seen afterwards is the old or the new. */
static void io_error_at_any_operation_is_reported_and_cleaned_up(void **state)
{
    (void)state;
    static struct sim s0, s;
    struct ucb_provenance a, b, q;
    uint8_t buf[SZ];
    make_record(&a, 30, 5);
    make_record(&b, 31, 6);
    sim_init(&s0);
    CHECK_EQ("serialize", ucb_prov_serialize(&a, buf, sizeof buf), SZ);
    sim_put(&s0, "prov.bin", buf, SZ);
    s0.chunk = 100;

    /* Operations of a clean save; the last two are rename and fsyncdir. */
    int total;
    {
        s = s0;
        struct ucb_store_file f;
        struct ucb_store store;
        CHECK_EQ("init", ucb_store_file_init(&f, "prov.bin", &store), 0);
        f.io = &sim_io;
        f.io_ctx = &s;
        CHECK_EQ("clean save", store.ops->save(store.ctx, &b), 0);
        total = s.ops;
    }

    int failures = 0;
    for (int k = 0;; k++) {
        s = s0;
        s.fail_at = k;
        struct ucb_store_file f;
        struct ucb_store store;
        CHECK_EQ("init", ucb_store_file_init(&f, "prov.bin", &store), 0);
        f.io = &sim_io;
        f.io_ctx = &s;
        int rc = store.ops->save(store.ctx, &b);
        for (int h = 0; h < SIM_HANDLES; h++)
            if (s.handle[h] >= 0) fail_msg("error at op %d: handle %d left open", k, h);
        if (s.ops <= k) {
            CHECK_EQ("save without error", rc, 0);
            break;
        }
        CHECK_EQ("save with error", rc, UCB_ERR_STORE);
        failures++;
        s.fail_at = -1;
        CHECK_EQ("load", store.ops->load(store.ctx, &q), 0);
        if (!prov_equal(&q, &a) && !prov_equal(&q, &b))
            fail_msg("error at op %d: record is neither old nor new", k);
        /* Fails before the rename keep the old record, a failed fsyncdir
         * comes after the rename: the new one is visible. */
        if (k < total - 2 && !prov_equal(&q, &a))
            fail_msg("error at op %d (before rename): new record visible", k);
        if (k == total - 1 && !prov_equal(&q, &b))
            fail_msg("error at fsyncdir: renamed record not visible");
    }
    if (failures != total) fail_msg("%d operations swept of %d", failures, total);

    s = s0;
    s.fail_at = 0;
    struct ucb_store_file f;
    struct ucb_store store;
    CHECK_EQ("init", ucb_store_file_init(&f, "prov.bin", &store), 0);
    f.io = &sim_io;
    f.io_ctx = &s;
    CHECK_EQ("open for load fails", store.ops->load(store.ctx, &q), UCB_ERR_STORE);
    check_cleared("open fails", &q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(file_store_round_trips, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(missing_file_loads_as_nothing_saved, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(version_mismatch_is_refused, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(checksum_error_is_refused, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(garbage_files_are_refused_without_crashing, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(stale_tmp_file_is_ignored_and_replaced, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(save_into_missing_directory_fails, setup_dir,
                                        teardown_dir),
        cmocka_unit_test(init_checks_path_and_finds_directory),
        cmocka_unit_test(power_loss_at_any_point_leaves_old_or_new_record),
        cmocka_unit_test(sweep_catches_a_lying_fsync),
        cmocka_unit_test(io_error_at_any_operation_is_reported_and_cleaned_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
