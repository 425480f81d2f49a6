/*
 * The x87 CPUID errata bits, FDP_EXCPTN_ONLY and ZERO_FCS_FDS
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "cpu.h"
#include "trace.h"

void x86_x87_errata_realize(X86CPU *cpu)
{
    CPUX86State *env = &cpu->env;
    /* what the user set explicitly, on or off, stays as it is */
    uint64_t bits = X87_ERRATA_BITS & ~env->user_features[FEAT_7_0_EBX];

    if (!cpu->x87_errata_bits) {
        return;
    }
    env->features[FEAT_7_0_EBX] |= bits;
    trace_x86_x87_errata_bits(CPU(cpu)->cpu_index,
                              env->features[FEAT_7_0_EBX] & X87_ERRATA_BITS);
}
