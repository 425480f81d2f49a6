/*
 * The CPUID guard: a guest is not resumed on a vCPU that lacks features
 * it was started with, and nothing is lost when it is refused
 *
 * The guest (cpuid-dump payload) runs on Westmere-v1 and sees AES; its
 * state is saved to a file or migrated live, then loaded into vCPUs with
 * and without AES under each x-migrate-cpuid-check policy.
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
#include "guest-payload/cpuid-dump.h"

#define CPUID_1_ECX_AES (1u << 25)

typedef struct Saved {
    GuestPayloadAccel accel;
    char *dir;
    char *file;
    GuestPayloadMailbox mb;
} Saved;

/* Whether QEMU gives the first vCPU AES, whatever the guest reads. */
static bool vcpu_has_aes(QTestState *qts)
{
    g_autofree char *path = guest_payload_cpu_path(qts);

    return qtest_qom_get_bool(qts, path, "aes");
}

#define NO_AES "this accelerator cannot give the vCPU AES"

static void ask_leaf1(QTestState *qts, bool spin)
{
    guest_payload_set_input(qts, CPUID_DUMP_IN_COUNT, 1);
    guest_payload_set_input(qts, CPUID_DUMP_IN_LEAF0, CPUID_DUMP_LEAF(1, 0));
    guest_payload_set_input(qts, CPUID_DUMP_IN_SPIN, spin);
}

/*
 * Run the guest on @cpu, check it saw AES, save it to a file.  False
 * (test skipped) if this accelerator cannot give the guest AES.
 */
static bool save_guest(Saved *s, GuestPayloadAccel accel, const char *cpu)
{
    QTestState *src;
    g_autofree char *status = NULL;
    g_autofree char *uri = NULL;

    s->accel = accel;
    src = guest_payload_start(accel, "cpuid-dump", "-cpu %s", cpu);
    if (!vcpu_has_aes(src)) {
        g_test_skip(NO_AES);
        qtest_quit(src);
        return false;
    }
    s->dir = g_dir_make_tmp("cpuid-guard-XXXXXX", NULL);
    s->file = g_build_filename(s->dir, "guest.mig", NULL);
    ask_leaf1(src, false);
    guest_payload_run(src, &s->mb);
    g_assert_cmpuint(s->mb.status, ==, GUEST_PAYLOAD_STATUS_PASS);
    g_assert_cmphex(s->mb.values[CPUID_DUMP_OUT(0, CPUID_DUMP_ECX)] &
                    CPUID_1_ECX_AES, ==, CPUID_1_ECX_AES);
    guest_migration_enable_events(src);
    uri = g_strdup_printf("file:%s", s->file);
    qtest_qmp_assert_success(src, "{'execute': 'migrate', 'arguments':"
                             " {'uri': %s}}", uri);
    status = guest_migration_wait_end(src);
    g_assert_cmpstr(status, ==, "completed");
    qtest_quit(src);
    return true;
}

static void saved_free(Saved *s)
{
    unlink(s->file);
    rmdir(s->dir);
    g_free(s->file);
    g_free(s->dir);
}

/* A destination waiting for migrate-incoming; stderr to @errfile. */
static QTestState *start_destination(GuestPayloadAccel accel,
                                     const char *cpu, const char *errfile)
{
    QTestState *dst;

    dst = guest_payload_start(accel, "cpuid-dump", "-cpu %s -incoming defer"
                              " %s%s", cpu, errfile ? "2>" : "",
                              errfile ?: "");
    guest_migration_enable_events(dst);
    return dst;
}

/* Load @s into a vCPU @cpu; "completed" or "failed", *@error set. */
static char *restore(const Saved *s, const char *cpu, char **error,
                     GuestPayloadMailbox *mb, const char *errfile)
{
    g_autofree char *uri = g_strdup_printf("file:%s", s->file);
    QTestState *dst = start_destination(s->accel, cpu, errfile);
    char *status;

    guest_migration_incoming(dst, uri);
    status = guest_migration_wait_end(dst);
    *error = guest_migration_query_str(dst, "error-desc");
    if (mb) {
        guest_payload_read_mailbox(dst, mb);
    }
    qtest_quit(dst);
    return status;
}

static void assert_same_guest(const GuestPayloadMailbox *a,
                              const GuestPayloadMailbox *b)
{
    g_assert_cmphex(b->magic, ==, a->magic);
    g_assert_cmpuint(b->status, ==, a->status);
    g_assert_cmphex(b->values[CPUID_DUMP_OUT(0, CPUID_DUMP_ECX)], ==,
                    a->values[CPUID_DUMP_OUT(0, CPUID_DUMP_ECX)]);
}

/* Refused with the feature named; the same file then loads where AES is. */
static void test_refused_then_restored(GuestPayloadAccel accel)
{
    Saved s = { 0 };
    g_autofree char *status = NULL;
    g_autofree char *error = NULL;
    g_autofree char *status2 = NULL;
    g_autofree char *error2 = NULL;
    GuestPayloadMailbox mb;

    if (!save_guest(&s, accel, "Westmere-v1")) {
        return;
    }
    status = restore(&s, "Westmere-v1,aes=off", &error, NULL, NULL);
    g_assert_cmpstr(status, ==, "failed");
    g_assert_nonnull(error);
    g_assert_nonnull(strstr(error, "the guest was started with CPU features "
                            "this vCPU does not provide: aes "
                            "(CPUID[0x1].ECX[25])"));
    g_assert_nonnull(strstr(error, "the saved state or the migration source "
                            "is untouched"));

    status2 = restore(&s, "Westmere-v1", &error2, &mb, NULL);
    g_assert_cmpstr(status2, ==, "completed");
    assert_same_guest(&s.mb, &mb);
    saved_free(&s);
}

