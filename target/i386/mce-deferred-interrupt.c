/*
 * The AMD deferred-error interrupt
 *
 * QEMU reports an action-optional memory error to an AMD guest as a
 * deferred error in bank 9, which the guest finds at its next poll of
 * the banks: five minutes later by default, and meanwhile it may consume
 * the data.  Real AMD hardware raises an interrupt instead, through the
 * extended APIC LVT entry at the offset MSR_CU_DEF_ERR names (the BIOS
 * sets 2).  Linux (smca_enable_interrupt_vectors(), and
 * deferred_error_interrupt_enable() in older kernels) programs that entry
 * when CPUID has SUCCOR and then asks for the interrupt: per bank in
 * MCA_CONFIG[DeferredIntType] with SMCA, in MSR_CU_DEF_ERR[2:1] without.
 *
 * With x-amd-deferred-interrupt the vCPU has MSR_CU_DEF_ERR and its APIC
 * the extended LVT (hw/intc/apic.c); a deferred error logged in a bank
 * whose interrupt type is APIC raises the entry's vector, once.  Polling
 * goes on as before: the guest clears what it handled.
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "migration/vmstate.h"
#include "hw/i386/apic.h"
#include "hw/i386/apic_internal.h"
#include "cpu.h"
#include "mce-deferred-interrupt.h"
#include "trace.h"

bool x86_deferred_interrupt_enabled(X86CPU *cpu)
{
    return cpu->amd_deferred_interrupt && IS_AMD_CPU(&cpu->env) &&
           x86_smca_msrs_enabled(cpu) && cpu->apic_state &&
           APIC_COMMON(cpu->apic_state)->has_ext_lvt;
}

void x86_deferred_interrupt_reset(X86CPU *cpu)
{
    cpu->env.cu_def_err = CU_DEF_ERR_RESET;
}

bool x86_deferred_interrupt_rdmsr(X86CPU *cpu, uint32_t msr, uint64_t *val)
{
    if (msr != MSR_CU_DEF_ERR || !x86_deferred_interrupt_enabled(cpu)) {
        return false;
    }
    *val = cpu->env.cu_def_err;
    return true;
}

bool x86_deferred_interrupt_wrmsr(X86CPU *cpu, uint32_t msr, uint64_t val)
{
    if (msr != MSR_CU_DEF_ERR || !x86_deferred_interrupt_enabled(cpu) ||
        (val & ~CU_DEF_ERR_WRITABLE)) {
        return false;
    }
    cpu->env.cu_def_err = val;
    trace_x86_deferred_interrupt_config(CPU(cpu)->cpu_index, val);
    return true;
}

/*
 * Whether the guest asked for the interrupt for errors in @bank: in the
 * bank's MCA_CONFIG once it uses the SMCA registers (McaXEn), in
 * MSR_CU_DEF_ERR before.
 */
static bool bank_interrupts(X86CPU *cpu, int bank)
{
    CPUX86State *env = &cpu->env;
    uint64_t config = env->smca.banks[bank].config;

    if (config & SMCA_CONFIG_MCAX_EN_BIT) {
        return (config & SMCA_CONFIG_DEFERRED_INT_MASK) ==
               SMCA_CONFIG_DEFERRED_INT_APIC;
    }
    return (env->cu_def_err & CU_DEF_ERR_INT_TYPE_MASK) ==
           CU_DEF_ERR_INT_TYPE_APIC;
}

void x86_deferred_interrupt_raise(X86CPU *cpu, int bank)
{
    unsigned offset;
    bool raised;

    if (!x86_deferred_interrupt_enabled(cpu) || !bank_interrupts(cpu, bank)) {
        return;
    }
    offset = (cpu->env.cu_def_err & CU_DEF_ERR_LVT_MASK) >>
             CU_DEF_ERR_LVT_SHIFT;
    raised = apic_deliver_ext_lvt(APIC_COMMON(cpu->apic_state), offset);
    trace_x86_deferred_interrupt_raise(CPU(cpu)->cpu_index, bank, offset,
                                       raised);
}

static bool deferred_interrupt_needed(void *opaque)
{
    X86CPU *cpu = opaque;

    return x86_deferred_interrupt_enabled(cpu) &&
           cpu->env.cu_def_err != CU_DEF_ERR_RESET;
}

const VMStateDescription vmstate_deferred_interrupt = {
    .name = "cpu/x-resilient-deferred-interrupt",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = deferred_interrupt_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(env.cu_def_err, X86CPU),
        VMSTATE_END_OF_LIST()
    }
};
