/*
 * vCPU event state: made consistent before KVM sees it and on every load
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * KVM_SET_VCPU_EVENTS takes an exception's has_error_code as given, and
 * pre-CET Intel CPUs fail VM entry when it disagrees with the vector
 * ("KVM: entry failed, hardware error 0x80000021"); a vector above 31 or
 * equal to 2 is refused with EINVAL, which stops the VM with "Failed to
 * set vCPU events".  Such state comes from streams of older QEMUs (which
 * did not migrate the error code), from hand-made streams, or from bugs.
 * Repair it where the intent is clear, refuse it where it is not, and
 * do so on load, before the guest runs, and before every
 * KVM_SET_VCPU_EVENTS.
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "system/tcg.h"
#include "cpu.h"
#include "trace.h"

/* Kinds of repair, each reported once per vCPU. */
typedef enum VCPUEventsRepair {
    REPAIR_STALE_FLAGS,         /* pending/injected without a vector */
    REPAIR_PENDING_AND_INJECTED,
    REPAIR_NMI_AS_EXCEPTION,
    REPAIR_MISSING_ERROR_CODE,  /* the vector needs one, none is set */
    REPAIR_UNSENT_ERROR_CODE,   /* has one, the stream did not carry it */
    REPAIR_SPURIOUS_ERROR_CODE, /* the vector has none, one is set */
    REPAIR_SHADOW,
    REPAIR_BAD_VECTOR,          /* outside 0-31, about to go to KVM */
    REPAIR__MAX,
} VCPUEventsRepair;
QEMU_BUILD_BUG_ON(REPAIR__MAX != X86_VCPU_EVENTS_REPAIR_KINDS);

static const char *const mnemonics[X86_NR_EXCEPTIONS] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
    "#DF", NULL, "#TS", "#NP", "#SS", "#GP", "#PF", NULL,
    "#MF", "#AC", "#MC", "#XM", "#VE", "#CP", NULL, NULL,
    NULL, NULL, NULL, NULL, "#HV", "#VC", "#SX", NULL,
};

const char *x86_exception_mnemonic(int vector)
{
    if (vector < 0 || vector >= X86_NR_EXCEPTIONS) {
        return "no exception";
    }
    return mnemonics[vector] ?: "reserved";
}

static void report_repair(X86CPU *cpu, VCPUEventsRepair kind,
                          const char *context, const char *field,
                          int64_t old_value, int64_t new_value,
                          const char *why)
{
    CPUState *cs = CPU(cpu);
    CPUX86State *env = &cpu->env;

    trace_x86_vcpu_events_repair(cs->cpu_index, context, field, old_value,
                                 new_value);
    warn_report_once_cond(&cpu->vcpu_events.warned[kind],
                          "vCPU %d: %s: exception %d (%s): %s %" PRId64
                          " -> %" PRId64 ": %s", cs->cpu_index, context,
                          env->exception_nr,
                          x86_exception_mnemonic(env->exception_nr), field,
                          old_value, new_value, why);
}

static void clear_exception(CPUX86State *env)
{
    env->exception_pending = env->exception_injected = 0;
    env->exception_has_payload = 0;
    env->has_error_code = 0;
    env->exception_nr = -1;
}

static void set_error_code(X86CPU *cpu, unsigned kind, const char *context,
                           bool has, const char *why)
{
    CPUX86State *env = &cpu->env;

    if (env->has_error_code != has) {
        report_repair(cpu, kind, context, "has-error-code",
                      env->has_error_code, has, why);
    } else {
        report_repair(cpu, kind, context, "error-code", env->error_code, 0,
                      why);
    }
    env->has_error_code = has;
    env->error_code = 0;
}

