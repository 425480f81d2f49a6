/*
 * AMD Scalable MCA (SMCA) bank MSRs for AMD-vendor vCPUs
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TARGET_I386_MCE_SMCA_H
#define TARGET_I386_MCE_SMCA_H

/*
 * Each bank has 16 MSRs from MSR_SMCA_BANK_BASE + 0x10 * bank (AMD APM
 * vol. 2, 9.3): CTL, STATUS, ADDR and MISC0 are the legacy MCi_ registers
 * under other numbers; DESTAT and DEADDR hold the deferred error logged in
 * the bank.
 */
#define MSR_SMCA_BANK_BASE      0xc0002000
#define MSR_SMCA_BANK_STRIDE    0x10
#define MSR_SMCA_MAX_BANKS      32      /* the architectural range */

#define SMCA_CTL                0x0
#define SMCA_STATUS             0x1
#define SMCA_ADDR               0x2
#define SMCA_MISC0              0x3
#define SMCA_CONFIG             0x4
#define SMCA_IPID               0x5
#define SMCA_SYND               0x6
#define SMCA_DESTAT             0x8
#define SMCA_DEADDR             0x9
#define SMCA_MISC1              0xa
#define SMCA_MISC4              0xd
#define SMCA_SYND1              0xe
#define SMCA_SYND2              0xf

#define MSR_SMCA_DESTAT(bank) \
    (MSR_SMCA_BANK_BASE + MSR_SMCA_BANK_STRIDE * (bank) + SMCA_DESTAT)

/* CPUID[8000_0007].EBX: Scalable MCA, the "smca" feature */
#define CPUID_8000_0007_EBX_SMCA        (1U << 3)

/*
 * MCA_IPID of a unified memory controller bank, as Linux decodes it
 * (HardwareID 0x96, McaType 0): what bank 9 reports with smca=on.
 */
#define SMCA_IPID_UMC           (0x96ULL << 32)
#define SMCA_UMC_BANK           9

/* MSR_K7_HWCR: writing non-zero MCi_STATUS values is allowed. */
#define HWCR_MCSTATUSWREN       (1ULL << 18)

/* The per-bank state that the legacy MCi_ registers do not hold. */
typedef struct X86SMCABank {
    uint64_t config;
    uint64_t synd;
    uint64_t destat;
    uint64_t deaddr;
    uint64_t synd1;
    uint64_t synd2;
} X86SMCABank;

typedef struct X86SMCAState {
    X86SMCABank banks[MCE_BANKS_DEF];
} X86SMCAState;

/* Whether @cpu emulates the SMCA MSRs (property x-amd-smca-msrs). */
bool x86_smca_msrs_enabled(X86CPU *cpu);

/* Whether @cpu's CPUID says Scalable MCA (feature "smca"). */
bool x86_smca_advertised(X86CPU *cpu);

/*
 * At realize, before the accelerator filters the features: false, with
 * @errp set, if @cpu asks for smca and cannot have it.
 */
bool x86_smca_realize(X86CPU *cpu, Error **errp);

/* Whether @msr is in the SMCA bank range, emulated or not. */
static inline bool x86_smca_is_msr(uint32_t msr)
{
    return msr >= MSR_SMCA_BANK_BASE &&
           msr < MSR_SMCA_BANK_BASE + MSR_SMCA_BANK_STRIDE * MSR_SMCA_MAX_BANKS;
}

/*
 * Whether TCG's MSR helpers leave @msr to x86_smca_rdmsr/wrmsr: when the
 * range is emulated, or when x-amd-smca-msrs-gp asks for KVM's #GP.
 * Otherwise TCG treats the range as vanilla does (reads 0, writes
 * ignored), so that a machine type without the emulation gives the guest
 * exactly what vanilla gives it.
 */
bool x86_smca_tcg_claims_msr(X86CPU *cpu, uint32_t msr);

/*
 * Guest accesses to an SMCA MSR, from TCG's MSR helpers and KVM's
 * userspace MSR exits alike; false means #GP.
 */
bool x86_smca_rdmsr(X86CPU *cpu, uint32_t msr, uint64_t *val);
bool x86_smca_wrmsr(X86CPU *cpu, uint32_t msr, uint64_t val);

/*
 * A machine check was logged in @bank with @status (on the vCPU's thread,
 * state synchronized): a deferred error also goes to DESTAT/DEADDR.
 */
void x86_smca_log_error(X86CPU *cpu, int bank, uint64_t status,
                        uint64_t addr);

extern const VMStateDescription vmstate_smca;

#endif
