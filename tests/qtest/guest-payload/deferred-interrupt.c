/*
 * Guest payload: program the AMD deferred-error interrupt as Linux does
 * -- read MSR_CU_DEF_ERR for the extended LVT offset, write the entry at
 * APIC 0x500 + 0x10 * offset, set MCA_CONFIG[DeferredIntType] of the bank
 * to APIC -- then wait with interrupts on, counting the vector (below 32,
 * so that the kit's IDT has it), until the qtest says done.  The qtest
 * varies each step to check what must not interrupt.
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "kit.h"
#include "deferred-interrupt.h"

static volatile uint32_t interrupts;    /* volatile: the handler counts */

static inline uint32_t apic_read(uint32_t reg)
{
    return *(volatile uint32_t *)(DEFINT_APIC_BASE + reg);  /* MMIO: volatile */
}

static inline void apic_write(uint32_t reg, uint32_t val)
{
    *(volatile uint32_t *)(DEFINT_APIC_BASE + reg) = val;   /* MMIO: volatile */
}

static void deferred_interrupt(KitFrame *frame)
{
    interrupts++;
    apic_write(0xb0, 0);                /* EOI */
}

uint32_t payload_main(void)
{
    uint32_t bank = kit_input(DEFINT_IN_BANK);
    uint32_t vector = kit_input(DEFINT_IN_VECTOR);
    uint64_t cu = ~0ull, config;
    uint32_t offset;

    apic_write(0xf0, apic_read(0xf0) | 0x100);     /* APIC software-enable */
    apic_write(0x80, 0);                           /* TPR: take everything */
    if (rdmsr_safe(DEFINT_MSR_CU_DEF_ERR, &cu) != KIT_NO_FAULT) {
        cu = ~0ull;
    }
    kit_report(DEFINT_OUT_CU_DEF_ERR, cu);
    kit_report(DEFINT_OUT_EXT_FEATURE, apic_read(0x400));
    kit_report(DEFINT_OUT_VERSION, apic_read(0x30));

    if (kit_input(DEFINT_IN_PROGRAM) && cu != ~0ull) {
        offset = (cu >> 4) & 0xf;
        if (kit_input(DEFINT_IN_OFFSET) != DEFINT_KEEP) {
            offset = kit_input(DEFINT_IN_OFFSET);
            cu = (cu & ~0xf0ull) | (offset << 4);
            wrmsr_safe(DEFINT_MSR_CU_DEF_ERR, cu);
        }
        if (offset < 4) {
            apic_write(0x500 + 0x10 * offset,
                       (kit_input(DEFINT_IN_MASKED) ? 1u << 16 : 0) | vector);
            kit_report(DEFINT_OUT_LVT, apic_read(0x500 + 0x10 * offset));
        }
        if (rdmsr_safe(DEFINT_MCA_CONFIG(bank), &config) == KIT_NO_FAULT) {
            config &= ~(3ull << 37);
            config |= (kit_input(DEFINT_IN_INT_TYPE) & 3) << 37;
            config |= 1ull << 32;                  /* McaXEn */
            wrmsr_safe(DEFINT_MCA_CONFIG(bank), config);
            rdmsr_safe(DEFINT_MCA_CONFIG(bank), &config);
            kit_report(DEFINT_OUT_CONFIG, config);
        }
    }
    if (vector < GUEST_PAYLOAD_NR_VECTORS) {
        kit_set_handler(vector, deferred_interrupt);
    }

    asm volatile("sti");
    kit_checkpoint(DEFINT_CP_READY);
    while (!kit_input(DEFINT_IN_DONE) &&
           !(kit_input(DEFINT_IN_END_AFTER) &&
             interrupts >= kit_input(DEFINT_IN_END_AFTER))) {
        asm volatile("pause");
    }
    asm volatile("cli");
    kit_report(DEFINT_OUT_INTERRUPTS, interrupts);
    return GUEST_PAYLOAD_STATUS_PASS;
}
