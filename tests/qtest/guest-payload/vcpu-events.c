/*
 * Guest payload: receive whatever the vCPU is made to deliver
 *
 * Spins in a loop (or in a run of MOV SS, each in the shadow of the one
 * before) until the qtest says finish; every exception, NMI and #MC that
 * arrives meanwhile is logged by the kit with its vector, error code and
 * return address, #PF with CR2, #MC with its bank.  The qtest queues
 * events with x-inject-exception, inject-nmi and x-inject-mce, saves,
 * restores and migrates the VM in between, and compares the log with
 * what it injected.
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "kit.h"
#include "vcpu-events.h"
#include "x86-arch.h"

#define CR4_MCE                 (1u << 6)
#define APIC_BASE               0xfee00000u
#define APIC_SVR                0x0f0
#define APIC_SVR_ENABLE         (1u << 8)
#define APIC_LVT_LINT1          0x360
#define APIC_DM_NMI             (4u << 8)

static uint32_t mode;
static uint32_t mc_bank;
static volatile bool nmi_held;  /* volatile: set in the NMI handler */

/* Queued exceptions return to the instruction they were queued before. */
static void resume(KitFrame *frame)
{
}

static void pf_handler(KitFrame *frame)
{
    uint32_t cr2;

    asm volatile("mov %%cr2, %0" : "=r"(cr2));
    kit_report(VE_OUT_CR2, cr2);
}

static void mc_handler(KitFrame *frame)
{
    kit_report(VE_OUT_MC_STATUS, rdmsr(MSR_MC0_STATUS + 4 * mc_bank));
    kit_report(VE_OUT_MC_ADDR, rdmsr(MSR_MC0_ADDR + 4 * mc_bank));
    kit_report(VE_OUT_MCG_STATUS, rdmsr(MSR_MCG_STATUS));
    wrmsr(MSR_MC0_STATUS + 4 * mc_bank, 0);
    wrmsr(MSR_MCG_STATUS, 0);   /* MCIP off: ready for the next one */
    mailbox->values[VE_OUT_MC_HANDLED]++;
}

static void nmi_handler(KitFrame *frame)
{
    if (mode != VE_MODE_NMI_HOLD || nmi_held) {
        return;
    }
    /* NMIs stay blocked until this handler's IRET. */
    nmi_held = true;
    kit_checkpoint(VE_CP_IN_NMI);
    while (!kit_input(VE_IN_RELEASE)) {
        asm volatile("pause");
    }
    kit_report(VE_OUT_NMIS_AT_RELEASE,
               mailbox->exception_count[VECTOR_NMI]);
}

/* Counts its rounds in the mailbox: a qtest waits for the first. */
static void wait_loop(void)
{
    /* volatile: the qtest writes the one and reads the other */
    volatile uint64_t *finish = &mailbox->inputs[VE_IN_FINISH];
    /* volatile: see finish */
    volatile uint64_t *rounds = &mailbox->values[VE_OUT_LOOPS];

    asm volatile("ve_loop_start:\n\t"
                 "incl %0\n\t"
                 "pause\n\t"
                 "cmpl $0, %1\n\t"
                 "je ve_loop_start\n"
                 "ve_loop_end:"
                 : "+m"(*rounds) : "m"(*finish) : "memory", "cc");
}

/* Each MOV SS blocks interrupts until the next instruction completes. */
static void shadow_loop(void)
{
    /* volatile: the qtest writes it */
    volatile uint64_t *finish = &mailbox->inputs[VE_IN_FINISH];

    asm volatile("mov %%ss, %%ax\n"
                 "1:\n\t"
                 ".rept 32\n\t"
                 "mov %%ax, %%ss\n\t"
                 ".endr\n\t"
                 "cmpl $0, %0\n\t"
                 "je 1b"
                 : : "m"(*finish) : "eax", "memory", "cc");
}

static void apic_write(uint32_t reg, uint32_t value)
{
    /* volatile: a device register */
    *(volatile uint32_t *)(APIC_BASE + reg) = value;
}

/*
 * inject-nmi raises LINT1, as an NMI button does: make it an NMI, as
 * firmware does, or it is masked and nothing arrives.
 */
static void setup_lint1_nmi(void)
{
    apic_write(APIC_SVR, APIC_SVR_ENABLE | 0xff);
    apic_write(APIC_LVT_LINT1, APIC_DM_NMI);
}

/* Where wait_loop() starts (@end false) or ends. */
static uint32_t loop_address(bool end)
{
    uint32_t start_addr, end_addr;

    asm("mov $ve_loop_start, %0\n\t"
        "mov $ve_loop_end, %1" : "=r"(start_addr), "=r"(end_addr));
    return end ? end_addr : start_addr;
}

/* Fails here, as a KVM internal error, if IRET cannot be run. */
static void try_iret(void)
{
    asm volatile("pushf\n\t"
                 "push %%cs\n\t"
                 "push $1f\n\t"
                 "iret\n"
                 "1:" : : : "memory");
}

uint32_t payload_main(void)
{
    uint32_t cr4;
    unsigned v;

    mode = kit_input(VE_IN_MODE);
    mc_bank = kit_input(VE_IN_MC_BANK);
    for (v = 0; v < GUEST_PAYLOAD_NR_VECTORS; v++) {
        kit_set_handler(v, resume);
    }
    kit_set_handler(VECTOR_NMI, nmi_handler);
    kit_set_handler(VECTOR_PF, pf_handler);
    kit_set_handler(VECTOR_MC, mc_handler);
    if (kit_input(VE_IN_IRET)) {
        try_iret();
        kit_iret = 1;
    }
    setup_lint1_nmi();
    asm volatile("mov %%cr4, %0" : "=r"(cr4));
    asm volatile("mov %0, %%cr4" : : "r"(cr4 | CR4_MCE));
    kit_report(VE_OUT_LOOP_START, loop_address(0));
    kit_report(VE_OUT_LOOP_END, loop_address(1));
    kit_checkpoint(VE_CP_READY);

    if (mode == VE_MODE_SHADOW) {
        shadow_loop();
    } else {
        wait_loop();
    }
    return GUEST_PAYLOAD_STATUS_PASS;
}
