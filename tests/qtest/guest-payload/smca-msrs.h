/*
 * Guest payload smca-msrs: mailbox slots shared with its qtest
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef GUEST_PAYLOAD_SMCA_MSRS_H
#define GUEST_PAYLOAD_SMCA_MSRS_H

#define SMCA_MSRS_BANK_BASE     0xc0002000u
#define SMCA_MSRS_MSR(bank, reg) (SMCA_MSRS_BANK_BASE + 0x10u * (bank) + (reg))
#define SMCA_MSRS_MC0_STATUS    0x401u
#define SMCA_MSRS_MCG_CAP       0x179u
#define SMCA_MSRS_HWCR          0xc0010015u
#define SMCA_MSRS_HWCR_WREN     (1ull << 18)
#define SMCA_MSRS_CONFIG_MCAXEN (1ull << 32)

/* inputs[] */
#define SMCA_MSRS_IN_BANK       0       /* the bank holding the error */
#define SMCA_MSRS_IN_VALUE      1       /* a non-zero value to write */

/*
 * The steps, in order.  values[2 * step] is the vector the access
 * raised (0xffffffff: none), values[2 * step + 1] what a read returned.
 */
enum {
    SMCA_STEP_READ_STATUS,              /* MCA_STATUS = MCi_STATUS */
    SMCA_STEP_READ_ADDR,                /* MCA_ADDR = MCi_ADDR */
    SMCA_STEP_READ_DESTAT,
    SMCA_STEP_READ_DEADDR,
    SMCA_STEP_READ_IPID,
    SMCA_STEP_WRITE_DESTAT_VALUE,       /* non-zero, HWCR.McStatusWrEn 0 */
    SMCA_STEP_CLEAR_DESTAT,
    SMCA_STEP_READ_DESTAT_CLEARED,
    SMCA_STEP_CLEAR_MCI_STATUS,         /* the legacy MSR */
    SMCA_STEP_READ_STATUS_CLEARED,
    SMCA_STEP_WRITE_CONFIG,             /* McaXEn */
    SMCA_STEP_READ_CONFIG,
    SMCA_STEP_WRITE_CONFIG_RESERVED,    /* bit 63 */
    SMCA_STEP_READ_RESERVED_REG,        /* register 7 of the bank */
    SMCA_STEP_READ_BEYOND_BANKS,        /* MCA_STATUS of bank MCG_CAP[7:0] */
    SMCA_STEP_READ_SYND1,               /* register 0xe, Linux 7.x reads it */
    SMCA_STEP_READ_SYND2,               /* register 0xf */
    SMCA_STEP_CLEAR_SYND1,
    SMCA_STEP_NR
};

/* values[] after the steps: the bank count, CPUID[8000_0007].EBX */
#define SMCA_MSRS_OUT_NBANKS    (2 * SMCA_STEP_NR)
#define SMCA_MSRS_OUT_CPUID_EBX (2 * SMCA_STEP_NR + 1)
#define SMCA_MSRS_CPUID_SMCA    (1u << 3)

#endif