bool x86_vcpu_events_sanitize(X86CPU *cpu, X86VCPUEventsUse use,
                              Error **errp)
{
    const char *context = use == X86_VCPU_EVENTS_LOADED ?
                          "incoming migration" : "KVM_SET_VCPU_EVENTS";
    CPUX86State *env = &cpu->env;
    int vector = env->exception_nr;
    bool queued = env->exception_pending || env->exception_injected;

    if (!cpu->vcpu_events.sanitize) {
        return true;
    }
    if (env->interrupt_shadow & ~(X86_INTERRUPT_SHADOW_MOV_SS |
                                  X86_INTERRUPT_SHADOW_STI)) {
        report_repair(cpu, REPAIR_SHADOW, context, "interrupt-shadow",
                      env->interrupt_shadow,
                      env->interrupt_shadow & 3, "undefined bits");
        env->interrupt_shadow &= 3;
    }
    if (!queued) {
        return true;
    }
    if (vector == -1) {
        /* The flags outlived the exception: there is nothing to deliver. */
        report_repair(cpu, REPAIR_STALE_FLAGS, context, "injected",
                      env->exception_injected, 0,
                      "flags set without an exception vector");
        clear_exception(env);
        return true;
    }
    if (vector < 0 || vector >= X86_NR_EXCEPTIONS) {
        bool refuse = use == X86_VCPU_EVENTS_LOADED;

        if (refuse) {
            error_setg(errp, "vCPU %d: %s: exception vector %d is outside "
                       "0-31; refusing this vCPU state",
                       CPU(cpu)->cpu_index, context, vector);
        } else {
            /* Failing KVM_SET_VCPU_EVENTS would end QEMU: drop it. */
            report_repair(cpu, REPAIR_BAD_VECTOR, context, "injected",
                          env->exception_injected, 0,
                          "not an exception vector; dropped");
        }
        /* Either way nothing must try to deliver it. */
        clear_exception(env);
        return !refuse;
    }
    if (vector == X86_EXCEPTION_NMI) {
        /* Only one way to mean it: an NMI for the vCPU, so keep it so. */
        report_repair(cpu, REPAIR_NMI_AS_EXCEPTION, context, "nmi-pending",
                      env->nmi_pending, 1,
                      "vector 2 is NMI, not an exception; queued as an NMI");
        clear_exception(env);
        if (tcg_enabled()) {
            /* TCG keeps a pending NMI as an interrupt request. */
            cpu_interrupt(CPU(cpu), CPU_INTERRUPT_NMI);
        } else if (!env->nmi_injected) {
            env->nmi_pending = 1;
        }
        return true;
    }
    if (env->exception_pending && env->exception_injected) {
        /* What KVM itself makes of it: not yet delivered. */
        report_repair(cpu, REPAIR_PENDING_AND_INJECTED, context, "injected",
                      1, 0, "an exception cannot be both pending and "
                      "injected; kept as pending");
        env->exception_injected = 0;
    }
    if (x86_exception_has_error_code(vector)) {
        if (!env->has_error_code) {
            set_error_code(cpu, REPAIR_MISSING_ERROR_CODE, context, true,
                           "this exception delivers an error code; "
                           "delivering 0");
        } else if (use == X86_VCPU_EVENTS_LOADED &&
                   !cpu->vcpu_events.error_code_loaded) {
            set_error_code(cpu, REPAIR_UNSENT_ERROR_CODE, context, true,
                           "the stream did not carry the error code "
                           "(machine type before 10.2, or "
                           "x-migrate-error-code=off); delivering 0");
        }
    } else if (env->has_error_code) {
        set_error_code(cpu, REPAIR_SPURIOUS_ERROR_CODE, context, false,
                       "this exception delivers no error code; dropped");
    }
    return true;
}

void x86_vcpu_events_apply_payload(X86CPU *cpu)
{
    CPUX86State *env = &cpu->env;

    if (!env->exception_has_payload) {
        return;
    }
    if (env->exception_nr == EXCP01_DB) {
        env->dr[6] = env->exception_payload;
    } else if (env->exception_nr == EXCP0E_PAGE) {
        env->cr[2] = env->exception_payload;
    }
    env->exception_has_payload = 0;
}
