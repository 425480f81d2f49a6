/*
 * vCPU event state across save/restore and live migration
 *
 * Each scenario puts the vcpu-events payload's vCPU in a known event
 * state -- an NMI pending or masked, a #MC pending, an exception with its
 * error code and CR2, an inconsistent exception, the interrupt shadow, a
 * triple fault --
 * moves the VM to a new QEMU process through a file or live over
 * loopback TCP, and checks QEMU's view (x-query-vcpu-events) before and
 * after, and the guest's (what its handlers received, and where).
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qobject/qdict.h"
#include "vcpu-events-guest.h"
#include "guest-payload/x86-arch.h"

#define MC_BANK         1       /* vcpu-events-guest.c gives the payload */

#define UNSENT_ERROR_CODE "the stream did not carry the error code"

/*
 * Let the guest run until it has taken @vector, then finish it: it must
 * have taken nothing else, in its wait loop, with @error_code.
 */
static void cont_expect_one(Guest *g, uint32_t vector, uint32_t error_code,
                            GuestPayloadMailbox *mb)
{
    vcpu_events_cont(g->qts);
    guest_payload_wait_exceptions(g->qts, vector, 1);
    vcpu_events_guest_finish(g, mb);
    g_assert_cmpuint(mb->nr_exceptions, ==, 1);
    vcpu_events_assert_logged(mb, 0, vector, error_code);
}

/* An NMI pending while stopped is still pending, and arrives once. */
static void nmi_pending(GuestPayloadAccel accel, Transport t)
{
    GuestPayloadMailbox mb;
    Guest g;
    QDict *ev;

    vcpu_events_guest_start(&g, accel, MACHINE_FORK, VE_MODE_WAIT, false);
    vcpu_events_stop(g.qts);
    qtest_qmp_assert_success(g.qts, "{'execute': 'inject-nmi'}");
    ev = vcpu_events_query(g.qts);
    g_assert_true(vcpu_events_part_bool(ev, "nmi", "pending"));
    qobject_unref(ev);

    vcpu_events_guest_move(&g, t, NULL);
    ev = vcpu_events_query(g.qts);
    g_assert_true(vcpu_events_part_bool(ev, "nmi", "pending"));
    g_assert_false(vcpu_events_part_bool(ev, "nmi", "masked"));
    qobject_unref(ev);

    cont_expect_one(&g, VECTOR_NMI, 0, &mb);
    vcpu_events_guest_end(&g);
}

/*
 * The payload is in its NMI handler (NMIs blocked) when a second NMI
 * comes: it stays pending across the move, until the handler's IRET.
 */
static void nmi_masked(GuestPayloadAccel accel, Transport t)
{
    GuestPayloadMailbox mb;
    Guest g;
    QDict *ev;

    if (!vcpu_events_guest_start(&g, accel, MACHINE_FORK,
                                 VE_MODE_NMI_HOLD, true)) {
        return;
    }
    qtest_qmp_assert_success(g.qts, "{'execute': 'inject-nmi'}");
    guest_payload_wait_checkpoint(g.qts, VE_CP_IN_NMI);
    qtest_qmp_assert_success(g.qts, "{'execute': 'inject-nmi'}");
    vcpu_events_stop(g.qts);
    ev = vcpu_events_query(g.qts);
    g_assert_true(vcpu_events_part_bool(ev, "nmi", "masked"));
    g_assert_true(vcpu_events_part_bool(ev, "nmi", "pending"));
    qobject_unref(ev);

    vcpu_events_guest_move(&g, t, NULL);
    ev = vcpu_events_query(g.qts);
    g_assert_true(vcpu_events_part_bool(ev, "nmi", "masked"));
    g_assert_true(vcpu_events_part_bool(ev, "nmi", "pending"));
    qobject_unref(ev);

    vcpu_events_cont(g.qts);
    guest_payload_set_input(g.qts, VE_IN_RELEASE, 1);
    guest_payload_wait_exceptions(g.qts, VECTOR_NMI, 2);
    vcpu_events_guest_finish(&g, &mb);
    /* One NMI when the handler was released, the second after IRET. */
    g_assert_cmpuint(mb.values[VE_OUT_NMIS_AT_RELEASE], ==, 1);
    g_assert_cmpuint(mb.exception_count[VECTOR_NMI], ==, 2);
    g_assert_cmpuint(mb.nr_exceptions, ==, 2);
    vcpu_events_guest_end(&g);
}

