/*
 * Guest payload x87-pointers: the x87 pointers FNSTENV stores
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef GUEST_PAYLOAD_X87_POINTERS_H
#define GUEST_PAYLOAD_X87_POINTERS_H

/* after FLD of a memory operand, no exception */
#define X87_OUT_PLAIN_FCS       0
#define X87_OUT_PLAIN_FDP       1
#define X87_OUT_PLAIN_FDS       2
#define X87_OUT_PLAIN_OPERAND   3   /* the operand's address */
/* after FIDIV by a zero memory operand, #Z unmasked (left pending) */
#define X87_OUT_FAULT_FCS       4
#define X87_OUT_FAULT_FDP       5
#define X87_OUT_FAULT_FDS       6
#define X87_OUT_FAULT_OPERAND   7
#define X87_OUT_FAULT_FSW       8
#define X87_OUT_CPUID_7_0_EBX   9
#define X87_OUT_CS              10
#define X87_OUT_DS              11

#define X87_CPUID_FDP_EXCPTN_ONLY (1u << 6)
#define X87_CPUID_ZERO_FCS_FDS    (1u << 13)
#define X87_FSW_ZE                (1u << 2)

#endif
