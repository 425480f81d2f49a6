/*
 * A guest with poisoned memory migrates, and the poison follows it
 *
 * The memory-error payload waits to read a page.  On the source one page
 * takes an action-optional memory error, another is poisoned for access
 * (x-inject-memory-error ... required), a third holds a pattern.  After a
 * live migration, or two save/restore hops, the destination lists both
 * pages (x-query-memory-errors), the third still holds its pattern, and
 * the payload's read of a poisoned page takes an action-required machine
 * check with that page's address.  On an upstream machine type, or with
 * x-migrate-poisoned-memory=off, the migration is refused as upstream
 * refuses it and the source runs on.  A stream whose list is bad fails
 * to load, naming the entry, and the destination stays up; so does one
 * whose MCG_CAP claims more MCA banks than QEMU keeps.
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "guest-payload.h"
#include "guest-migration.h"
#include "guest-payload/memory-error.h"
#include "guest-payload/x86-arch.h"

#define BANK            9
#define CPU_AMD         "qemu64,vendor=AuthenticAMD"
#define PATTERN         0x5a5a5a5a5a5a5a5aULL
#define REFUSED         "Can't migrate this vm with hardware poisoned memory"

typedef struct Pages {
    uint64_t optional;  /* an action-optional error: reported at once */
    uint64_t required;  /* poisoned for access: reported when read */
    uint64_t intact;
} Pages;

static void pick_pages(Pages *p)
{
    /* Three distinct pages in guest RAM (128 MiB), above the payload. */
    p->optional = (uint64_t)g_test_rand_int_range(0x400, 0x2000) << 12;
    p->required = (uint64_t)g_test_rand_int_range(0x2000, 0x4000) << 12;
    p->intact = (uint64_t)g_test_rand_int_range(0x4000, 0x7000) << 12;
}

static QTestState *start(GuestPayloadAccel accel, const char *extra,
                         bool incoming)
{
    QTestState *qts = guest_payload_start(accel, "memory-error",
                                          "-cpu " CPU_AMD " %s%s", extra,
                                          incoming ? " -incoming defer" : "");

    guest_migration_enable_events(qts);
    return qts;
}

/* The source: payload waiting to read, two pages poisoned, one written. */
static QTestState *start_source(GuestPayloadAccel accel, const char *extra,
                                const Pages *p)
{
    QTestState *qts = start(accel, extra, false);

    guest_payload_set_input(qts, MEMERR_IN_MODE, MEMERR_MODE_TOUCH);
    guest_payload_set_input(qts, MEMERR_IN_BANK, BANK);
    qtest_writeq(qts, p->intact, PATTERN);
    qtest_qmp_assert_success(qts, "{'execute': 'cont'}");
    guest_payload_wait_checkpoint(qts, MEMERR_CP_READY);
    qtest_qmp_assert_success(qts, "{'execute': 'x-inject-memory-error',"
                             " 'arguments': {'gpa': %" PRIu64 ","
                             " 'action': 'optional'}}", p->optional);
    qtest_qmp_assert_success(qts, "{'execute': 'x-inject-memory-error',"
                             " 'arguments': {'gpa': %" PRIu64 ","
                             " 'action': 'required'}}", p->required);
    return qts;
}

/* x-query-memory-errors lists exactly @p's two pages, as they are. */
static void assert_listed(QTestState *qts, const Pages *p, bool on_arrival)
{
    QDict *rsp = qtest_qmp(qts, "{'execute': 'x-query-memory-errors'}");
    QList *list = qdict_get_qlist(rsp, "return");
    QDict *ao, *ar;

    g_assert_cmpint(qlist_size(list), ==, 2);
    ao = qobject_to(QDict, qlist_pop(list));
    ar = qobject_to(QDict, qlist_pop(list));
    g_assert_cmphex(qdict_get_uint(ao, "gpa"), ==, p->optional);
    g_assert_cmpstr(qdict_get_str(ao, "action"), ==, "optional");
    g_assert_true(qdict_get_bool(ao, "reported"));
    /* On the source only the page the guest may not touch raises #MC. */
    g_assert_cmpint(qdict_get_bool(ao, "on-access"), ==, on_arrival);
    g_assert_cmphex(qdict_get_uint(ar, "gpa"), ==, p->required);
    g_assert_cmpstr(qdict_get_str(ar, "action"), ==, "required");
    g_assert_false(qdict_get_bool(ar, "reported"));
    g_assert_true(qdict_get_bool(ar, "on-access"));
    qobject_unref(ao);
    qobject_unref(ar);
    qobject_unref(rsp);
}

