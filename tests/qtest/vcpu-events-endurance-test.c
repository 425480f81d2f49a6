/*
 * vCPU events over many moves: nothing lost, nothing duplicated
 *
 * The vcpu-events payload is saved and restored (or live-migrated over
 * loopback TCP while it runs) again and again, each time with an NMI
 * and a machine check injected just before the move.  At the end the
 * guest's handlers must have run exactly once per injected event.
 *
 * VCPU_EVENTS_CYCLES sets the number of moves (default 200).
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
#define MC_STATUS       ((1ULL << 63) | (1ULL << 61) | (1ULL << 60) | \
                         (1ULL << 58) | (1ULL << 56)) /* VAL UC EN ADDRV S */
#define MCG_STATUS      ((1ULL << 0) | (1ULL << 2))   /* RIPV MCIP */

static unsigned cycles(void)
{
    const char *env = g_getenv("VCPU_EVENTS_CYCLES");

    return env ? atoi(env) : 200;
}

static void inject_mce(QTestState *qts, unsigned i)
{
    qtest_qmp_assert_success(qts, "{'execute': 'x-inject-mce',"
                             " 'arguments': {'cpu-index': 0, 'bank': %d,"
                             " 'status': %" PRIu64 ", 'mcg-status': %"
                             PRIu64 ", 'addr': %u, 'misc': 0}}",
                             MC_BANK, (uint64_t)MC_STATUS,
                             (uint64_t)MCG_STATUS, i << 12);
}

static void endurance(GuestPayloadAccel accel, Transport t)
{
    unsigned n = cycles();
    GuestPayloadMailbox mb;
    gint64 start = g_get_monotonic_time();
    bool nmis;
    Guest g;

    /* NMIs need IRET between them; not every KVM can run it. */
    nmis = vcpu_events_guest_try_start(&g, accel, MACHINE_FORK,
                                       VE_MODE_WAIT, true);
    if (!nmis) {
        g_test_message("NMIs left out, machine checks only: "
                       VCPU_EVENTS_NO_IRET);
        vcpu_events_guest_start(&g, accel, MACHINE_FORK, VE_MODE_WAIT,
                                false);
    }
    for (unsigned i = 1; i <= n; i++) {
        /* Saved VMs are stopped; live migration moves a running one. */
        if (t == VIA_FILE) {
            vcpu_events_stop(g.qts);
        }
        if (nmis) {
            qtest_qmp_assert_success(g.qts, "{'execute': 'inject-nmi'}");
        }
        inject_mce(g.qts, i);
        vcpu_events_guest_move(&g, t, NULL);
        vcpu_events_cont(g.qts);
        /* Handled, MCIP clear: ready for the next machine check. */
        guest_payload_wait_value(g.qts, VE_OUT_MC_HANDLED, i);
        if (nmis) {
            guest_payload_wait_exceptions(g.qts, VECTOR_NMI, i);
        }
    }
    vcpu_events_guest_finish(&g, &mb);
    g_test_message("%u moves in %.1f s", n,
                   (g_get_monotonic_time() - start) / 1e6);

    g_assert_cmpuint(mb.exception_count[VECTOR_MC], ==, n);
    g_assert_cmpuint(mb.values[VE_OUT_MC_HANDLED], ==, n);
    g_assert_cmpuint(mb.exception_count[VECTOR_NMI], ==, nmis ? n : 0);
    g_assert_cmpuint(mb.nr_exceptions, ==, nmis ? 2 * n : n);
    /* The last machine check's bank, as logged before the last move. */
    g_assert_cmphex(mb.values[VE_OUT_MC_STATUS], ==, MC_STATUS);
    g_assert_cmphex(mb.values[VE_OUT_MC_ADDR], ==, (uint64_t)n << 12);
    vcpu_events_guest_end(&g);
}

static void endurance_file(GuestPayloadAccel accel)
{
    endurance(accel, VIA_FILE);
}

static void endurance_tcp(GuestPayloadAccel accel)
{
    endurance(accel, VIA_TCP);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    guest_payload_add_test("/vcpu-events/endurance/file", endurance_file);
    guest_payload_add_test("/vcpu-events/endurance/tcp", endurance_tcp);
    return g_test_run();
}
