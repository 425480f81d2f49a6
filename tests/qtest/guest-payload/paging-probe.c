/*
 * Guest payload: can this accelerator run a guest with paging on?
 *
 * Some restricted KVMs (PVM, for one) run a guest that is not aware of
 * them entirely in KVM's instruction emulator, which cannot turn on 32-bit
 * paging: CR0.PG raises #GP.  A stock Linux guest cannot boot there.
 * 'make run' asks this payload before it chooses KVM (scripts/run-guest.sh).
 *
 * Result: GUEST_PAYLOAD_STATUS_PASS if paging works; values[0] holds the
 * vector raised when it does not.
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "kit.h"

#define CR0_PG          (1u << 31)
#define CR4_PSE         (1u << 4)
#define PDE_4M          0x83u   /* present, writable, 4 MiB page */

static uint32_t page_directory[1024] __attribute__((aligned(4096)));

static int write_cr0_safe(uint32_t val)
{
    kit_fault_vector = KIT_NO_FAULT;
    asm volatile("movl $1f, kit_fault_fixup\n\t"
                 "mov %0, %%cr0\n"
                 "1:\tmovl $0, kit_fault_fixup"
                 : : "r"(val) : "memory");
    return kit_fault_vector;
}

uint32_t payload_main(void)
{
    uint32_t cr0, cr4;
    int vector;

    for (unsigned i = 0; i < 1024; i++) {
        page_directory[i] = (i << 22) | PDE_4M;     /* identity map */
    }
    asm volatile("mov %%cr4, %0" : "=r"(cr4));
    asm volatile("mov %0, %%cr4" : : "r"(cr4 | CR4_PSE));
    asm volatile("mov %0, %%cr3" : : "r"(page_directory));
    asm volatile("mov %%cr0, %0" : "=r"(cr0));

    vector = write_cr0_safe(cr0 | CR0_PG);
    if (vector != KIT_NO_FAULT) {
        kit_report(0, (uint32_t)vector);
        return GUEST_PAYLOAD_STATUS_FAIL;
    }
    write_cr0_safe(cr0);
    return GUEST_PAYLOAD_STATUS_PASS;
}
