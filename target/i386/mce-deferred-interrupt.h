/*
 * The AMD deferred-error interrupt: MSR_CU_DEF_ERR and its delivery
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TARGET_I386_MCE_DEFERRED_INTERRUPT_H
#define TARGET_I386_MCE_DEFERRED_INTERRUPT_H

#include "cpu-qom.h"

/* MSRC000_0410: where deferred and thresholding errors interrupt */
#define MSR_CU_DEF_ERR                  0xc0000410
#define CU_DEF_ERR_INT_TYPE_SHIFT       1       /* non-SMCA: bits 2:1 */
#define CU_DEF_ERR_INT_TYPE_MASK        (3ULL << CU_DEF_ERR_INT_TYPE_SHIFT)
#define CU_DEF_ERR_INT_TYPE_APIC        (1ULL << CU_DEF_ERR_INT_TYPE_SHIFT)
#define CU_DEF_ERR_LVT_SHIFT            4       /* bits 7:4 */
#define CU_DEF_ERR_LVT_MASK             (0xfULL << CU_DEF_ERR_LVT_SHIFT)
#define CU_DEF_ERR_THR_LVT_SHIFT        12      /* SMCA: bits 15:12 */
#define CU_DEF_ERR_THR_LVT_MASK         (0xfULL << CU_DEF_ERR_THR_LVT_SHIFT)
/* What a BIOS sets: deferred errors at LVT offset 2, thresholding at 1 */
#define CU_DEF_ERR_RESET                ((2ULL << CU_DEF_ERR_LVT_SHIFT) | \
                                         (1ULL << CU_DEF_ERR_THR_LVT_SHIFT))
#define CU_DEF_ERR_WRITABLE             (CU_DEF_ERR_INT_TYPE_MASK | \
                                         CU_DEF_ERR_LVT_MASK | \
                                         CU_DEF_ERR_THR_LVT_MASK)

/*
 * MCA_CONFIG[5] DeferredIntTypeSupported; [32] McaXEn, set by an OS that
 * uses the SMCA registers; [38:37] DeferredIntType: 1 = APIC
 */
#define SMCA_CONFIG_MCAX_EN_BIT         (1ULL << 32)
#define SMCA_CONFIG_DEFERRED_INT_SUPPORTED (1ULL << 5)
#define SMCA_CONFIG_DEFERRED_INT_SHIFT  37
#define SMCA_CONFIG_DEFERRED_INT_APIC   (1ULL << SMCA_CONFIG_DEFERRED_INT_SHIFT)
#define SMCA_CONFIG_DEFERRED_INT_MASK   (3ULL << SMCA_CONFIG_DEFERRED_INT_SHIFT)

/*
 * Whether @cpu signals deferred errors by interrupt (property
 * x-amd-deferred-interrupt, an AMD vCPU with the SMCA MSRs emulated, and
 * QEMU's own APIC).
 */
bool x86_deferred_interrupt_enabled(X86CPU *cpu);

/* The vCPU was reset: MSR_CU_DEF_ERR holds what a BIOS sets. */
void x86_deferred_interrupt_reset(X86CPU *cpu);

/* Guest accesses to MSR_CU_DEF_ERR; false means #GP. */
bool x86_deferred_interrupt_rdmsr(X86CPU *cpu, uint32_t msr, uint64_t *val);
bool x86_deferred_interrupt_wrmsr(X86CPU *cpu, uint32_t msr, uint64_t val);

/*
 * A deferred error was just logged in @bank of @cpu (its thread, state
 * synchronized): raise the interrupt if the guest asked for one there.
 */
void x86_deferred_interrupt_raise(X86CPU *cpu, int bank);

extern const VMStateDescription vmstate_deferred_interrupt;

#endif
