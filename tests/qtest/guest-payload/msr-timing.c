/*
 * Guest payload: how long does one RDMSR or WRMSR take?
 *
 * Times inputs[2] accesses of MSR inputs[0] and of MSR inputs[1] with
 * RDTSC and reports the TSC ticks of each loop in values[0] and
 * values[1].  Bit 0 of inputs[3] makes the first loop write 0 instead of
 * reading, bit 1 the second.  'make bench' compares an SMCA bank MSR,
 * which the fork emulates in QEMU, with MSR_CORE_THREAD_COUNT, which
 * vanilla QEMU itself handles in userspace.
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "kit.h"
#include "msr-timing.h"

static uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static uint64_t time_msr(uint32_t msr, bool write, uint32_t n)
{
    uint64_t start = rdtsc();

    for (uint32_t i = 0; i < n; i++) {
        if (write) {
            wrmsr(msr, 0);
        } else {
            rdmsr(msr);
        }
    }
    return rdtsc() - start;
}

uint32_t payload_main(void)
{
    uint32_t n = kit_input(MSRTIME_IN_COUNT);
    uint32_t writes = kit_input(MSRTIME_IN_WRITES);

    /* Once untimed: the loop's translation (TCG) and caches are warm. */
    time_msr(kit_input(MSRTIME_IN_MSR0), writes & 1, n / 16 + 1);
    time_msr(kit_input(MSRTIME_IN_MSR1), writes & 2, n / 16 + 1);
    kit_report(MSRTIME_OUT_TICKS0,
               time_msr(kit_input(MSRTIME_IN_MSR0), writes & 1, n));
    kit_report(MSRTIME_OUT_TICKS1,
               time_msr(kit_input(MSRTIME_IN_MSR1), writes & 2, n));
    return GUEST_PAYLOAD_STATUS_PASS;
}