/* A machine check raised while stopped: handled once, bank intact. */
static void mce_pending(GuestPayloadAccel accel, Transport t)
{
    const uint64_t status = MCI_VAL | MCI_UC | MCI_EN | MCI_ADDRV | MCI_S;
    const uint64_t mcg_status = MCG_RIPV | MCG_MCIP;
    const uint64_t addr = (uint64_t)g_test_rand_int_range(0x400, 0x7000)
                          << 12;
    GuestPayloadMailbox mb;
    Guest g;

    vcpu_events_guest_start(&g, accel, MACHINE_FORK, VE_MODE_WAIT, false);
    vcpu_events_stop(g.qts);
    qtest_qmp_assert_success(g.qts, "{'execute': 'x-inject-mce',"
                             " 'arguments': {'cpu-index': 0, 'bank': %d,"
                             " 'status': %" PRIu64 ", 'mcg-status': %"
                             PRIu64 ", 'addr': %" PRIu64 ", 'misc': 0}}",
                             MC_BANK, status, mcg_status, addr);
    vcpu_events_guest_move(&g, t, NULL);
    cont_expect_one(&g, VECTOR_MC, 0, &mb);
    g_assert_cmphex(mb.values[VE_OUT_MC_STATUS], ==, status);
    g_assert_cmphex(mb.values[VE_OUT_MC_ADDR], ==, addr);
    g_assert_cmphex(mb.values[VE_OUT_MCG_STATUS], ==, mcg_status);
    vcpu_events_guest_end(&g);
}

typedef struct ExceptionCase {
    uint32_t vector;
    uint32_t error_code;
    uint64_t cr2;               /* the payload for #PF */
} ExceptionCase;

static void queue_exception(QTestState *qts, const ExceptionCase *c)
{
    if (c->vector == VECTOR_PF) {
        qtest_qmp_assert_success(qts, "{'execute': 'x-inject-exception',"
                                 " 'arguments': {'cpu-index': 0,"
                                 " 'vector': %u, 'error-code': %u,"
                                 " 'payload': %" PRIu64 "}}", c->vector,
                                 c->error_code, c->cr2);
    } else {
        qtest_qmp_assert_success(qts, "{'execute': 'x-inject-exception',"
                                 " 'arguments': {'cpu-index': 0,"
                                 " 'vector': %u, 'error-code': %u}}",
                                 c->vector, c->error_code);
    }
}

/* The exception in @ev, with @error_code. */
static void assert_queued(QDict *ev, uint32_t vector, uint32_t error_code)
{
    QDict *e = qdict_get_qdict(ev, "exception");

    g_assert(e);
    g_assert_cmpint(qdict_get_int(e, "vector"), ==, vector);
    g_assert_true(qdict_get_bool(e, "pending") ^
                  qdict_get_bool(e, "injected"));
    g_assert_true(qdict_haskey(e, "error-code"));
    g_assert_cmphex(qdict_get_int(e, "error-code"), ==, error_code);
}

/*
 * An exception with its error code (and #PF with CR2) queued on a
 * stopped VM: on 10.2 machine types (upstream's, vanilla QEMU 10.2 has
 * x-migrate-error-code, and the fork's) the guest gets the same error code
 * after the move; a 10.1 stream does not carry it, and the sanitizer
 * delivers 0 and says so.
 */
static void error_code_moved(GuestPayloadAccel accel, Transport t,
                             const char *machine, const ExceptionCase *c)
{
    bool carried = strcmp(machine, MACHINE_10_1) != 0;
    uint32_t expected = carried ? c->error_code : 0;
    GuestPayloadMailbox mb;
    Guest g;
    QDict *ev;

    vcpu_events_guest_start(&g, accel, machine, VE_MODE_WAIT, false);
    vcpu_events_stop(g.qts);
    queue_exception(g.qts, c);
    ev = vcpu_events_query(g.qts);
    assert_queued(ev, c->vector, c->error_code);
    qobject_unref(ev);

    vcpu_events_guest_move(&g, t, NULL);
    ev = vcpu_events_query(g.qts);
    assert_queued(ev, c->vector, expected);
    qobject_unref(ev);
    g_assert_true(vcpu_events_stderr_has(&g, UNSENT_ERROR_CODE) ==
                  !carried);

    cont_expect_one(&g, c->vector, expected, &mb);
    if (c->vector == VECTOR_PF) {
        g_assert_cmphex(mb.values[VE_OUT_CR2], ==, c->cr2);
    }
    vcpu_events_guest_end(&g);
}

