/*
 * x-query-vcpu-events, x-inject-exception and their HMP twins
 *
 * What the query reports under each accelerator (and leaves out where
 * the accelerator has no such state), what the injector refuses -- with
 * the VM running on, nothing queued -- and what the guest receives from
 * it: vector, error code, CR2 and return address, #CP included.
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qobject/qdict.h"
#include "qobject/qjson.h"
#include "vcpu-events-guest.h"
#include "guest-payload/x86-arch.h"

static void test_query_members(GuestPayloadAccel accel)
{
    bool kvm = accel == GUEST_PAYLOAD_KVM;
    g_autofree char *path = NULL;
    Guest g;
    QDict *ev;

    vcpu_events_guest_start(&g, accel, MACHINE_FORK, VE_MODE_WAIT, false);
    path = guest_payload_cpu_path(g.qts);
    ev = vcpu_events_query(g.qts);
    g_assert_cmpint(qdict_get_int(ev, "cpu-index"), ==, 0);
    g_assert_cmpstr(qdict_get_str(ev, "qom-path"), ==, path);
    g_assert_false(qdict_haskey(ev, "exception"));
    g_assert_false(vcpu_events_part_bool(ev, "nmi", "pending"));
    g_assert_false(vcpu_events_part_bool(ev, "nmi", "masked"));
    g_assert_false(vcpu_events_part_bool(ev, "interrupt", "shadow"));
    /* Only KVM has events in mid-delivery, and a SIPI vector. */
    g_assert_cmpint(qdict_haskey(qdict_get_qdict(ev, "interrupt"),
                                 "injected"), ==, kvm);
    g_assert_cmpint(qdict_haskey(qdict_get_qdict(ev, "nmi"), "injected"),
                    ==, kvm);
    g_assert_cmpint(qdict_haskey(ev, "sipi-vector"), ==, kvm);
    if (!kvm) {
        g_assert_false(qdict_haskey(ev, "triple-fault-pending"));
        g_assert_false(vcpu_events_part_bool(ev, "smi", "smm"));
    }
    qobject_unref(ev);
    vcpu_events_guest_end(&g);
}

/* x-inject-exception with @args must fail with @error. */
static void assert_refused(QTestState *qts, const char *args,
                           const char *error)
{
    g_autofree char *json = g_strdup_printf("{%s}", args);

    g_test_message("x-inject-exception %s", args);
    guest_payload_qmp_refused(qts, error,
                              "{'execute': 'x-inject-exception',"
                              " 'arguments': %p}",
                              qobject_from_json(json, &error_abort));
}

static void test_inject_refused(GuestPayloadAccel accel)
{
    g_autofree char *status = NULL;
    Guest g;
    QDict *ev;

    vcpu_events_guest_start(&g, accel, MACHINE_FORK, VE_MODE_WAIT, false);
    assert_refused(g.qts, "'cpu-index': 1, 'vector': 0",
                   "no vCPU with index 1");
    assert_refused(g.qts, "'cpu-index': -1, 'vector': 0",
                   "no vCPU with index -1");
    assert_refused(g.qts, "'cpu-index': 0, 'vector': 2", "2 is NMI");
    assert_refused(g.qts, "'cpu-index': 0, 'vector': 32",
                   "not an exception");
    assert_refused(g.qts, "'cpu-index': 0, 'vector': -1",
                   "not an exception");
    assert_refused(g.qts, "'cpu-index': 0, 'vector': 13",
                   "exception 13 (#GP) needs an error code");
    assert_refused(g.qts, "'cpu-index': 0, 'vector': 21",
                   "exception 21 (#CP) needs an error code");
    assert_refused(g.qts, "'cpu-index': 0, 'vector': 6, 'error-code': 0",
                   "exception 6 (#UD) delivers no error code");
    assert_refused(g.qts, "'cpu-index': 0, 'vector': 13, 'error-code': 0,"
                   " 'payload': 4096", "only #PF (CR2) and #DB (DR6)");
    assert_refused(g.qts, "'cpu-index': 0, 'vector': 256,"
                   " 'unchecked': true", "outside 0 to 255");

    /* Nothing was queued, and the guest runs on. */
    status = guest_payload_run_status(g.qts);
    g_assert_cmpstr(status, ==, "running");
    ev = vcpu_events_query(g.qts);
    g_assert_false(qdict_haskey(ev, "exception"));
    qobject_unref(ev);

    /* One exception at a time. */
    vcpu_events_stop(g.qts);
    qtest_qmp_assert_success(g.qts, "{'execute': 'x-inject-exception',"
                             " 'arguments': {'cpu-index': 0,"
                             " 'vector': 0}}");
    assert_refused(g.qts, "'cpu-index': 0, 'vector': 6",
                   "vCPU 0 already has exception 0 (#DE) queued");
    vcpu_events_guest_end(&g);
}

