/*
 * AMD Scalable MCA (SMCA) bank MSRs for AMD-vendor vCPUs
 *
 * Recent Linux guests clear MCA_DESTAT when they find a deferred error,
 * which is how QEMU reports an action-optional memory error to an AMD
 * guest.  Neither KVM nor QEMU implemented the SMCA range, so that write
 * raised #GP inside the guest's machine-check code and the guest panicked
 * ("MCA architectural violation").  This file emulates the range, for TCG
 * (MSR helpers) and KVM (userspace MSR exits) alike.
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "cpu.h"
#include "migration/vmstate.h"
#include "system/kvm.h"
#include "kvm/kvm_i386.h"
#include "mce-smca.h"
#include "mce-deferred-interrupt.h"
#include "trace.h"

/* MCA_CONFIG: bits the guest can set (APM vol. 2, 9.3.2.3). */
#define SMCA_CONFIG_MCAX_EN             (1ULL << 32)
#define SMCA_CONFIG_LOG_DEFERRED_IN_MCA_STAT (1ULL << 34)
#define SMCA_CONFIG_DEFERRED_INT_TYPE   (3ULL << 37)
#define SMCA_CONFIG_WRITABLE \
    (SMCA_CONFIG_MCAX_EN | (1ULL << 33) | \
     SMCA_CONFIG_LOG_DEFERRED_IN_MCA_STAT | SMCA_CONFIG_DEFERRED_INT_TYPE)
/* Read-only capability bits: McaX, TransparentErrorLogging, DeferredIntType */
#define SMCA_CONFIG_READONLY            ((1ULL << 0) | (1ULL << 2) | (1ULL << 5))

bool x86_smca_msrs_enabled(X86CPU *cpu)
{
    switch (cpu->smca_msrs) {
    case ON_OFF_AUTO_ON:
        return true;
    case ON_OFF_AUTO_OFF:
        return false;
    default:
        return IS_AMD_CPU(&cpu->env);
    }
}

bool x86_smca_tcg_claims_msr(X86CPU *cpu, uint32_t msr)
{
    if (msr == MSR_CU_DEF_ERR) {
        return x86_deferred_interrupt_enabled(cpu);
    }
    return x86_smca_is_msr(msr) &&
           (x86_smca_msrs_enabled(cpu) || cpu->smca_msrs_gp);
}

bool x86_smca_advertised(X86CPU *cpu)
{
    return cpu->env.features[FEAT_8000_0007_EBX] & CPUID_8000_0007_EBX_SMCA;
}

bool x86_smca_realize(X86CPU *cpu, Error **errp)
{
    CPUX86State *env = &cpu->env;

    if (!x86_smca_advertised(cpu)) {
        return true;
    }
    if (!IS_AMD_CPU(env)) {
        error_setg(errp, "smca needs an AMD-vendor vCPU");
        return false;
    }
    if (!x86_smca_msrs_enabled(cpu)) {
        error_setg(errp, "smca needs the SMCA bank MSRs "
                   "(x-amd-smca-msrs=on)");
        return false;
    }
    if (env->cpuid_xlevel < 0x80000007) {
        error_setg(errp, "smca needs CPUID level 0x80000007 "
                   "(xlevel is 0x%x)", env->cpuid_xlevel);
        return false;
    }
    return true;
}

/*
 * The legacy MCi_ registers and HWCR live in the kernel under KVM: read
 * and write them there, never a stale copy in env.
 */
static uint64_t legacy_get(X86CPU *cpu, uint32_t msr)
{
    CPUX86State *env = &cpu->env;
    uint64_t val = 0;

    if (kvm_enabled()) {
        if (kvm_x86_get_msr(cpu, msr, &val) < 0) {
            return 0;
        }
        return val;
    }
    if (msr == MSR_K7_HWCR) {
        return env->msr_hwcr;
    }
    return env->mce_banks[msr - MSR_MC0_CTL];
}

static void legacy_set(X86CPU *cpu, uint32_t msr, uint64_t val)
{
    if (kvm_enabled()) {
        kvm_x86_set_msr(cpu, msr, val);
        return;
    }
    cpu->env.mce_banks[msr - MSR_MC0_CTL] = val;
}

