/*
 * x86 exception vectors and machine-check architecture constants, as the
 * Intel SDM (vol. 3A 6.15, vol. 3B 16.3) and the AMD APM (vol. 2 9.3)
 * give them: one definition for the qtests and the guest payloads
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef GUEST_PAYLOAD_X86_ARCH_H
#define GUEST_PAYLOAD_X86_ARCH_H

#define VECTOR_DE       0
#define VECTOR_NMI      2
#define VECTOR_UD       6
#define VECTOR_GP       13
#define VECTOR_PF       14
#define VECTOR_MC       18
#define VECTOR_CP       21

/* MCi_STATUS */
#define MCI_VAL         (1ULL << 63)
#define MCI_UC          (1ULL << 61)
#define MCI_EN          (1ULL << 60)
#define MCI_MISCV       (1ULL << 59)
#define MCI_ADDRV       (1ULL << 58)
#define MCI_S           (1ULL << 56)    /* Intel: signaled */
#define MCI_AR          (1ULL << 55)    /* Intel: action required */
#define MCI_DEFERRED    (1ULL << 44)    /* AMD */
#define MCI_POISON      (1ULL << 43)    /* AMD */

/* MCG_STATUS */
#define MCG_RIPV        (1ULL << 0)
#define MCG_EIPV        (1ULL << 1)
#define MCG_MCIP        (1ULL << 2)

#define MSR_MCG_STATUS  0x17a
#define MSR_MCG_CTL     0x17b
#define MSR_MC0_CTL     0x400
#define MSR_MC0_STATUS  0x401
#define MSR_MC0_ADDR    0x402
#define MSR_MC0_MISC    0x403

#endif
