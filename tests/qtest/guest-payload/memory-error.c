/*
 * Guest payload: receive a memory error as a guest kernel would
 *
 * MEMERR_MODE_POLL: poll the bank until an error shows (AMD action
 * optional: a deferred error, no #MC), read it, also through the SMCA
 * MSRs, and clear it as Linux does.  MEMERR_MODE_MC: enable CR4.MCE, wait
 * for #MC, record what the handler saw and clear MCIP.
 * MEMERR_MODE_MC_NESTED: the handler keeps MCIP set and waits, so that a
 * second error arrives while a machine check is in progress.
 * MEMERR_MODE_TOUCH: when the qtest says go, read a page it poisoned
 * (MEMERR_IN_TOUCHES times, as a guest that ignores #MC would), with
 * error reporting turned off first if MEMERR_IN_REPORTING says so; the
 * handler records where the #MC interrupted the guest and resumes after
 * the read.
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "kit.h"
#include "memory-error.h"
#include "x86-arch.h"

#define MSR_SMCA_DESTAT(b)      (0xc0002008u + 0x10u * (b))
#define MSR_SMCA_DEADDR(b)      (0xc0002009u + 0x10u * (b))

#define CR4_MCE                 (1u << 6)
#define MAX_POLLS               100000000u

static uint32_t bank;
static uint32_t mode;
static volatile uint32_t mc_count;     /* volatile: written by the handler */

static void record_bank(void)
{
    kit_report(MEMERR_OUT_STATUS, rdmsr(MSR_MC0_STATUS + 4 * bank));
    kit_report(MEMERR_OUT_ADDR, rdmsr(MSR_MC0_ADDR + 4 * bank));
    kit_report(MEMERR_OUT_MISC, rdmsr(MSR_MC0_MISC + 4 * bank));
}

static void mc_handler(KitFrame *frame)
{
    mc_count++;
    kit_report(MEMERR_OUT_MC_COUNT, mc_count);
    kit_report(MEMERR_OUT_MCG_STATUS, rdmsr(MSR_MCG_STATUS));
    kit_report(MEMERR_OUT_MC_EIP, frame->eip);
    record_bank();
    if (mode == MEMERR_MODE_TOUCH &&
        (frame->eip == (uint32_t)(uintptr_t)memerr_touch_insn ||
         frame->eip == (uint32_t)(uintptr_t)memerr_touch_after)) {
        /*
         * The read raised it: the page is still poisoned, do not read it
         * again.  (An action-optional #MC while waiting returns as is.)
         */
        frame->eip = (uint32_t)(uintptr_t)memerr_touch_after;
    }
    if (mode == MEMERR_MODE_MC_NESTED) {
        kit_checkpoint(MEMERR_CP_IN_HANDLER);
        halt_forever();         /* a second #MC now ends the guest */
    }
    wrmsr(MSR_MC0_STATUS + 4 * bank, 0);
    wrmsr(MSR_MCG_STATUS, 0);   /* MCIP off: the error is handled */
}

static uint32_t poll_bank(void)
{
    uint64_t v;
    uint32_t polls = 0;
    int vec1, vec2;

    kit_checkpoint(MEMERR_CP_READY);
    while (!(rdmsr(MSR_MC0_STATUS + 4 * bank) & MCI_VAL)) {
        if (++polls == MAX_POLLS) {
            return GUEST_PAYLOAD_STATUS_FAIL;
        }
    }
    kit_report(MEMERR_OUT_POLLS, polls);
    record_bank();
    if (rdmsr_safe(MSR_SMCA_DESTAT(bank), &v) == KIT_NO_FAULT) {
        kit_report(MEMERR_OUT_DESTAT, v);
    }
    if (rdmsr_safe(MSR_SMCA_DEADDR(bank), &v) == KIT_NO_FAULT) {
        kit_report(MEMERR_OUT_DEADDR, v);
    }
    /* What Linux's poller does with a deferred error it has logged */
    vec1 = wrmsr_safe(MSR_SMCA_DESTAT(bank), 0);
    vec2 = wrmsr_safe(MSR_MC0_STATUS + 4 * bank, 0);
    kit_report(MEMERR_OUT_CLEAR_VECTOR,
               (uint32_t)(vec1 != KIT_NO_FAULT ? vec1 : vec2));
    return GUEST_PAYLOAD_STATUS_PASS;
}

/* Turn error reporting off as MEMERR_IN_REPORTING says; false if it did. */
static bool set_reporting(void)
{
    switch (kit_input(MEMERR_IN_REPORTING)) {
    case MEMERR_REPORT_BANK_OFF:
        wrmsr(MSR_MC0_CTL + 4 * bank, 0);
        return false;
    case MEMERR_REPORT_MCG_OFF:
        wrmsr(MSR_MCG_CTL, 0);
        return false;
    case MEMERR_REPORT_NO_MCA:
        return false;
    }
    return true;
}

static uint32_t touch_page(void)
{
    uint32_t gpa, val = 0, touches;
    bool reporting;

    kit_report(MEMERR_OUT_TOUCH_EIP, (uint32_t)(uintptr_t)memerr_touch_insn);
    kit_report(MEMERR_OUT_AFTER_EIP, (uint32_t)(uintptr_t)memerr_touch_after);
    while (!kit_input(MEMERR_IN_GO)) {
        asm volatile("pause");
    }
    gpa = kit_input(MEMERR_IN_TOUCH_GPA);      /* written before GO */
    touches = kit_input(MEMERR_IN_TOUCHES) ?: 1;
    reporting = set_reporting();
    for (uint32_t i = 0; i < touches; i++) {
        asm volatile(".globl memerr_touch_insn, memerr_touch_after\n"
                     "memerr_touch_insn: movl (%1), %0\n"
                     "memerr_touch_after: nop"
                     : "=r"(val) : "r"(gpa) : "memory");
    }
    kit_report(MEMERR_OUT_TOUCH_VALUE, val);
    /* With reporting off the reads complete, and raise nothing. */
    return mc_count == (reporting ? touches : 0) ? GUEST_PAYLOAD_STATUS_PASS
                                                 : GUEST_PAYLOAD_STATUS_FAIL;
}

uint32_t payload_main(void)
{
    uint32_t cr4;

    bank = kit_input(MEMERR_IN_BANK);
    mode = kit_input(MEMERR_IN_MODE);
    if (mode == MEMERR_MODE_POLL) {
        return poll_bank();
    }

    kit_set_handler(VECTOR_MC, mc_handler);
    asm volatile("mov %%cr4, %0" : "=r"(cr4));
    asm volatile("mov %0, %%cr4" : : "r"(cr4 | CR4_MCE));
    kit_checkpoint(MEMERR_CP_READY);
    if (mode == MEMERR_MODE_TOUCH) {
        return touch_page();
    }
    while (!mc_count) {
        asm volatile("pause");
    }
    return GUEST_PAYLOAD_STATUS_PASS;
}