/* Save @src to @uri (file:), or fail with its error in @error. */
static char *migrate(QTestState *src, const char *uri)
{
    QDict *rsp = qtest_qmp(src, "{'execute': 'migrate',"
                           " 'arguments': {'uri': %s}}", uri);
    g_autofree char *status = NULL;
    char *error = NULL;

    if (qdict_haskey(rsp, "error")) {
        error = g_strdup(qdict_get_str(qdict_get_qdict(rsp, "error"),
                                       "desc"));
        qobject_unref(rsp);
        return error;
    }
    qobject_unref(rsp);
    status = guest_migration_wait_end(src);
    if (strcmp(status, "completed")) {
        error = guest_migration_query_str(src, "error-desc");
        return error ? error : g_strdup(status);
    }
    return NULL;
}

/* Restore @uri into a new destination; asserts that the load completes. */
static QTestState *restore(GuestPayloadAccel accel, const char *uri)
{
    QTestState *dst = start(accel, "", true);
    g_autofree char *status = NULL;

    guest_migration_incoming(dst, uri);
    status = guest_migration_wait_end(dst);
    g_assert_cmpstr(status, ==, "completed");
    return dst;
}

/* The payload reads @gpa: it takes one action-required #MC there. */
static void touch(QTestState *qts, uint64_t gpa, uint32_t mc_before)
{
    GuestPayloadMailbox mb;

    guest_payload_set_input(qts, MEMERR_IN_TOUCH_GPA, gpa);
    guest_payload_set_input(qts, MEMERR_IN_GO, 1);
    guest_payload_run(qts, &mb);
    g_assert_cmpuint(mb.values[MEMERR_OUT_MC_COUNT], ==, mc_before + 1);
    g_assert_cmphex(mb.values[MEMERR_OUT_ADDR], ==, gpa);
    g_assert_cmphex(mb.values[MEMERR_OUT_STATUS] & MCI_UC, ==, MCI_UC);
}

static uint32_t mc_count(QTestState *qts)
{
    GuestPayloadMailbox mb;

    guest_payload_read_mailbox(qts, &mb);
    return mb.values[MEMERR_OUT_MC_COUNT];
}

static void test_live(GuestPayloadAccel accel)
{
    QTestState *src, *dst;
    g_autofree char *uri = NULL;
    g_autofree char *error = NULL;
    g_autofree char *info = NULL;
    uint32_t mc;
    Pages p;

    pick_pages(&p);
    src = start_source(accel, "", &p);
    assert_listed(src, &p, false);
    mc = mc_count(src);

    dst = start(accel, "", true);
    guest_migration_incoming(dst, "tcp:127.0.0.1:0");
    uri = guest_migration_incoming_tcp_uri(dst);
    error = migrate(src, uri);
    g_assert_null(error);
    g_free(guest_migration_wait_end(dst));
    qtest_quit(src);

    assert_listed(dst, &p, true);
    info = qtest_hmp(dst, "info memory-errors");
    g_assert(strstr(info, "required, not reported yet, #MC on access"));
    g_assert_cmphex(qtest_readq(dst, p.intact), ==, PATTERN);
    touch(dst, p.optional, mc);
    qtest_quit(dst);
}

