/*
 * TCG: deliver an exception queued in the vCPU event state, as KVM does
 * with what KVM_SET_VCPU_EVENTS gives it
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "cpu.h"
#include "trace.h"

void x86_vcpu_events_tcg_deliver(X86CPU *cpu)
{
    CPUState *cs = CPU(cpu);
    CPUX86State *env = &cpu->env;

    if (!env->exception_pending && !env->exception_injected) {
        return;
    }
    x86_vcpu_events_apply_payload(cpu);
    trace_x86_vcpu_events_tcg_deliver(cs->cpu_index, env->exception_nr,
                                      env->error_code);
    /* cpu_exec() delivers it before the next instruction. */
    cs->exception_index = env->exception_nr;
    env->error_code = env->has_error_code ? env->error_code : 0;
    env->exception_is_int = 0;
    env->exception_next_eip = env->eip;
    env->exception_nr = -1;
    env->exception_pending = env->exception_injected = 0;
    env->has_error_code = 0;
    env->exception_has_payload = 0;
}
