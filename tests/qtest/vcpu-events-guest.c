/*
 * The vcpu-events payload's VM, moved between QEMU processes
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "guest-migration.h"
#include "vcpu-events-guest.h"

#define CPU_DEFAULT     "qemu64"
#define MC_BANK         1

static QTestState *start_process(Guest *g, bool incoming)
{
    QTestState *qts;

    g_free(g->errfile);
    g->errfile = g_strdup_printf("%s/stderr-%u", g->dir, g->processes++);
    qts = guest_payload_start(g->accel, "vcpu-events",
                              "-machine %s -cpu %s %s 2>%s", g->machine,
                              g->cpu, incoming ? "-incoming defer" : "",
                              g->errfile);
    guest_migration_enable_events(qts);
    return qts;
}

void vcpu_events_stop(QTestState *qts)
{
    qtest_qmp_assert_success(qts, "{'execute': 'stop'}");
}

void vcpu_events_cont(QTestState *qts)
{
    qtest_qmp_assert_success(qts, "{'execute': 'cont'}");
}

/* Until the wait loop's first round; false if the VM stopped first. */
static bool run_to_loop(QTestState *qts)
{
    const uint64_t rounds = GUEST_PAYLOAD_MAILBOX_ADDR +
                            offsetof(GuestPayloadMailbox,
                                     values[VE_OUT_LOOPS]);
    const uint64_t checkpoint = GUEST_PAYLOAD_MAILBOX_ADDR +
                                offsetof(GuestPayloadMailbox, checkpoint);
    gint64 deadline = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;

    vcpu_events_cont(qts);
    /* Guest RAM has no event to wait on: poll it, briefly. */
    while (qtest_readl(qts, rounds) == 0 &&
           qtest_readl(qts, checkpoint) < VE_CP_READY) {
        g_autofree char *status = guest_payload_run_status(qts);

        if (strcmp(status, "running")) {
            return false;
        }
        g_assert(g_get_monotonic_time() < deadline);
        g_usleep(1000);
    }
    return true;
}

bool vcpu_events_guest_try_start(Guest *g, GuestPayloadAccel accel,
                                 const char *machine, uint32_t mode,
                                 bool iret)
{
    memset(g, 0, sizeof(*g));
    g->accel = accel;
    g->machine = machine;
    g->cpu = g_strdup(CPU_DEFAULT);
    g->dir = g_dir_make_tmp("vcpu-events-XXXXXX", NULL);
    g->qts = start_process(g, false);
    guest_payload_set_input(g->qts, VE_IN_MODE, mode);
    guest_payload_set_input(g->qts, VE_IN_IRET, iret);
    guest_payload_set_input(g->qts, VE_IN_MC_BANK, MC_BANK);
    if (!run_to_loop(g->qts)) {
        g_autofree char *status = guest_payload_run_status(g->qts);

        /* Only IRET may fail, and only as an emulation failure. */
        g_assert_true(iret);
        g_assert_cmpstr(status, ==, "internal-error");
        vcpu_events_guest_end(g);
        return false;
    }
    if (mode == VE_MODE_WAIT) {
        guest_payload_wait_value(g->qts, VE_OUT_LOOPS, 1);
    }
    return true;
}

bool vcpu_events_guest_start(Guest *g, GuestPayloadAccel accel,
                             const char *machine, uint32_t mode, bool iret)
{
    if (!vcpu_events_guest_try_start(g, accel, machine, mode, iret)) {
        g_test_skip(VCPU_EVENTS_NO_IRET);
        return false;
    }
    return true;
}

/* Migrate to a new process; both statuses; g->qts becomes the new one. */
static char *move(Guest *g, Transport t, char **src_status)
{
    QTestState *src = g->qts, *dst = start_process(g, true);
    g_autofree char *uri = NULL;
    char *dst_status;

    if (t == VIA_FILE) {
        uri = g_strdup_printf("file:%s/guest.mig", g->dir);
        qtest_qmp_assert_success(src, "{'execute': 'migrate', 'arguments':"
                                 " {'uri': %s}}", uri);
        *src_status = guest_migration_wait_end(src);
        guest_migration_incoming(dst, uri);
    } else {
        guest_migration_incoming(dst, "tcp:127.0.0.1:0");
        uri = guest_migration_incoming_tcp_uri(dst);
        qtest_qmp_assert_success(src, "{'execute': 'migrate', 'arguments':"
                                 " {'uri': %s}}", uri);
        *src_status = guest_migration_wait_end(src);
    }
    dst_status = guest_migration_wait_end(dst);
    qtest_quit(src);
    g->qts = dst;
    return dst_status;
}

