/*
 * Machine-check injection from the monitor: QMP x-inject-mce, HMP mce
 *
 * cpu_x86_inject_mce() reports refusals with monitor_printf(), which QMP
 * cannot see, and HMP's mce silently ignored an unknown vCPU.  Check
 * everything here first, with errors a QMP client gets, then inject.
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-memory-error.h"
#include "hw/core/cpu.h"
#include "system/hw_accel.h"
#include "cpu.h"

static bool mce_inject_check(X86CPU *cpu, int64_t bank, uint64_t status,
                             bool broadcast, Error **errp)
{
    CPUState *cs = CPU(cpu);
    CPUX86State *env = &cpu->env;
    unsigned nbanks = env->mcg_cap & MCG_CAP_BANKS_MASK;

    if (!env->mcg_cap) {
        error_setg(errp, "vCPU %d has no machine-check architecture",
                   cs->cpu_index);
        return false;
    }
    if (bank < 0 || bank >= nbanks) {
        error_setg(errp, "vCPU %d has MCA banks 0 to %u, not %" PRId64,
                   cs->cpu_index, nbanks - 1, bank);
        return false;
    }
    if (!(status & MCI_STATUS_VAL)) {
        error_setg(errp, "status 0x%" PRIx64 " lacks VAL (bit 63)", status);
        return false;
    }
    if (broadcast && !cpu_x86_support_mca_broadcast(env)) {
        error_setg(errp, "vCPU %d does not support MCA broadcast",
                   cs->cpu_index);
        return false;
    }
    if (status & MCI_STATUS_UC) {
        cpu_synchronize_state(cs);
        if ((env->mcg_cap & MCG_CTL_P) && env->mcg_ctl != ~(uint64_t)0) {
            error_setg(errp, "vCPU %d: uncorrected error reporting is "
                       "disabled (MCG_CTL 0x%" PRIx64 ")", cs->cpu_index,
                       env->mcg_ctl);
            return false;
        }
        if (env->mce_banks[4 * bank] != ~(uint64_t)0) {
            error_setg(errp, "vCPU %d: uncorrected error reporting is "
                       "disabled for bank %" PRId64 " (MC%" PRId64 "_CTL 0x%"
                       PRIx64 ")", cs->cpu_index, bank, bank,
                       env->mce_banks[4 * bank]);
            return false;
        }
    }
    return true;
}

void qmp_x_inject_mce(int64_t cpu_index, int64_t bank, uint64_t status,
                      uint64_t mcg_status, uint64_t addr, uint64_t misc,
                      bool has_broadcast, bool broadcast, Error **errp)
{
    CPUState *cs = NULL;
    X86CPU *cpu;
    int flags = MCE_INJECT_UNCOND_AO;

    if (cpu_index >= 0 && cpu_index <= INT_MAX) {
        cs = qemu_get_cpu(cpu_index);
    }
    if (!cs) {
        error_setg(errp, "no vCPU with index %" PRId64, cpu_index);
        return;
    }
    cpu = X86_CPU(cs);
    if (!mce_inject_check(cpu, bank, status, has_broadcast && broadcast,
                          errp)) {
        return;
    }
    if (has_broadcast && broadcast) {
        flags |= MCE_INJECT_BROADCAST;
    }
    cpu_x86_inject_mce(NULL, cpu, bank, status, mcg_status, addr, misc,
                       flags);
}