/* Into the running guest: what each handler received. */
static void test_inject_delivered(GuestPayloadAccel accel)
{
    const uint64_t cr2 = (uint64_t)g_test_rand_int_range(1, 0x10000) << 12;
    const uint32_t cp_error = g_test_rand_int_range(1, 7);
    GuestPayloadMailbox mb;
    Guest g;

    vcpu_events_guest_start(&g, accel, MACHINE_FORK, VE_MODE_WAIT, false);
    qtest_qmp_assert_success(g.qts, "{'execute': 'x-inject-exception',"
                             " 'arguments': {'cpu-index': 0,"
                             " 'vector': %d, 'error-code': %u}}",
                             VECTOR_CP, cp_error);
    guest_payload_wait_exceptions(g.qts, VECTOR_CP, 1);
    vcpu_events_wait_in_loop(g.qts);
    qtest_qmp_assert_success(g.qts, "{'execute': 'x-inject-exception',"
                             " 'arguments': {'cpu-index': 0,"
                             " 'vector': %d}}", VECTOR_DE);
    guest_payload_wait_exceptions(g.qts, VECTOR_DE, 1);
    vcpu_events_wait_in_loop(g.qts);
    qtest_qmp_assert_success(g.qts, "{'execute': 'x-inject-exception',"
                             " 'arguments': {'cpu-index': 0,"
                             " 'vector': %d, 'error-code': 3,"
                             " 'payload': %" PRIu64 "}}", VECTOR_PF, cr2);
    guest_payload_wait_exceptions(g.qts, VECTOR_PF, 1);
    vcpu_events_guest_finish(&g, &mb);

    g_assert_cmpuint(mb.nr_exceptions, ==, 3);
    vcpu_events_assert_logged(&mb, 0, VECTOR_CP, cp_error);
    vcpu_events_assert_logged(&mb, 1, VECTOR_DE, 0);
    vcpu_events_assert_logged(&mb, 2, VECTOR_PF, 3);
    g_assert_cmphex(mb.values[VE_OUT_CR2], ==, cr2);
    vcpu_events_guest_end(&g);
}

static void assert_hmp_has(QTestState *qts, const char *cmd,
                           const char *text)
{
    g_autofree char *out = qtest_hmp(qts, "%s", cmd);

    if (!strstr(out, text)) {
        g_test_message("HMP %s: \"%s\", expected \"%s\"", cmd, out, text);
        g_assert_not_reached();
    }
}

static void test_hmp(GuestPayloadAccel accel)
{
    GuestPayloadMailbox mb;
    Guest g;

    vcpu_events_guest_start(&g, accel, MACHINE_FORK, VE_MODE_WAIT, false);
    vcpu_events_stop(g.qts);
    assert_hmp_has(g.qts, "info vcpu-events", "exception: none");
    assert_hmp_has(g.qts, "inject-exception 0 2",
                   "vector 2 is not an exception");
    assert_hmp_has(g.qts, "inject-exception 0 6 1 2",
                   "exception 6 (#UD) takes no error code");
    assert_hmp_has(g.qts, "inject-exception 0 13",
                   "exception 13 (#GP) needs an error code");
    assert_hmp_has(g.qts, "inject-exception 3 13 0",
                   "no vCPU with index 3");
    assert_hmp_has(g.qts, "inject-exception 0 13 0x1a", "");
    assert_hmp_has(g.qts, "info vcpu-events",
                   "exception: 13 (#GP), pending, error code 0x1a");
    assert_hmp_has(g.qts, "info vcpu-events", "nmi: pending no");

    vcpu_events_cont(g.qts);
    guest_payload_wait_exceptions(g.qts, VECTOR_GP, 1);
    vcpu_events_guest_finish(&g, &mb);
    g_assert_cmpuint(mb.nr_exceptions, ==, 1);
    vcpu_events_assert_logged(&mb, 0, VECTOR_GP, 0x1a);
    vcpu_events_guest_end(&g);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    guest_payload_add_test("/vcpu-events/query/members", test_query_members);
    guest_payload_add_test("/vcpu-events/inject/refused",
                           test_inject_refused);
    guest_payload_add_test("/vcpu-events/inject/delivered",
                           test_inject_delivered);
    guest_payload_add_test("/vcpu-events/hmp", test_hmp);
    return g_test_run();
}
