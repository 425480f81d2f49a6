/*
 * Guest payload kit: the qtest side
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "guest-payload.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"

/* Set by meson: where the payload ELF files are built. */
#ifndef GUEST_PAYLOAD_DIR
#error GUEST_PAYLOAD_DIR must name the payload build directory
#endif

typedef struct GuestPayloadTest {
    GuestPayloadTestFunc *fn;
    GuestPayloadAccel accel;
} GuestPayloadTest;

const char *guest_payload_accel_name(GuestPayloadAccel accel)
{
    return accel == GUEST_PAYLOAD_KVM ? "kvm" : "tcg";
}

bool guest_payload_accel_usable(GuestPayloadAccel accel, const char **reason)
{
    switch (accel) {
    case GUEST_PAYLOAD_KVM:
        if (!qtest_has_accel("kvm")) {
            *reason = "KVM not usable here: /dev/kvm missing or not "
                      "read-writable, or QEMU built without KVM";
            return false;
        }
        return true;
    case GUEST_PAYLOAD_TCG:
        if (!qtest_has_accel("tcg")) {
            *reason = "QEMU built without TCG";
            return false;
        }
        return true;
    }
    g_assert_not_reached();
}

static void guest_payload_test_run(const void *opaque)
{
    const GuestPayloadTest *t = opaque;
    const char *reason;

    if (!guest_payload_accel_usable(t->accel, &reason)) {
        g_test_skip(reason);
        return;
    }
    t->fn(t->accel);
}

void guest_payload_add_test(const char *path, GuestPayloadTestFunc *fn)
{
    static const GuestPayloadAccel accels[] = {
        GUEST_PAYLOAD_KVM, GUEST_PAYLOAD_TCG,
    };

    for (size_t i = 0; i < ARRAY_SIZE(accels); i++) {
        GuestPayloadTest *t = g_new(GuestPayloadTest, 1);
        g_autofree char *full = g_strdup_printf(
            "%s/%s", path, guest_payload_accel_name(accels[i]));

        t->fn = fn;
        t->accel = accels[i];
        qtest_add_data_func_full(full, t, guest_payload_test_run, g_free);
    }
}

static void assert_accel(QTestState *qts, GuestPayloadAccel accel)
{
    QDict *rsp = qtest_qmp(qts, "{'execute': 'query-kvm'}");
    QDict *ret = qdict_get_qdict(rsp, "return");
    bool kvm = qdict_get_bool(ret, "enabled");

    g_assert_cmpint(kvm, ==, accel == GUEST_PAYLOAD_KVM);
    qobject_unref(rsp);
}

static QTestState *G_GNUC_PRINTF(4, 0)
start_v(GuestPayloadAccel accel, const char *accel_opts, const char *name,
        const char *extra_fmt, va_list ap)
{
    g_autofree char *extra = NULL;
    g_autofree char *bin = g_strdup_printf("%s/%s.bin", GUEST_PAYLOAD_DIR,
                                           name);
    QTestState *qts;

    g_assert(g_file_test(bin, G_FILE_TEST_EXISTS));
    extra = extra_fmt ? g_strdup_vprintf(extra_fmt, ap) : g_strdup("");

    /*
     * The payload ends its run with a reset request: make that stop the
     * VM (SHUTDOWN event, RAM kept) instead of rebooting it.
     */
    qts = qtest_initf("-accel %s%s%s -S -nodefaults -display none "
                      "-action reboot=shutdown,shutdown=pause "
                      "-bios %s %s",
                      guest_payload_accel_name(accel),
                      accel_opts ? "," : "", accel_opts ?: "", bin, extra);
    assert_accel(qts, accel);
    return qts;
}

QTestState *guest_payload_start(GuestPayloadAccel accel, const char *name,
                                const char *extra_fmt, ...)
{
    QTestState *qts;
    va_list ap;

    va_start(ap, extra_fmt);
    qts = start_v(accel, NULL, name, extra_fmt, ap);
    va_end(ap);
    return qts;
}

QTestState *guest_payload_start_accel_opts(GuestPayloadAccel accel,
                                           const char *accel_opts,
                                           const char *name,
                                           const char *extra_fmt, ...)
{
    QTestState *qts;
    va_list ap;

    va_start(ap, extra_fmt);
    qts = start_v(accel, accel_opts, name, extra_fmt, ap);
    va_end(ap);
    return qts;
}

void guest_payload_set_input(QTestState *qts, unsigned index, uint64_t value)
{
    g_assert_cmpuint(index, <, GUEST_PAYLOAD_NR_INPUTS);
    qtest_writeq(qts, GUEST_PAYLOAD_MAILBOX_ADDR +
                 offsetof(GuestPayloadMailbox, inputs[index]), value);
}

/*
 * Guest RAM has no event to wait on: poll the mailbox's 32-bit field at
 * @offset, briefly, until it reaches @n; fail after a minute, or if the
 * payload finished first.
 */
