/*
 * Memory errors in guest RAM, reported to the guest as machine checks
 *
 * The encodings are upstream's (they were in kvm_mce_inject()), now shared
 * by KVM's SIGBUS path and by x-inject-memory-error under TCG.  What
 * changes is that "action required" is carried explicitly
 * (MCE_INJECT_AR): AMD action-required errors have no MCi_STATUS.AR bit,
 * so inferring it from the status treated them as action optional -- a
 * second one while MCIP was set was dropped instead of ending the guest
 * as hardware does, and MEMORY_FAILURE said action-required=false.
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "cpu.h"
#include "system/hw_accel.h"
#include "memory-error.h"

#define MEMORY_ERROR_BANK       9
/* MCi_MISC: physical address mode, address LSB 12 (4 KiB granularity) */
#define MEMORY_ERROR_MISC       ((MCM_ADDR_PHYS << 6) | 0xc)
/* MCA error codes (Intel SDM vol. 3B, 16.6.3): memory scrubbing, data read */
#define INTEL_MCACOD_SRAO       0xc0
#define INTEL_MCACOD_SRAR       0x134

void x86_cpu_inject_memory_error(X86CPU *cpu, hwaddr paddr,
                                 bool action_required)
{
    CPUX86State *env = &cpu->env;
    uint64_t status = MCI_STATUS_VAL | MCI_STATUS_EN | MCI_STATUS_MISCV |
                      MCI_STATUS_ADDRV;
    uint64_t mcg_status = MCG_STATUS_MCIP | MCG_STATUS_RIPV;
    int flags = action_required ? MCE_INJECT_AR : 0;

    if (!IS_AMD_CPU(env)) {
        status |= MCI_STATUS_S | MCI_STATUS_UC;
        if (action_required) {
            status |= MCI_STATUS_AR | INTEL_MCACOD_SRAR;
            mcg_status |= MCG_STATUS_EIPV;
        } else {
            status |= INTEL_MCACOD_SRAO;
        }
    } else if (action_required) {
        status |= MCI_STATUS_UC | MCI_STATUS_POISON;
        mcg_status |= MCG_STATUS_EIPV;
    } else {
        /*
         * A deferred error, polled by the guest.  POISON is not set by
         * hardware for deferred errors; it tells the guest kernel that the
         * address is valid and usable, so that it signals SIGBUS_AO to a
         * guest process that asked for early kill (upstream's choice).
         */
        status |= MCI_STATUS_DEFERRED | MCI_STATUS_POISON;
    }

    if (cpu_x86_support_mca_broadcast(env)) {
        flags |= MCE_INJECT_BROADCAST;
    }
    /* The guest may have enabled LMCE: MSR_MCG_EXT_CTL lives in KVM. */
    cpu_synchronize_state(CPU(cpu));
    if (env->mcg_ext_ctl & MCG_EXT_CTL_LMCE_EN) {
        mcg_status |= MCG_STATUS_LMCE;
        flags &= ~MCE_INJECT_BROADCAST;
    }

    cpu_x86_inject_mce(NULL, cpu, MEMORY_ERROR_BANK, status, mcg_status,
                       paddr, MEMORY_ERROR_MISC, flags);
}