static const ExceptionCase gp_case = { VECTOR_GP, 0x1a, 0 };
static const ExceptionCase pf_case = { VECTOR_PF, 0x2, 0xdead0000 };

static void gp_error_code(GuestPayloadAccel accel, Transport t)
{
    error_code_moved(accel, t, MACHINE_10_2, &gp_case);
}

static void pf_error_code_cr2(GuestPayloadAccel accel, Transport t)
{
    error_code_moved(accel, t, MACHINE_10_2, &pf_case);
}

static void gp_error_code_10_1(GuestPayloadAccel accel, Transport t)
{
    error_code_moved(accel, t, MACHINE_10_1, &gp_case);
}

static void pf_error_code_10_1(GuestPayloadAccel accel, Transport t)
{
    error_code_moved(accel, t, MACHINE_10_1, &pf_case);
}

#define UD_BOGUS_ERROR_CODE 0x1234

/* A stopped source with #UD queued with an error code, as a bug would. */
static void start_with_bogus_ud(Guest *g, GuestPayloadAccel accel)
{
    QDict *ev;

    vcpu_events_guest_start(g, accel, MACHINE_FORK, VE_MODE_WAIT, false);
    vcpu_events_stop(g->qts);
    qtest_qmp_assert_success(g->qts, "{'execute': 'x-inject-exception',"
                             " 'arguments': {'cpu-index': 0, 'vector': %d,"
                             " 'error-code': %d, 'unchecked': true}}",
                             VECTOR_UD, UD_BOGUS_ERROR_CODE);
    ev = vcpu_events_query(g->qts);
    assert_queued(ev, VECTOR_UD, UD_BOGUS_ERROR_CODE);
    qobject_unref(ev);
}

/* The stream carries #UD with an error code: repaired, with a warning. */
static void inconsistent_ud(GuestPayloadAccel accel, Transport t)
{
    GuestPayloadMailbox mb;
    Guest g;
    QDict *ev;

    start_with_bogus_ud(&g, accel);
    vcpu_events_guest_move(&g, t, NULL);
    g_assert_true(vcpu_events_stderr_has(&g, "exception 6 (#UD): "
                                         "has-error-code 1 -> 0"));
    ev = vcpu_events_query(g.qts);
    g_assert_false(qdict_haskey(qdict_get_qdict(ev, "exception"),
                                "error-code"));
    qobject_unref(ev);

    cont_expect_one(&g, VECTOR_UD, 0, &mb);
    vcpu_events_guest_end(&g);
}

/*
 * The same stream into a vCPU without the sanitizer: KVM pushes the
 * error code, and the guest's #UD handler finds it where the return
 * address belongs (or VM entry fails, on pre-CET Intel hosts).  Proves
 * that inconsistent_ud passes because of the sanitizer.
 */
static void inconsistent_ud_unsanitized(GuestPayloadAccel accel,
                                        Transport t)
{
    GuestPayloadMailbox mb;
    g_autofree char *status = NULL;
    Guest g;

    if (accel == GUEST_PAYLOAD_TCG) {
        g_test_skip("TCG pushes an error code by the vector, whatever the "
                    "state says: only KVM shows the broken frame");
        return;
    }
    start_with_bogus_ud(&g, accel);
    vcpu_events_guest_move(&g, t, "qemu64,x-sanitize-vcpu-events=off");
    vcpu_events_cont(g.qts);
    guest_payload_wait_exceptions(g.qts, VECTOR_UD, 1);
    guest_payload_read_mailbox(g.qts, &mb);
    status = guest_payload_run_status(g.qts);
    g_test_message("unsanitized #UD: VM %s, guest saw return address 0x%x",
                   status, mb.exceptions[0].eip);
    g_assert_true(strcmp(status, "running") ||
                  mb.exceptions[0].eip == UD_BOGUS_ERROR_CODE);
    vcpu_events_guest_end(&g);
}

