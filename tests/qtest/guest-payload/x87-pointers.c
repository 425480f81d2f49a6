/*
 * Guest payload: what FNSTENV stores for the x87 code and data pointers
 * after an instruction with a memory operand, with and without an
 * unmasked exception, and what CPUID[7,0].EBX says about them
 * (FDP_EXCPTN_ONLY, bit 6; ZERO_FCS_FDS, bit 13).
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "kit.h"
#include "x87-pointers.h"

/* FNSTENV, 32-bit protected-mode format */
typedef struct X87Env {
    uint32_t fcw, fsw, ftw, fip, fcs_opcode, fdp, fds;
} X87Env;

static volatile uint32_t one = 0x3f800000;      /* 1.0f */
static volatile uint32_t zero;
static const uint16_t cw_zm_unmasked = 0x037b;

static void report_env(unsigned base, const X87Env *e, const void *operand)
{
    kit_report(base + 0, e->fcs_opcode & 0xffff);
    kit_report(base + 1, e->fdp);
    kit_report(base + 2, e->fds & 0xffff);
    kit_report(base + 3, (uint32_t)operand);
}

uint32_t payload_main(void)
{
    X87Env e;
    uint32_t eax, ebx, ecx, edx;
    uint16_t cs, ds;

    asm volatile("fninit\n\t"
                 "flds %1\n\t"
                 "fnstenv %0\n\t"
                 "fninit"
                 : "=m"(e) : "m"(one));
    report_env(X87_OUT_PLAIN_FCS, &e, &one);

    asm volatile("fninit\n\t"
                 "fldcw %2\n\t"
                 "fld1\n\t"
                 "fidivl %1\n\t"
                 "fnstenv %0\n\t"
                 "fnclex\n\t"
                 "fninit"
                 : "=m"(e) : "m"(zero), "m"(cw_zm_unmasked));
    report_env(X87_OUT_FAULT_FCS, &e, &zero);
    kit_report(X87_OUT_FAULT_FSW, e.fsw & 0xffff);

    cpuid(7, 0, &eax, &ebx, &ecx, &edx);
    kit_report(X87_OUT_CPUID_7_0_EBX, ebx);
    asm volatile("mov %%cs, %0\n\tmov %%ds, %1" : "=r"(cs), "=r"(ds));
    kit_report(X87_OUT_CS, cs);
    kit_report(X87_OUT_DS, ds);
    return GUEST_PAYLOAD_STATUS_PASS;
}
