/*
 * Guest pages poisoned for the guest, under TCG: #MC at the access
 *
 * A poisoned page's region fails every access (memory-poison.c).  TCG
 * reports the failure here with the access's return address, so the
 * machine check can be raised precisely: log it as the vendor's CPU
 * would (action required), then leave the TB with the state restored to
 * the faulting instruction.  The pending #MC is taken before that
 * instruction runs again, so the guest sees its RIP with EIPV set, and
 * the access never completes.
 *
 * A vCPU that another's broadcast machine check has reached first
 * (MCIP set, the #MC not taken yet) takes that one first: the access
 * runs again after the handler, and raises its own then, as on hardware
 * the broadcast stops the core before it consumes the poison.  A second
 * #MC now would shut the vCPU down.
 *
 * Unless nothing is raised: a vCPU without MCA, or with uncorrected
 * error reporting off in MCG_CTL or the bank's MCi_CTL, does not signal
 * the error, and the access consumes the poisoned data as on hardware
 * (reads return all ones, as under KVM) instead of running again, and
 * failing again, for ever.
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "cpu.h"
#include "accel/tcg/cpu-ops.h"
#include "exec/cpu-common.h"
#include "exec/target_page.h"
#include "memory-error.h"
#include "memory-poison.h"

void x86_cpu_do_transaction_failed(CPUState *cs, hwaddr physaddr, vaddr addr,
                                   unsigned size, MMUAccessType access_type,
                                   int mmu_idx, MemTxAttrs attrs,
                                   MemTxResult response, uintptr_t retaddr)
{
    X86CPU *cpu = X86_CPU(cs);

    /* Other failed accesses (unassigned addresses) stay as they were. */
    if (!x86_memory_poisoned(physaddr)) {
        return;
    }
    if ((cpu->env.mcg_status & MCG_STATUS_MCIP) &&
        cpu_test_interrupt(cs, CPU_INTERRUPT_MCE)) {
        cpu_loop_exit_restore(cs, retaddr);
    }
    x86_cpu_inject_memory_error(cpu, physaddr & TARGET_PAGE_MASK, true);
    /* #MC pending, or the machine check stops the vCPU (a reset) */
    if (cpu_test_interrupt(cs, CPU_INTERRUPT_MCE) ||
        qatomic_read(&cs->exit_request)) {
        cpu_loop_exit_restore(cs, retaddr);
    }
}
