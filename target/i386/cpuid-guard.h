/*
 * The guest's CPUID travels with its state, and is checked on arrival
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TARGET_I386_CPUID_GUARD_H
#define TARGET_I386_CPUID_GUARD_H

#include "cpu-qom.h"
#include "qapi/qapi-types-cpuid-guard.h"

/* Room in the stream for more feature words than QEMU has today. */
#define X86_CPUID_GUARD_MAX_WORDS 64

/* In X86CPU as 'cpuid_guard'. */
typedef struct X86CPUIDGuard {
    bool send;                  /* 'x-migrate-cpuid' */
    X86CPUIDGuardCheck check;   /* 'x-migrate-cpuid-check' */
    /* What the guest saw, as saved or as loaded. */
    uint32_t vendor[3];
    uint32_t signature;         /* CPUID[1].EAX: family, model, stepping */
    uint32_t nr_words;
    uint64_t keys[X86_CPUID_GUARD_MAX_WORDS];   /* which leaf or MSR */
    uint64_t words[X86_CPUID_GUARD_MAX_WORDS];
} X86CPUIDGuard;

/* x-migrate-cpuid-check, in x86_cpu_properties */
extern const PropertyInfo qdev_prop_x86_cpuid_guard_check;
#define DEFINE_PROP_X86_CPUID_GUARD_CHECK(_n, _s, _f, _d) \
    DEFINE_PROP_SIGNED(_n, _s, _f, _d, qdev_prop_x86_cpuid_guard_check, \
                       X86CPUIDGuardCheck)

/* Register and unregister the vCPU's "resilient-cpuid" section. */
void x86_cpuid_guard_realize(X86CPU *cpu);
void x86_cpuid_guard_unrealize(X86CPU *cpu);

/* The section itself, for the fuzzer that feeds it mutated streams. */
extern const VMStateDescription vmstate_x86_cpuid_guard;

#endif
