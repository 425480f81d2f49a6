/*
 * vCPU event state: made consistent before KVM sees it and on every load
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TARGET_I386_VCPU_EVENTS_H
#define TARGET_I386_VCPU_EVENTS_H

#include "cpu-qom.h"
#include "exception-error-code.h"

/* env->interrupt_shadow: the KVM_X86_SHADOW_INT_* bits */
#define X86_INTERRUPT_SHADOW_MOV_SS     0x01
#define X86_INTERRUPT_SHADOW_STI        0x02

/* How many kinds of repair vcpu-events.c reports, each once per vCPU */
#define X86_VCPU_EVENTS_REPAIR_KINDS    8

/* In X86CPU as 'vcpu_events'. */
typedef struct X86VCPUEventsCheck {
    bool send_shadow;           /* 'x-migrate-interrupt-shadow' */
    bool sanitize;              /* 'x-sanitize-vcpu-events' */
    bool error_code_loaded;     /* the stream carried "cpu/error_code" */
    bool warned[X86_VCPU_EVENTS_REPAIR_KINDS]; /* reported, by kind */
} X86VCPUEventsCheck;

extern const VMStateDescription vmstate_x86_interrupt_shadow;

/* Where the state is about to be used. */
typedef enum X86VCPUEventsUse {
    X86_VCPU_EVENTS_LOADED,     /* just loaded from a migration stream */
    X86_VCPU_EVENTS_TO_KVM,     /* about to go to KVM_SET_VCPU_EVENTS */
} X86VCPUEventsUse;

/*
 * Make the exception state architecturally consistent.  Repairs are
 * reported once per vCPU and kind; state that cannot be repaired is
 * refused.
 */
bool x86_vcpu_events_sanitize(X86CPU *cpu, X86VCPUEventsUse use,
                              Error **errp);

/* Hooks of machine.c's vmstate_x86_cpu and its "cpu/error_code". */
int x86_vcpu_events_post_load(X86CPU *cpu);
void x86_vcpu_events_error_code_loaded(X86CPU *cpu);

/* Put the exception's payload where it goes: CR2 for #PF, DR6 for #DB. */
void x86_vcpu_events_apply_payload(X86CPU *cpu);

/* TCG: deliver an exception queued in the event state (tcg-cpu.c). */
void x86_vcpu_events_tcg_deliver(X86CPU *cpu);

/* "#GP" for 13; "reserved" or "no exception" for the others. */
const char *x86_exception_mnemonic(int vector);

#endif