/* A status-like register takes 0, or anything with HWCR.McStatusWrEn. */
static bool status_write_ok(X86CPU *cpu, uint64_t val)
{
    return val == 0 || (legacy_get(cpu, MSR_K7_HWCR) & HWCR_MCSTATUSWREN);
}

/* Decode @msr; false if @cpu has no such register (#GP). */
static bool smca_decode(X86CPU *cpu, uint32_t msr, unsigned *bank,
                        unsigned *reg)
{
    unsigned nbanks = cpu->env.mcg_cap & 0xff;

    if (!x86_smca_msrs_enabled(cpu) || !x86_smca_is_msr(msr)) {
        return false;
    }
    *bank = (msr - MSR_SMCA_BANK_BASE) / MSR_SMCA_BANK_STRIDE;
    *reg = (msr - MSR_SMCA_BANK_BASE) % MSR_SMCA_BANK_STRIDE;
    return *bank < MIN(nbanks, MCE_BANKS_DEF);
}

/* MCA_SYND, MCA_SYND1 or MCA_SYND2 of @b, by register number. */
static uint64_t *synd_reg(X86SMCABank *b, unsigned reg)
{
    return reg == SMCA_SYND ? &b->synd :
           reg == SMCA_SYND1 ? &b->synd1 : &b->synd2;
}

bool x86_smca_rdmsr(X86CPU *cpu, uint32_t msr, uint64_t *val)
{
    unsigned bank, reg;
    X86SMCABank *b;
    bool ok = true;

    if (msr == MSR_CU_DEF_ERR) {
        return x86_deferred_interrupt_rdmsr(cpu, msr, val);
    }
    if (!smca_decode(cpu, msr, &bank, &reg)) {
        trace_x86_smca_rdmsr_gp(CPU(cpu)->cpu_index, msr);
        return false;
    }
    b = &cpu->env.smca.banks[bank];

    switch (reg) {
    case SMCA_CTL:
    case SMCA_STATUS:
    case SMCA_ADDR:
    case SMCA_MISC0:
        *val = legacy_get(cpu, MSR_MC0_CTL + 4 * bank + reg);
        break;
    case SMCA_CONFIG:
        /* DeferredIntTypeSupported: where the interrupt can be raised */
        *val = b->config | (x86_deferred_interrupt_enabled(cpu) ?
                            SMCA_CONFIG_DEFERRED_INT_SUPPORTED : 0);
        break;
    case SMCA_IPID:
        /* With smca, tell an SMCA-aware guest what bank 9 is. */
        *val = x86_smca_advertised(cpu) && bank == SMCA_UMC_BANK ?
               SMCA_IPID_UMC : 0;
        break;
    case SMCA_SYND:
    case SMCA_SYND1:
    case SMCA_SYND2:
        *val = *synd_reg(b, reg);
        break;
    case SMCA_DESTAT:
        *val = b->destat;
        break;
    case SMCA_DEADDR:
        *val = b->deaddr;
        break;
    case SMCA_MISC1 ... SMCA_MISC4:
        *val = 0;
        break;
    default:
        ok = false;
        break;
    }
    if (ok) {
        trace_x86_smca_rdmsr(CPU(cpu)->cpu_index, msr, *val);
    } else {
        trace_x86_smca_rdmsr_gp(CPU(cpu)->cpu_index, msr);
    }
    return ok;
}