void vcpu_events_guest_move(Guest *g, Transport t, const char *cpu)
{
    g_autofree char *status = NULL;
    g_autofree char *dst_status = NULL;
    g_autofree char *error = NULL;

    if (cpu) {
        g_free(g->cpu);
        g->cpu = g_strdup(cpu);
    }
    dst_status = move(g, t, &status);
    g_assert_cmpstr(status, ==, "completed");
    error = guest_migration_query_str(g->qts, "error-desc");
    g_assert_cmpstr(error, ==, NULL);
    g_assert_cmpstr(dst_status, ==, "completed");
}

char *vcpu_events_guest_move_status(Guest *g, Transport t)
{
    g_autofree char *status = NULL;

    return move(g, t, &status);
}

void vcpu_events_guest_finish(Guest *g, GuestPayloadMailbox *mb)
{
    QDict *ev;

    guest_payload_set_input(g->qts, VE_IN_FINISH, 1);
    ev = qtest_qmp_eventwait_ref(g->qts, "SHUTDOWN");
    qobject_unref(ev);
    guest_payload_read_mailbox(g->qts, mb);
    g_assert_cmphex(mb->magic, ==, GUEST_PAYLOAD_MAGIC_DONE);
    g_assert_cmpuint(mb->status, ==, GUEST_PAYLOAD_STATUS_PASS);
}

void vcpu_events_guest_end(Guest *g)
{
    g_autoptr(GDir) dir = NULL;
    const char *name;

    if (g->qts) {
        qtest_quit(g->qts);
        g->qts = NULL;
    }
    dir = g_dir_open(g->dir, 0, NULL);
    while (dir && (name = g_dir_read_name(dir))) {
        g_autofree char *path = g_build_filename(g->dir, name, NULL);

        unlink(path);
    }
    rmdir(g->dir);
    g_free(g->dir);
    g_free(g->errfile);
    g_free(g->cpu);
}

QDict *vcpu_events_query(QTestState *qts)
{
    QDict *rsp = qtest_qmp(qts, "{'execute': 'x-query-vcpu-events'}");
    QDict *ev;

    g_assert(qdict_haskey(rsp, "return"));
    ev = qobject_to(QDict, qlist_peek(qdict_get_qlist(rsp, "return")));
    qobject_ref(ev);
    qobject_unref(rsp);
    return ev;
}

bool vcpu_events_part_bool(QDict *ev, const char *part, const char *key)
{
    return qdict_get_bool(qdict_get_qdict(ev, part), key);
}

bool vcpu_events_stderr_has(const Guest *g, const char *text)
{
    g_autofree char *log = NULL;

    g_assert(g_file_get_contents(g->errfile, &log, NULL, NULL));
    if (!strstr(log, text)) {
        g_test_message("stderr of the QEMU process: %s", log);
        return false;
    }
    return true;
}

void vcpu_events_wait_in_loop(QTestState *qts)
{
    uint32_t loops = qtest_readl(qts, GUEST_PAYLOAD_MAILBOX_ADDR +
                                 offsetof(GuestPayloadMailbox,
                                          values[VE_OUT_LOOPS]));

    guest_payload_wait_value(qts, VE_OUT_LOOPS, loops + 1);
}

void vcpu_events_assert_logged(const GuestPayloadMailbox *mb, unsigned i,
                               uint32_t vector, uint32_t error_code)
{
    const GuestPayloadException *e = &mb->exceptions[i];

    g_assert_cmpuint(i, <, mb->nr_exceptions);
    g_assert_cmpuint(e->vector, ==, vector);
    g_assert_cmphex(e->error_code, ==, error_code);
    g_assert_cmphex(e->eip, >=, mb->values[VE_OUT_LOOP_START]);
    g_assert_cmphex(e->eip, <, mb->values[VE_OUT_LOOP_END]);
}