static void test_two_hops(GuestPayloadAccel accel)
{
    g_autofree char *path = g_strdup_printf("%s/poison-%d.mig",
                                            g_get_tmp_dir(), getpid());
    g_autofree char *uri = g_strdup_printf("file:%s", path);
    QTestState *qts;
    uint32_t mc;
    Pages p;

    pick_pages(&p);
    qts = start_source(accel, "", &p);
    mc = mc_count(qts);
    for (int hop = 0; hop < 2; hop++) {
        g_autofree char *error = migrate(qts, uri);

        g_assert_null(error);
        qtest_quit(qts);
        qts = restore(accel, uri);
        assert_listed(qts, &p, true);
    }
    unlink(path);
    g_assert_cmphex(qtest_readq(qts, p.intact), ==, PATTERN);
    touch(qts, p.required, mc);

    /* A reset gives the guest fresh memory: nothing poisoned, zeroed. */
    qtest_qmp_assert_success(qts, "{'execute': 'set-action',"
                             " 'arguments': {'reboot': 'reset'}}");
    qtest_qmp_assert_success(qts, "{'execute': 'system_reset'}");
    qtest_qmp_eventwait(qts, "RESET");
    qtest_qmp_assert_success(qts, "{'execute': 'stop'}");
    g_assert_cmphex(qtest_readq(qts, p.required), ==, 0);
    g_assert_cmphex(qtest_readq(qts, p.optional), ==, 0);
    qtest_quit(qts);
}

/* Upstream's refusal: on upstream machine types and with the property off */
static void test_refused(GuestPayloadAccel accel)
{
    static const char *const configs[] = {
        "-machine pc-i440fx-10.2",
        "-global x86_64-cpu.x-migrate-poisoned-memory=off",
    };
    g_autofree char *uri = g_strdup_printf("file:%s/poison-%d.mig",
                                           g_get_tmp_dir(), getpid());

    for (int i = 0; i < ARRAY_SIZE(configs); i++) {
        g_autofree char *error = NULL;
        g_autofree char *status = NULL;
        QTestState *src;
        Pages p;

        pick_pages(&p);
        src = start_source(accel, configs[i], &p);
        error = migrate(src, uri);
        g_assert_nonnull(error);
        g_assert(strstr(error, REFUSED));
        status = guest_payload_run_status(src);
        g_assert_cmpstr(status, ==, "running");
        g_assert_cmphex(qtest_readq(src, p.intact), ==, PATTERN);
        qtest_quit(src);
    }
}

/* Where the list is in a saved stream: its count, then its records. */
static size_t find_list(const char *buf, size_t len)
{
    static const char name[] = "resilient-poisoned-memory";
    const char *at = memmem(buf, len, name, strlen(name));

    g_assert_nonnull(at);
    g_assert_cmpint((unsigned char)at[-1], ==, strlen(name));
    /* name, instance id, version id */
    return at - buf + strlen(name) + 8;
}

/* What @src saves (file:), its length in @len; @src is gone after it. */
static char *save(QTestState *src, size_t *len)
{
    g_autofree char *path = g_strdup_printf("%s/poison-%d.mig",
                                            g_get_tmp_dir(), getpid());
    g_autofree char *uri = g_strdup_printf("file:%s", path);
    g_autofree char *error = migrate(src, uri);
    char *saved;

    g_assert_null(error);
    qtest_quit(src);
    g_assert_true(g_file_get_contents(path, &saved, len, NULL));
    unlink(path);
    return saved;
}

/*
 * Stream @buf must fail to load, saying @where and @what; the destination
 * answers, still waiting for a stream.
 */
static void load_refused(GuestPayloadAccel accel, const char *buf,
                         size_t len, const char *where, const char *what)
{
    g_autofree char *path = g_strdup_printf("%s/poison-bad-%d.mig",
                                            g_get_tmp_dir(), getpid());
    g_autofree char *uri = g_strdup_printf("file:%s", path);
    g_autofree char *status = NULL;
    g_autofree char *error = NULL;
    QTestState *dst;

    g_assert_true(g_file_set_contents(path, buf, len, NULL));
    dst = start(accel, "", true);
    guest_migration_incoming(dst, uri);
    status = guest_migration_wait_end(dst);
    g_assert_cmpstr(status, ==, "failed");
    error = guest_migration_query_str(dst, "error-desc");
    g_test_message("expected \"%s\", \"%s\" in: %s", where, what, error);
    g_assert_nonnull(error);
    g_assert(strstr(error, where));
    g_assert(strstr(error, what));
    g_free(status);
    status = guest_payload_run_status(dst);
    g_assert_cmpstr(status, ==, "inmigrate");
    qtest_quit(dst);
    unlink(path);
}