bool x86_smca_wrmsr(X86CPU *cpu, uint32_t msr, uint64_t val)
{
    unsigned bank, reg;
    X86SMCABank *b;
    bool ok;

    if (msr == MSR_CU_DEF_ERR) {
        return x86_deferred_interrupt_wrmsr(cpu, msr, val);
    }
    if (!smca_decode(cpu, msr, &bank, &reg)) {
        trace_x86_smca_wrmsr_gp(CPU(cpu)->cpu_index, msr, val);
        return false;
    }
    b = &cpu->env.smca.banks[bank];

    switch (reg) {
    case SMCA_CTL:
        /* As MCi_CTL under KVM: all ones or zero, other values ignored. */
        if (val == 0 || val == ~0ULL) {
            legacy_set(cpu, MSR_MC0_CTL + 4 * bank, val);
        }
        ok = true;
        break;
    case SMCA_STATUS:
        ok = status_write_ok(cpu, val);
        if (ok) {
            legacy_set(cpu, MSR_MC0_STATUS + 4 * bank, val);
        }
        break;
    case SMCA_ADDR:
    case SMCA_MISC0:
        legacy_set(cpu, MSR_MC0_CTL + 4 * bank + reg, val);
        ok = true;
        break;
    case SMCA_CONFIG:
        ok = !(val & ~(SMCA_CONFIG_WRITABLE | SMCA_CONFIG_READONLY));
        if (ok) {
            b->config = val & SMCA_CONFIG_WRITABLE;
        }
        break;
    case SMCA_SYND:
    case SMCA_SYND1:
    case SMCA_SYND2:
        ok = status_write_ok(cpu, val);
        if (ok) {
            *synd_reg(b, reg) = val;
        }
        break;
    case SMCA_DESTAT:
        ok = status_write_ok(cpu, val);
        if (ok) {
            b->destat = val;
        }
        break;
    case SMCA_DEADDR:
        b->deaddr = val;
        ok = true;
        break;
    case SMCA_MISC1 ... SMCA_MISC4:
        ok = true;      /* not implemented: read as zero, writes ignored */
        break;
    default:            /* IPID is read-only; the rest is reserved */
        ok = false;
        break;
    }
    if (ok) {
        trace_x86_smca_wrmsr(CPU(cpu)->cpu_index, msr, val);
    } else {
        trace_x86_smca_wrmsr_gp(CPU(cpu)->cpu_index, msr, val);
    }
    return ok;
}

void x86_smca_log_error(X86CPU *cpu, int bank, uint64_t status,
                        uint64_t addr)
{
    X86SMCABank *b;

    if (!x86_smca_msrs_enabled(cpu) || bank < 0 || bank >= MCE_BANKS_DEF ||
        !(status & MCI_STATUS_DEFERRED)) {
        return;
    }
    b = &cpu->env.smca.banks[bank];
    b->destat = status;
    b->deaddr = addr;
    trace_x86_smca_log_deferred(CPU(cpu)->cpu_index, bank, status, addr);
    x86_deferred_interrupt_raise(cpu, bank);
}

static bool smca_needed(void *opaque)
{
    X86CPU *cpu = opaque;
    const X86SMCAState *s = &cpu->env.smca;

    if (!cpu->migrate_smca) {
        return false;
    }
    for (int i = 0; i < MCE_BANKS_DEF; i++) {
        const X86SMCABank *b = &s->banks[i];

        if (b->config || b->synd || b->destat || b->deaddr || b->synd1 ||
            b->synd2) {
            return true;
        }
    }
    return false;
}

static const VMStateDescription vmstate_smca_bank = {
    .name = "cpu/smca/bank",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(config, X86SMCABank),
        VMSTATE_UINT64(synd, X86SMCABank),
        VMSTATE_UINT64(destat, X86SMCABank),
        VMSTATE_UINT64(deaddr, X86SMCABank),
        VMSTATE_END_OF_LIST()
    }
};

/* MCA_SYND1 and MCA_SYND2, since version 2 of the subsection */
static const VMStateDescription vmstate_smca_bank_synd12 = {
    .name = "cpu/smca/bank-synd12",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(synd1, X86SMCABank),
        VMSTATE_UINT64(synd2, X86SMCABank),
        VMSTATE_END_OF_LIST()
    }
};

/*
 * Sent only when a bank holds something, and never on upstream machine
 * types (x-migrate-smca=off): streams stay vanilla otherwise.
 */
const VMStateDescription vmstate_smca = {
    .name = "cpu/x-resilient-smca",
    .version_id = 2,
    .minimum_version_id = 1,
    .needed = smca_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_STRUCT_ARRAY(env.smca.banks, X86CPU, MCE_BANKS_DEF, 1,
                             vmstate_smca_bank, X86SMCABank),
        VMSTATE_STRUCT_ARRAY(env.smca.banks, X86CPU, MCE_BANKS_DEF, 2,
                             vmstate_smca_bank_synd12, X86SMCABank),
        VMSTATE_END_OF_LIST()
    }
};
