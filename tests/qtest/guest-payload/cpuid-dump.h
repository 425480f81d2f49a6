/*
 * Guest payload cpuid-dump: what CPUID tells the guest
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef GUEST_PAYLOAD_CPUID_DUMP_H
#define GUEST_PAYLOAD_CPUID_DUMP_H

/* inputs[0]: how many leaves; inputs[1 + i]: leaf | subleaf << 32 */
#define CPUID_DUMP_IN_COUNT     0
#define CPUID_DUMP_IN_LEAF0     1
#define CPUID_DUMP_MAX_LEAVES   14
/* inputs[15]: non-zero to spin after reporting (checkpoint 1) */
#define CPUID_DUMP_IN_SPIN      15
#define CPUID_DUMP_CHECKPOINT_SPINNING 1

/* values[4 * i + reg]: EAX, EBX, ECX, EDX of leaf i */
#define CPUID_DUMP_OUT(i, reg)  (4 * (i) + (reg))
#define CPUID_DUMP_EAX          0
#define CPUID_DUMP_EBX          1
#define CPUID_DUMP_ECX          2
#define CPUID_DUMP_EDX          3

#define CPUID_DUMP_LEAF(leaf, subleaf) \
    ((uint64_t)(leaf) | (uint64_t)(subleaf) << 32)

#endif
