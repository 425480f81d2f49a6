/*
 * Memory errors in guest RAM, reported to the guest as machine checks
 *
 * For the errors that do not come through KVM's SIGBUS path: what
 * x-inject-memory-error raises under TCG, and a TCG access to a poisoned
 * page.  The encodings are kvm_mce_inject()'s, so that a guest sees the
 * same machine check whichever path raised it (memory-error-test expects
 * the same one of both); "action required" is carried with MCE_INJECT_AR,
 * as kvm_mce_inject() does, since AMD's encoding has no MCi_STATUS.AR.
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