/* x-migrate-cpuid-check=warn: loads, and says why it should not have. */
static void test_warn_policy(GuestPayloadAccel accel)
{
    Saved s = { 0 };
    g_autofree char *status = NULL;
    g_autofree char *error = NULL;
    g_autofree char *errfile = NULL;
    g_autofree char *stderr_text = NULL;
    GuestPayloadMailbox mb;

    if (!save_guest(&s, accel, "Westmere-v1")) {
        return;
    }
    errfile = g_build_filename(s.dir, "stderr", NULL);
    status = restore(&s, "Westmere-v1,aes=off,x-migrate-cpuid-check=warn",
                     &error, &mb, errfile);
    g_assert_cmpstr(status, ==, "completed");
    assert_same_guest(&s.mb, &mb);
    g_assert(g_file_get_contents(errfile, &stderr_text, NULL, NULL));
    g_assert_nonnull(strstr(stderr_text, "warning: vCPU 0: the guest was "
                            "started with CPU features this vCPU does not "
                            "provide: aes (CPUID[0x1].ECX[25]); resuming "
                            "anyway (x-migrate-cpuid-check=warn)"));
    unlink(errfile);
    saved_free(&s);
}

/*
 * Streams without the section (vanilla QEMU, upstream machine types,
 * x-migrate-cpuid=off) carry nothing to check: they load as before.
 */
static void test_stream_without_guard(GuestPayloadAccel accel)
{
    static const char *const sources[][2] = {
        { "Westmere-v1,x-migrate-cpuid=off", "Westmere-v1,aes=off" },
        { "Westmere-v1 -machine pc-i440fx-10.2",
          "Westmere-v1,aes=off -machine pc-i440fx-10.2" },
        { "Westmere-v1 -machine pc-i440fx-10.1",
          "Westmere-v1,aes=off -machine pc-i440fx-10.1" },
    };

    for (int i = 0; i < ARRAY_SIZE(sources); i++) {
        Saved s = { 0 };
        g_autofree char *status = NULL;
        g_autofree char *error = NULL;

        if (!save_guest(&s, accel, sources[i][0])) {
            return;
        }
        status = restore(&s, sources[i][1], &error, NULL, NULL);
        if (strcmp(status, "completed")) {
            g_error("%s -> %s: expected completed, got %s (%s)",
                    sources[i][0], sources[i][1], status, error);
        }
        saved_free(&s);
    }
}

static char *live_migrate(QTestState *src, GuestPayloadAccel accel,
                          const char *cpu, char **dst_error)
{
    QTestState *dst = start_destination(accel, cpu, NULL);
    g_autofree char *uri = NULL;
    g_autofree char *dst_status = NULL;
    char *status;

    guest_migration_incoming(dst, "tcp:127.0.0.1:0");
    uri = guest_migration_incoming_tcp_uri(dst);
    qtest_qmp_assert_success(src, "{'execute': 'migrate', 'arguments':"
                             " {'uri': %s}}", uri);
    status = guest_migration_wait_end(src);
    dst_status = guest_migration_wait_end(dst);
    g_assert_cmpstr(dst_status, ==, status);
    *dst_error = guest_migration_query_str(dst, "error-desc");
    qtest_quit(dst);
    return status;
}

/* Live: refused while the source keeps running; then it moves. */
static void test_live_migration(GuestPayloadAccel accel)
{
    QTestState *src;
    GuestPayloadMailbox mb;
    g_autofree char *status = NULL;
    g_autofree char *error = NULL;
    g_autofree char *run = NULL;
    g_autofree char *status2 = NULL;
    g_autofree char *error2 = NULL;
    g_autofree char *run2 = NULL;

    src = guest_payload_start(accel, "cpuid-dump", "-cpu Westmere-v1");
    if (!vcpu_has_aes(src)) {
        g_test_skip(NO_AES);
        qtest_quit(src);
        return;
    }
    ask_leaf1(src, true);
    qtest_qmp_assert_success(src, "{'execute': 'cont'}");
    guest_payload_wait_checkpoint(src, CPUID_DUMP_CHECKPOINT_SPINNING);
    guest_payload_read_mailbox(src, &mb);
    g_assert_cmphex(mb.values[CPUID_DUMP_OUT(0, CPUID_DUMP_ECX)] &
                    CPUID_1_ECX_AES, ==, CPUID_1_ECX_AES);
    guest_migration_enable_events(src);

    status = live_migrate(src, accel, "Westmere-v1,aes=off", &error);
    g_assert_cmpstr(status, ==, "failed");
    g_assert_nonnull(strstr(error, "aes (CPUID[0x1].ECX[25])"));
    run = guest_payload_run_status(src);
    g_assert_cmpstr(run, ==, "running");

    status2 = live_migrate(src, accel, "Westmere-v1", &error2);
    g_assert_cmpstr(status2, ==, "completed");
    run2 = guest_payload_run_status(src);
    g_assert_cmpstr(run2, ==, "postmigrate");
    qtest_quit(src);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    guest_payload_add_test("/x86/cpuid-guard/refused-then-restored",
                           test_refused_then_restored);
    guest_payload_add_test("/x86/cpuid-guard/warn-policy", test_warn_policy);
    guest_payload_add_test("/x86/cpuid-guard/stream-without-guard",
                           test_stream_without_guard);
    guest_payload_add_test("/x86/cpuid-guard/live-migration",
                           test_live_migration);
    return g_test_run();
}
