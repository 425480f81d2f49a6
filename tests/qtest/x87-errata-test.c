/*
 * x87 errata bits: on the fork's own machine types every model sets
 * FDP_EXCPTN_ONLY and ZERO_FCS_FDS, and TCG behaves as they promise;
 * upstream machine types keep vanilla's CPUID and pointers
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "guest-payload.h"
#include "guest-payload/x87-pointers.h"

#define BITS (X87_CPUID_FDP_EXCPTN_ONLY | X87_CPUID_ZERO_FCS_FDS)
#define MACHINE_FORK "pc-q35-10.2-resilient1"

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

/* Fork type: CPUID says both, FCS/FDS read zero, FDP only for the fault. */
static void test_tcg_errata_bits(void)
{
    static const char *const cpus[] = { "qemu64", "Westmere-v1", "max" };

    for (int i = 0; i < ARRAY_SIZE(cpus); i++) {
        GuestPayloadMailbox mb;
        const uint64_t *v = mb.values;

        run(MACHINE_FORK, cpus[i], &mb);
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

/* Upstream types: neither bit, the pointers of every instruction as ever. */
static void test_tcg_upstream_machine_types(void)
{
    static const char *const machines[] = { "pc-q35-10.2", "pc-q35-10.1" };

    for (int i = 0; i < ARRAY_SIZE(machines); i++) {
        GuestPayloadMailbox mb;
        const uint64_t *v = mb.values;

        run(machines[i], "qemu64", &mb);
        g_assert_cmphex(v[X87_OUT_CPUID_7_0_EBX] & BITS, ==, 0);
        g_assert_cmphex(v[X87_OUT_PLAIN_FCS], ==, v[X87_OUT_CS]);
        g_assert_cmphex(v[X87_OUT_PLAIN_FDS], ==, v[X87_OUT_DS]);
        g_assert_cmphex(v[X87_OUT_PLAIN_FDP], ==, v[X87_OUT_PLAIN_OPERAND]);
        g_assert_cmphex(v[X87_OUT_FAULT_FDP], ==, v[X87_OUT_FAULT_OPERAND]);
    }
}

/* What the user says wins over the default. */
static void test_tcg_user_choice(void)
{
    GuestPayloadMailbox mb;
    const uint64_t *v = mb.values;

    run(MACHINE_FORK, "qemu64,zero-fcs-fds=off", &mb);
    g_assert_cmphex(v[X87_OUT_CPUID_7_0_EBX] & BITS, ==,
                    X87_CPUID_FDP_EXCPTN_ONLY);
    g_assert_cmphex(v[X87_OUT_PLAIN_FCS], ==, v[X87_OUT_CS]);
    g_assert_cmphex(v[X87_OUT_PLAIN_FDP], ==, 0);
}

/*
 * Under either accelerator the vCPU carries the bits on the fork type
 * only, unless the user asks for them.
 */
static void test_vcpu_properties(GuestPayloadAccel accel)
{
    static const struct {
        const char *machine;
        const char *cpu;
        bool bits;
    } cases[] = {
        { MACHINE_FORK, "qemu64", true },
        { "q35", "qemu64", true },
        { "pc-q35-10.2", "qemu64", false },
        { "pc-q35-10.1", "qemu64", false },
        { "pc-q35-10.2", "qemu64,x-x87-errata-bits=on", true },
    };

    for (int i = 0; i < ARRAY_SIZE(cases); i++) {
        QTestState *qts = guest_payload_start(accel, "x87-pointers",
                                              "-machine %s -cpu %s",
                                              cases[i].machine,
                                              cases[i].cpu);
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
        qtest_add_func("/x86/x87-errata/tcg/upstream-machine-types",
                       test_tcg_upstream_machine_types);
        qtest_add_func("/x86/x87-errata/tcg/user-choice",
                       test_tcg_user_choice);
    }
    return g_test_run();
}
