/*
 * Guest payload: how long does one RDMSR take?
 *
 * Times inputs[2] reads of MSR inputs[0] and of MSR inputs[1] with RDTSC
 * and reports the TSC ticks of each loop in values[0] and values[1]:
 * 'make bench' compares an MSR QEMU emulates (an SMCA bank MSR) with one
 * KVM handles in the kernel.
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "kit.h"

static uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static uint64_t time_rdmsr(uint32_t msr, uint32_t n)
{
    uint64_t start = rdtsc();

    for (uint32_t i = 0; i < n; i++) {
        rdmsr(msr);
    }
    return rdtsc() - start;
}

uint32_t payload_main(void)
{
    uint32_t n = kit_input(2);

    kit_report(0, time_rdmsr(kit_input(0), n));
    kit_report(1, time_rdmsr(kit_input(1), n));
    return GUEST_PAYLOAD_STATUS_PASS;
}
