/*
 * The x87 CPUID errata bits, FDP_EXCPTN_ONLY and ZERO_FCS_FDS
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * CPUID[7,0].EBX bits 6 and 13 are set when the x87 data pointer is
 * updated only on unmasked exceptions and when FCS/FDS are saved as
 * zero.  Clearing them tells a guest nothing; KVM's errata document
 * recommends always setting them (a host that has them set cannot
 * provide the old behaviour to any guest).  qemu-resilient sets both on
 * its own machine types ('x-x87-errata-bits'), and TCG behaves as they say.
 */

#ifndef TARGET_I386_X87_ERRATA_H
#define TARGET_I386_X87_ERRATA_H

#include "cpu-qom.h"

#define X87_ERRATA_BITS \
    (CPUID_7_0_EBX_FDP_EXCPTN_ONLY | CPUID_7_0_EBX_ZERO_FCS_FDS)

/* After the features are filtered: the bits need no host support. */
void x86_x87_errata_realize(X86CPU *cpu);

/* The FCS and FDS values FNSTENV/FNSAVE store: tcg/x87-errata-helper.c */
uint32_t x87_saved_fcs(struct CPUArchState *env);
uint32_t x87_saved_fds(struct CPUArchState *env);

#endif