/* A saved stream with its list edited by @edit must fail to load. */
static void bad_list(GuestPayloadAccel accel, const char *saved, size_t len,
                     void (*edit)(char *list), const char *where,
                     const char *what)
{
    g_autofree char *copy = g_memdup2(saved, len);

    edit(copy + find_list(copy, len));
    load_refused(accel, copy, len, where, what);
}

/* Big-endian fields: count (be32), then gpa (be64), kind, reported. */
static void unaligned(char *list)
{
    list[4 + 7] |= 1;
}

static void twice(char *list)
{
    memcpy(list + 4 + 10, list + 4, 8);
}

static void huge_count(char *list)
{
    memcpy(list, "\x7f\xff\xff\xff", 4);
}

static void unknown_kind(char *list)
{
    list[4 + 8] = 7;
}

static void outside_ram(char *list)
{
    memcpy(list + 4, "\x00\x00\x00\x00\xfe\xc0\x00\x00", 8);
}

static void test_bad_list(GuestPayloadAccel accel)
{
    g_autofree char *saved = NULL;
    size_t len;
    Pages p;

    pick_pages(&p);
    saved = save(start_source(accel, "", &p), &len);

    bad_list(accel, saved, len, unaligned, "entry 0: ", "is not page-aligned");
    bad_list(accel, saved, len, twice, "entry 1: ", "is listed twice");
    bad_list(accel, saved, len, huge_count, "resilient-poisoned-memory",
             "count of poisoned pages");
    bad_list(accel, saved, len, unknown_kind, "entry 0: ", "unknown kind");
    bad_list(accel, saved, len, outside_ram, "entry 0: ",
             "Memory at address 0xfec00000 is not RAM");
}

/*
 * Where MCG_CAP is in a saved stream: in the first vCPU's section, the
 * field before MCG_STATUS (0 in a guest that took no machine check),
 * MCG_CTL and MC0_CTL (all ones since reset).
 */
static size_t find_mcg_cap(const char *buf, size_t len)
{
    static const char cpu[] = "\x03" "cpu" "\0\0\0\0";
    static const char ones[16] = {
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1
    };
    static const char zeros[8];
    const char *at = memmem(buf, len, cpu, sizeof(cpu) - 1);

    g_assert_nonnull(at);
    for (size_t i = at - buf; i + 32 <= len; i++) {
        unsigned nbanks = (unsigned char)buf[i + 7];

        if (nbanks && nbanks <= 32 && !memcmp(buf + i + 8, zeros, 8) &&
            !memcmp(buf + i + 16, ones, 16)) {
            return i;
        }
    }
    g_assert_not_reached();
}

/*
 * A stream whose MCG_CAP gives the vCPU more MCA banks than QEMU keeps
 * would let the guest's RDMSR and WRMSR, and x-inject-mce, index past
 * them: the destination refuses it and stays up.
 */
static void test_too_many_banks(GuestPayloadAccel accel)
{
    g_autofree char *saved = NULL;
    size_t len, at;

    saved = save(start(accel, "", false), &len);
    at = find_mcg_cap(saved, len);
    g_test_message("MCG_CAP in the stream: 0x%02x%02x%02x%02x, %u banks",
                   (unsigned char)saved[at + 4], (unsigned char)saved[at + 5],
                   (unsigned char)saved[at + 6], (unsigned char)saved[at + 7],
                   (unsigned char)saved[at + 7]);
    saved[at + 7] = (char)0xff;
    load_refused(accel, saved, len, "'cpu'", "post load hook failed");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    guest_payload_add_test("/x86/memory-error/migration/live", test_live);
    guest_payload_add_test("/x86/memory-error/migration/two-hops",
                           test_two_hops);
    guest_payload_add_test("/x86/memory-error/migration/refused",
                           test_refused);
    guest_payload_add_test("/x86/memory-error/migration/bad-list",
                           test_bad_list);
    guest_payload_add_test("/x86/memory-error/migration/too-many-banks",
                           test_too_many_banks);
    return g_test_run();
}
