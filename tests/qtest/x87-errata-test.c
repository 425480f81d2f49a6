/*
 * x87 errata bits: on 10.2 machine types every model sets
 * FDP_EXCPTN_ONLY and ZERO_FCS_FDS, and TCG behaves as they promise;
 * older machine types keep the old CPUID and the old pointers
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "guest-payload.h"
#include "guest-payload/x87-pointers.h"

#define BITS (X87_CPUID_FDP_EXCPTN_ONLY | X87_CPUID_ZERO_FCS_FDS)

static void run(const char *machine, const char *cpu,
                GuestPayloadMailbox *mb)
{
    QTestState *qts = guest_payload_start(GUEST_PAYLOAD_TCG, "x87-pointers",
                                          "-machine %s -cpu %s", machine,
                                          cpu);

    guest_payload_run(qts, mb);
    g_assert_cmpuint(mb->status, ==, GUEST_PAYLOAD_STATUS_PASS);
    qtest_quit(qts);
}

/* 10.2: CPUID says both, FCS/FDS read zero, FDP only for the fault. */
static void test_tcg_errata_bits(void)
{
    static const char *const cpus[] = { "qemu64", "Westmere-v1", "max" };

    for (int i = 0; i < ARRAY_SIZE(cpus); i++) {
        GuestPayloadMailbox mb;
        const uint64_t *v = mb.values;

        run("pc-q35-10.2", cpus[i], &mb);
        g_assert_cmphex(v[X87_OUT_CPUID_7_0_EBX] & BITS, ==, BITS);
        g_assert_cmphex(v[X87_OUT_PLAIN_FCS], ==, 0);
        g_assert_cmphex(v[X87_OUT_PLAIN_FDS], ==, 0);
        g_assert_cmphex(v[X87_OUT_PLAIN_FDP], ==, 0);
        g_assert_cmphex(v[X87_OUT_FAULT_FSW] & X87_FSW_ZE, ==, X87_FSW_ZE);
        g_assert_cmphex(v[X87_OUT_FAULT_FDP], ==, v[X87_OUT_FAULT_OPERAND]);
        g_assert_cmphex(v[X87_OUT_FAULT_FCS], ==, 0);
        g_assert_cmphex(v[X87_OUT_FAULT_FDS], ==, 0);
    }
}

/* 10.1: neither bit, and the pointers of every instruction as before. */
static void test_tcg_old_machine_type(void)
{
    GuestPayloadMailbox mb;
    const uint64_t *v = mb.values;

    run("pc-q35-10.1", "qemu64", &mb);
    g_assert_cmphex(v[X87_OUT_CPUID_7_0_EBX] & BITS, ==, 0);
    g_assert_cmphex(v[X87_OUT_PLAIN_FCS], ==, v[X87_OUT_CS]);
    g_assert_cmphex(v[X87_OUT_PLAIN_FDS], ==, v[X87_OUT_DS]);
    g_assert_cmphex(v[X87_OUT_PLAIN_FDP], ==, v[X87_OUT_PLAIN_OPERAND]);
    g_assert_cmphex(v[X87_OUT_FAULT_FDP], ==, v[X87_OUT_FAULT_OPERAND]);
}

/* What the user says wins over the default. */
static void test_tcg_user_choice(void)
{
    GuestPayloadMailbox mb;
    const uint64_t *v = mb.values;

    run("pc-q35-10.2", "qemu64,zero-fcs-fds=off", &mb);
    g_assert_cmphex(v[X87_OUT_CPUID_7_0_EBX] & BITS, ==,
                    X87_CPUID_FDP_EXCPTN_ONLY);
    g_assert_cmphex(v[X87_OUT_PLAIN_FCS], ==, v[X87_OUT_CS]);
    g_assert_cmphex(v[X87_OUT_PLAIN_FDP], ==, 0);
}

/* Under either accelerator the vCPU carries the bits on 10.2 only. */
static void test_vcpu_properties(GuestPayloadAccel accel)
{
    static const struct {
        const char *machine;
        bool bits;
    } cases[] = {
        { "pc-q35-10.2", true }, { "pc-q35-10.1", false },
    };

    for (int i = 0; i < ARRAY_SIZE(cases); i++) {
        QTestState *qts = guest_payload_start(accel, "x87-pointers",
                                              "-machine %s -cpu qemu64",
                                              cases[i].machine);
        g_autofree char *path = guest_payload_cpu_path(qts);

        g_assert_cmpint(qtest_qom_get_bool(qts, path, "fdp-excptn-only"), ==,
                        cases[i].bits);
        g_assert_cmpint(qtest_qom_get_bool(qts, path, "zero-fcs-fds"), ==,
                        cases[i].bits);
        qtest_quit(qts);
    }
}

int main(int argc, char **argv)
{
    const char *reason;

    g_test_init(&argc, &argv, NULL);
    guest_payload_add_test("/x86/x87-errata/vcpu-properties",
                           test_vcpu_properties);
    if (guest_payload_accel_usable(GUEST_PAYLOAD_TCG, &reason)) {
        qtest_add_func("/x86/x87-errata/tcg/errata-bits",
                       test_tcg_errata_bits);
        qtest_add_func("/x86/x87-errata/tcg/old-machine-type",
                       test_tcg_old_machine_type);
        qtest_add_func("/x86/x87-errata/tcg/user-choice",
                       test_tcg_user_choice);
    }
    return g_test_run();
}
