/*
 * The guest's CPUID travels with its state, and is checked on arrival
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TARGET_I386_CPUID_GUARD_H
#define TARGET_I386_CPUID_GUARD_H

/* Room in the stream for more feature words than QEMU has today. */
#define X86_CPUID_GUARD_MAX_WORDS 64

/* What to do when the guest saw features this vCPU lacks. */
typedef enum X86CPUIDGuardCheck {
    X86_CPUID_GUARD_ENFORCE,    /* refuse the load (the default) */
    X86_CPUID_GUARD_WARN,
    X86_CPUID_GUARD_OFF,
} X86CPUIDGuardCheck;

/* In X86CPU as 'cpuid_guard'. */
typedef struct X86CPUIDGuard {
    bool dont_send;             /* !'x-migrate-cpuid' */
    int check;                  /* 'x-migrate-cpuid-check' */
    /* What the guest saw, as saved or as loaded. */
    uint32_t vendor[3];
    uint32_t signature;         /* CPUID[1].EAX: family, model, stepping */
    uint32_t nr_words;
    uint64_t keys[X86_CPUID_GUARD_MAX_WORDS];   /* which leaf or MSR */
    uint64_t words[X86_CPUID_GUARD_MAX_WORDS];
} X86CPUIDGuard;

void x86_cpuid_guard_class_init(ObjectClass *oc);
/* Register and unregister the vCPU's "resilient-cpuid" section. */
void x86_cpuid_guard_realize(X86CPU *cpu);
void x86_cpuid_guard_unrealize(X86CPU *cpu);

/* The section itself, for the fuzzer that feeds it mutated streams. */
extern const VMStateDescription vmstate_x86_cpuid_guard;

#endif