/* Vector 2 queued as an exception arrives: it becomes the NMI it is. */
static void nmi_as_exception(GuestPayloadAccel accel, Transport t)
{
    GuestPayloadMailbox mb;
    Guest g;
    QDict *ev;

    vcpu_events_guest_start(&g, accel, MACHINE_FORK, VE_MODE_WAIT, false);
    vcpu_events_stop(g.qts);
    qtest_qmp_assert_success(g.qts, "{'execute': 'x-inject-exception',"
                             " 'arguments': {'cpu-index': 0, 'vector': %d,"
                             " 'unchecked': true}}", VECTOR_NMI);
    vcpu_events_guest_move(&g, t, NULL);
    g_assert_true(vcpu_events_stderr_has(&g, "exception 2 (NMI): "
                                         "nmi-pending 0 -> 1"));
    ev = vcpu_events_query(g.qts);
    g_assert_false(qdict_haskey(ev, "exception"));
    g_assert_true(vcpu_events_part_bool(ev, "nmi", "pending"));
    qobject_unref(ev);

    cont_expect_one(&g, VECTOR_NMI, 0, &mb);
    vcpu_events_guest_end(&g);
}

/*
 * A vector that is no exception has no safe meaning: the load is
 * refused, saying which vCPU and vector, and the destination stays up.
 */
static void vector_out_of_range(GuestPayloadAccel accel, Transport t)
{
    g_autofree char *status = NULL;
    g_autofree char *run = NULL;
    Guest g;

    vcpu_events_guest_start(&g, accel, MACHINE_FORK, VE_MODE_WAIT, false);
    vcpu_events_stop(g.qts);
    qtest_qmp_assert_success(g.qts, "{'execute': 'x-inject-exception',"
                             " 'arguments': {'cpu-index': 0, 'vector': 40,"
                             " 'unchecked': true}}");
    status = vcpu_events_guest_move_status(&g, t);
    g_assert_cmpstr(status, ==, "failed");
    g_assert_true(vcpu_events_stderr_has(&g, "vCPU 0: incoming migration: "
                                         "exception vector 40 is outside "
                                         "0-31"));
    run = guest_payload_run_status(g.qts);
    g_assert_cmpstr(run, !=, "running");
    vcpu_events_guest_end(&g);
}

/*
 * Inconsistent state that reaches KVM without a migration is repaired
 * before KVM_SET_VCPU_EVENTS too.  TCG has no such call.
 */
static void test_inconsistent_ud_to_kvm(GuestPayloadAccel accel)
{
    GuestPayloadMailbox mb;
    Guest g;

    if (accel == GUEST_PAYLOAD_TCG) {
        g_test_skip("TCG has no KVM_SET_VCPU_EVENTS");
        return;
    }
    start_with_bogus_ud(&g, accel);
    vcpu_events_cont(g.qts);
    guest_payload_wait_exceptions(g.qts, VECTOR_UD, 1);
    g_assert_true(vcpu_events_stderr_has(&g, "KVM_SET_VCPU_EVENTS: "
                                         "exception 6 (#UD): "
                                         "has-error-code 1 -> 0"));
    vcpu_events_guest_finish(&g, &mb);
    g_assert_cmpuint(mb.nr_exceptions, ==, 1);
    vcpu_events_assert_logged(&mb, 0, VECTOR_UD, 0);
    vcpu_events_guest_end(&g);
}

/*
 * Stop the payload inside its run of MOV SS until QEMU reports the
 * interrupt shadow; false if it never does.
 */
static bool stop_in_shadow(QTestState *qts)
{
    for (int i = 0; i < 1000; i++) {
        QDict *ev;
        bool shadow;

        vcpu_events_stop(qts);
        ev = vcpu_events_query(qts);
        shadow = vcpu_events_part_bool(ev, "interrupt", "shadow");
        qobject_unref(ev);
        if (shadow) {
            return true;
        }
        vcpu_events_cont(qts);
    }
    return false;
}

/* A vCPU stopped in the shadow of MOV SS is still in it after the move. */
static void interrupt_shadow(GuestPayloadAccel accel, Transport t)
{
    GuestPayloadMailbox mb;
    Guest g;
    QDict *ev;

    vcpu_events_guest_start(&g, accel, MACHINE_FORK, VE_MODE_SHADOW, false);
    if (!stop_in_shadow(g.qts)) {
        g_test_skip("this accelerator never reported the vCPU in an "
                    "interrupt shadow, in 1000 stops inside a run of "
                    "MOV SS");
        vcpu_events_guest_end(&g);
        return;
    }
    vcpu_events_guest_move(&g, t, NULL);
    ev = vcpu_events_query(g.qts);
    g_assert_true(vcpu_events_part_bool(ev, "interrupt", "shadow"));
    qobject_unref(ev);
    vcpu_events_cont(g.qts);
    vcpu_events_guest_finish(&g, &mb);
    g_assert_cmpuint(mb.nr_exceptions, ==, 0);
    vcpu_events_guest_end(&g);
}

