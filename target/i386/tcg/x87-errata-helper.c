/*
 * TCG side of the x87 errata bits: under FDP_EXCPTN_ONLY the x87 data
 * pointer of an instruction is recorded only when it leaves an unmasked
 * exception pending; under ZERO_FCS_FDS FCS and FDS are stored as zero
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * TCG raises #MF at the next waiting x87 instruction rather than at the
 * faulting one, so an unmasked exception already pending when a memory
 * operand instruction runs also records that instruction's pointer;
 * hardware would have taken #MF first.
 */

#include "qemu/osdep.h"
#include "cpu.h"
#include "exec/helper-proto.h"

void helper_x87_update_fdp(CPUX86State *env, target_ulong addr, uint32_t seg)
{
    if (env->fpus & ~env->fpuc & 0x3f) {
        env->fpdp = addr;
        env->fpds = env->segs[seg].selector;
    }
}

uint32_t x87_saved_fcs(CPUX86State *env)
{
    return env->features[FEAT_7_0_EBX] & CPUID_7_0_EBX_ZERO_FCS_FDS ?
           0 : env->fpcs;
}

uint32_t x87_saved_fds(CPUX86State *env)
{
    return env->features[FEAT_7_0_EBX] & CPUID_7_0_EBX_ZERO_FCS_FDS ?
           0 : env->fpds;
}
