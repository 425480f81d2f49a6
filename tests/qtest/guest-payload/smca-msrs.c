/*
 * Guest payload: what a Linux AMD guest does with a deferred error
 *
 * Reads the SMCA view of the bank the qtest logged an error in (STATUS,
 * ADDR, DESTAT, DEADDR, IPID, SYND1, SYND2), clears DESTAT and MCi_STATUS as Linux's
 * machine-check poller does, and probes the edges: a non-zero DESTAT
 * write without HWCR.McStatusWrEn, MCA_CONFIG, a reserved register and a
 * bank beyond the vCPU's count.  Every access records its vector.
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "kit.h"
#include "smca-msrs.h"

static void step_read(unsigned step, uint32_t msr)
{
    uint64_t v = 0;

    kit_report(2 * step, (uint32_t)rdmsr_safe(msr, &v));
    kit_report(2 * step + 1, v);
}

static void step_write(unsigned step, uint32_t msr, uint64_t v)
{
    kit_report(2 * step, (uint32_t)wrmsr_safe(msr, v));
}

uint32_t payload_main(void)
{
    uint32_t bank = kit_input(SMCA_MSRS_IN_BANK);
    uint32_t nbanks = rdmsr(SMCA_MSRS_MCG_CAP) & 0xff;
    uint64_t value = kit_input(SMCA_MSRS_IN_VALUE);
    uint32_t eax, ebx, ecx, edx;

    step_read(SMCA_STEP_READ_STATUS, SMCA_MSRS_MSR(bank, 1));
    step_read(SMCA_STEP_READ_ADDR, SMCA_MSRS_MSR(bank, 2));
    step_read(SMCA_STEP_READ_DESTAT, SMCA_MSRS_MSR(bank, 8));
    step_read(SMCA_STEP_READ_DEADDR, SMCA_MSRS_MSR(bank, 9));
    step_read(SMCA_STEP_READ_IPID, SMCA_MSRS_MSR(bank, 5));
    step_write(SMCA_STEP_WRITE_DESTAT_VALUE, SMCA_MSRS_MSR(bank, 8), value);
    step_write(SMCA_STEP_CLEAR_DESTAT, SMCA_MSRS_MSR(bank, 8), 0);
    step_read(SMCA_STEP_READ_DESTAT_CLEARED, SMCA_MSRS_MSR(bank, 8));
    step_write(SMCA_STEP_CLEAR_MCI_STATUS, SMCA_MSRS_MC0_STATUS + 4 * bank,
               0);
    step_read(SMCA_STEP_READ_STATUS_CLEARED, SMCA_MSRS_MSR(bank, 1));
    step_write(SMCA_STEP_WRITE_CONFIG, SMCA_MSRS_MSR(bank, 4),
               SMCA_MSRS_CONFIG_MCAXEN);
    step_read(SMCA_STEP_READ_CONFIG, SMCA_MSRS_MSR(bank, 4));
    step_write(SMCA_STEP_WRITE_CONFIG_RESERVED, SMCA_MSRS_MSR(bank, 4),
               1ull << 63);
    step_read(SMCA_STEP_READ_RESERVED_REG, SMCA_MSRS_MSR(bank, 7));
    step_read(SMCA_STEP_READ_BEYOND_BANKS, SMCA_MSRS_MSR(nbanks, 1));
    step_read(SMCA_STEP_READ_SYND1, SMCA_MSRS_MSR(bank, 0xe));
    step_read(SMCA_STEP_READ_SYND2, SMCA_MSRS_MSR(bank, 0xf));
    step_write(SMCA_STEP_CLEAR_SYND1, SMCA_MSRS_MSR(bank, 0xe), 0);
    kit_report(SMCA_MSRS_OUT_NBANKS, nbanks);
    cpuid(0x80000007, 0, &eax, &ebx, &ecx, &edx);
    kit_report(SMCA_MSRS_OUT_CPUID_EBX, ebx);
    return GUEST_PAYLOAD_STATUS_PASS;
}