/*
 * A triple fault queued in KVM's event state moves with the VM and
 * resets the guest when it runs.  TCG has no such state: a triple fault
 * resets at once.
 */
static void triple_fault(GuestPayloadAccel accel, Transport t)
{
    Guest g;
    QDict *ev;

    vcpu_events_guest_start(&g, accel, MACHINE_FORK, VE_MODE_WAIT, false);
    vcpu_events_stop(g.qts);
    qtest_qmp_assert_success(g.qts, "{'execute': 'x-inject-triple-fault',"
                             " 'arguments': {'cpu-index': 0}}");
    ev = vcpu_events_query(g.qts);
    if (!qdict_haskey(ev, "triple-fault-pending")) {
        g_test_skip(accel == GUEST_PAYLOAD_TCG ?
                    "TCG has no pending triple fault: it resets at once" :
                    "this KVM lacks KVM_CAP_X86_TRIPLE_FAULT_EVENT");
        qobject_unref(ev);
        vcpu_events_guest_end(&g);
        return;
    }
    g_assert_true(qdict_get_bool(ev, "triple-fault-pending"));
    qobject_unref(ev);

    vcpu_events_guest_move(&g, t, NULL);
    ev = vcpu_events_query(g.qts);
    g_assert_true(qdict_get_bool(ev, "triple-fault-pending"));
    qobject_unref(ev);

    vcpu_events_cont(g.qts);
    ev = qtest_qmp_eventwait_ref(g.qts, "SHUTDOWN");
    g_assert_cmpstr(qdict_get_str(qdict_get_qdict(ev, "data"), "reason"),
                    ==, "guest-reset");
    qobject_unref(ev);
    /* The payload did not end the run: it is still in its wait loop. */
    g_assert_cmphex(qtest_readl(g.qts, GUEST_PAYLOAD_MAILBOX_ADDR +
                                offsetof(GuestPayloadMailbox, magic)),
                    ==, GUEST_PAYLOAD_MAGIC_RUNNING);
    vcpu_events_guest_end(&g);
}

#define SCENARIO(fn) \
    static void fn##_file(GuestPayloadAccel accel) \
    { \
        fn(accel, VIA_FILE); \
    } \
    static void fn##_tcp(GuestPayloadAccel accel) \
    { \
        fn(accel, VIA_TCP); \
    }

SCENARIO(nmi_pending)
SCENARIO(nmi_masked)
SCENARIO(mce_pending)
SCENARIO(gp_error_code)
SCENARIO(pf_error_code_cr2)
SCENARIO(gp_error_code_10_1)
SCENARIO(pf_error_code_10_1)
SCENARIO(inconsistent_ud)
SCENARIO(inconsistent_ud_unsanitized)
SCENARIO(interrupt_shadow)
SCENARIO(nmi_as_exception)
SCENARIO(vector_out_of_range)
SCENARIO(triple_fault)

#define ADD(name, fn) \
    do { \
        guest_payload_add_test("/vcpu-events/file/" name, fn##_file); \
        guest_payload_add_test("/vcpu-events/tcp/" name, fn##_tcp); \
    } while (0)

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    ADD("nmi-pending", nmi_pending);
    ADD("nmi-masked", nmi_masked);
    ADD("mce-pending", mce_pending);
    ADD("gp-error-code", gp_error_code);
    ADD("pf-error-code-cr2", pf_error_code_cr2);
    ADD("gp-error-code-10.1", gp_error_code_10_1);
    ADD("pf-error-code-10.1", pf_error_code_10_1);
    ADD("inconsistent-ud", inconsistent_ud);
    ADD("inconsistent-ud-unsanitized", inconsistent_ud_unsanitized);
    ADD("interrupt-shadow", interrupt_shadow);
    ADD("nmi-as-exception", nmi_as_exception);
    ADD("vector-out-of-range", vector_out_of_range);
    guest_payload_add_test("/vcpu-events/kvm-set/inconsistent-ud",
                           test_inconsistent_ud_to_kvm);
    ADD("triple-fault", triple_fault);
    return g_test_run();
}
