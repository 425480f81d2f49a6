/*
 * Guest payload: make KVM's instruction emulator fail
 *
 * PADDB with a memory operand in MMIO: KVM must emulate the access and
 * its emulator has no SSE arithmetic, so KVM_RUN returns
 * KVM_EXIT_INTERNAL_ERROR, suberror 1 (emulation failure), and QEMU
 * stops the VM.  Under TCG the read just returns all ones.
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "kit.h"
#include "emulation-failure.h"

#define CR0_EM (1u << 2)
#define CR0_MP (1u << 1)
#define CR4_OSFXSR (1u << 9)
#define CR4_OSXMMEXCPT (1u << 10)

static void enable_sse(void)
{
    uint32_t cr0, cr4;

    asm volatile("mov %%cr0, %0" : "=r"(cr0));
    asm volatile("mov %0, %%cr0" : : "r"((cr0 & ~CR0_EM) | CR0_MP));
    asm volatile("mov %%cr4, %0" : "=r"(cr4));
    asm volatile("mov %0, %%cr4" : : "r"(cr4 | CR4_OSFXSR | CR4_OSXMMEXCPT));
}

uint32_t payload_main(void)
{
    enable_sse();
    kit_checkpoint(EMULATION_FAILURE_CHECKPOINT_ABOUT_TO);
    asm volatile("paddb (%0), %%xmm0"
                 : : "r"(EMULATION_FAILURE_MMIO_ADDR) : "memory");
    return GUEST_PAYLOAD_STATUS_PASS;
}
