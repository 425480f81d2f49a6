/*
 * Guest payload kit example: MSR write/read-back and exception logging
 *
 * The msr-readback payload writes the values this test chooses to three
 * SYSENTER MSRs, reads them back and raises #UD once.  Runs under KVM and
 * TCG; each must show the guest what it wrote, and the kit's IDT handler
 * must log the #UD with the address of the faulting instruction.
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "guest-payload.h"
#include "guest-payload/msr-readback.h"
#include "guest-payload/x86-arch.h"

static void test_msr_readback(GuestPayloadAccel accel)
{
    GuestPayloadMailbox mb;
    uint64_t in[MSR_READBACK_NR];
    QTestState *qts;

    qts = guest_payload_start(accel, "msr-readback", NULL);
    for (int i = 0; i < MSR_READBACK_NR; i++) {
        /*
         * SYSENTER_CS is 16 bits wide in QEMU; ESP/EIP hold a 32-bit
         * guest address here.
         */
        in[i] = g_test_rand_int_range(1, i ? INT32_MAX : 0xffff);
        guest_payload_set_input(qts, MSR_READBACK_IN_VALUE0 + i, in[i]);
    }
    guest_payload_run(qts, &mb);

    g_assert_cmpuint(mb.status, ==, GUEST_PAYLOAD_STATUS_PASS);
    for (int i = 0; i < MSR_READBACK_NR; i++) {
        g_assert_cmphex(mb.values[MSR_READBACK_OUT_BEFORE0 + i], ==, 0);
        g_assert_cmphex(mb.values[MSR_READBACK_OUT_AFTER0 + i], ==, in[i]);
    }

    /* Exactly one exception, the #UD, logged with its faulting address. */
    g_assert_cmpuint(mb.nr_exceptions, ==, 1);
    g_assert_cmpuint(mb.exception_count[VECTOR_UD], ==, 1);
    g_assert_cmpuint(mb.values[MSR_READBACK_OUT_UD_VECTOR], ==, VECTOR_UD);
    g_assert_cmpuint(mb.exceptions[0].vector, ==, VECTOR_UD);
    g_assert_cmpuint(mb.exceptions[0].error_code, ==, 0);
    g_assert_cmphex(mb.exceptions[0].eip, ==,
                    mb.values[MSR_READBACK_OUT_UD_EIP]);

    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    guest_payload_add_test("/x86/guest-payload/msr-readback",
                           test_msr_readback);
    return g_test_run();
}