static void wait_mailbox(QTestState *qts, size_t offset, uint32_t n)
{
    const uint64_t magic = GUEST_PAYLOAD_MAILBOX_ADDR +
                           offsetof(GuestPayloadMailbox, magic);
    gint64 deadline = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;

    uint32_t now;

    while ((now = qtest_readl(qts, GUEST_PAYLOAD_MAILBOX_ADDR + offset)) < n) {
        if (g_get_monotonic_time() > deadline) {
            g_autofree char *status = guest_payload_run_status(qts);

            g_error("mailbox +%zu: expected at least %u within 60 s, "
                    "got %u; the VM is %s", offset, n, now, status);
        }
        g_assert_cmphex(qtest_readl(qts, magic), !=,
                        GUEST_PAYLOAD_MAGIC_DONE);
        g_usleep(1000);
    }
}

void guest_payload_wait_checkpoint(QTestState *qts, uint32_t n)
{
    wait_mailbox(qts, offsetof(GuestPayloadMailbox, checkpoint), n);
}

void guest_payload_wait_exceptions(QTestState *qts, unsigned vector,
                                   uint32_t n)
{
    g_assert_cmpuint(vector, <, GUEST_PAYLOAD_NR_VECTORS);
    wait_mailbox(qts, offsetof(GuestPayloadMailbox, exception_count[vector]),
                 n);
}

void guest_payload_wait_value(QTestState *qts, unsigned index, uint32_t n)
{
    g_assert_cmpuint(index, <, GUEST_PAYLOAD_NR_VALUES);
    wait_mailbox(qts, offsetof(GuestPayloadMailbox, values[index]), n);
}

char *guest_payload_run_status(QTestState *qts)
{
    QDict *rsp = qtest_qmp(qts, "{'execute': 'query-status'}");
    char *status = g_strdup(qdict_get_str(qdict_get_qdict(rsp, "return"),
                                          "status"));

    qobject_unref(rsp);
    return status;
}

char *guest_payload_cpu_path(QTestState *qts)
{
    QDict *rsp = qtest_qmp(qts, "{'execute': 'query-cpus-fast'}");
    QDict *cpu = qobject_to(QDict,
                            qlist_peek(qdict_get_qlist(rsp, "return")));
    char *path = g_strdup(qdict_get_str(cpu, "qom-path"));

    qobject_unref(rsp);
    return path;
}

void guest_payload_assert_error_says(QDict *error, const char *expected)
{
    const char *desc = qdict_get_str(error, "desc");

    if (!strstr(desc, expected)) {
        g_error("error \"%s\" does not say \"%s\"", desc, expected);
    }
    qobject_unref(error);
}

void guest_payload_qmp_refused(QTestState *qts, const char *expected,
                               const char *fmt, ...)
{
    va_list ap;
    QDict *error;

    va_start(ap, fmt);
    error = qtest_vqmp_assert_failure_ref(qts, fmt, ap);
    va_end(ap);
    guest_payload_assert_error_says(error, expected);
}

void guest_payload_read_mailbox(QTestState *qts, GuestPayloadMailbox *mb)
{
    qtest_memread(qts, GUEST_PAYLOAD_MAILBOX_ADDR, mb, sizeof(*mb));
}

typedef struct StopWait {
    const char *keep;
    QDict *kept;
    QDict *stop;
} StopWait;

/* Take STOP, and the first @keep event before it; leave the others. */
static bool take_stop_event(QTestState *qts, const char *name, QDict *event,
                            void *opaque)
{
    StopWait *w = opaque;

    if (w->stop) {
        return false;
    }
    if (!strcmp(name, "STOP")) {
        w->stop = qobject_ref(event);
        return true;
    }
    if (!w->kept && !strcmp(name, w->keep)) {
        w->kept = qobject_ref(event);
        return true;
    }
    return false;
}

/*
 * The callback sees the events that arrive while 'cont' waits for its
 * answer, in order; the loop those that come after it.
 */
QDict *guest_payload_cont_until_stop(QTestState *qts, const char *keep)
{
    StopWait w = { .keep = keep };

    qtest_qmp_set_event_callback(qts, take_stop_event, &w);
    qtest_qmp_assert_success(qts, "{'execute': 'cont'}");
    while (!w.stop) {
        QDict *msg = qtest_qmp_receive_dict(qts);
        const char *name = qdict_get_try_str(msg, "event");

        if (name) {
            take_stop_event(qts, name, msg, &w);
        }
        qobject_unref(msg);
    }
    qtest_qmp_set_event_callback(qts, NULL, NULL);
    qobject_unref(w.stop);
    return w.kept;
}

void guest_payload_run(QTestState *qts, GuestPayloadMailbox *mb)
{
    QDict *rsp, *shutdown;

    /*
     * The payload's reset request stops the VM in state 'shutdown' (see
     * guest_payload_start()); anything going wrong, a KVM internal error
     * say, stops it in another state.
     */
    shutdown = guest_payload_cont_until_stop(qts, "SHUTDOWN");
    rsp = qtest_qmp(qts, "{'execute': 'query-status'}");
    g_assert_cmpstr(qdict_get_str(qdict_get_qdict(rsp, "return"), "status"),
                    ==, "shutdown");
    g_assert(shutdown);
    g_assert_cmpstr(qdict_get_str(qdict_get_qdict(shutdown, "data"),
                                  "reason"), ==, "guest-reset");
    qobject_unref(rsp);
    qobject_unref(shutdown);

    guest_payload_read_mailbox(qts, mb);
    g_assert_cmphex(mb->magic, ==, GUEST_PAYLOAD_MAGIC_DONE);
}
