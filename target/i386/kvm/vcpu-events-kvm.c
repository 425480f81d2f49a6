/*
 * vCPU event state and KVM: sanitized before KVM_SET_VCPU_EVENTS, plus
 * the interrupt shadow upstream does not transfer
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "system/kvm.h"
#include "cpu.h"
#include "kvm_i386.h"
#include "vcpu-events-kvm.h"

int kvm_vcpu_events_prepare_put(X86CPU *cpu)
{
    CPUX86State *env = &cpu->env;
    Error *err = NULL;

    if (!x86_vcpu_events_sanitize(cpu, X86_VCPU_EVENTS_TO_KVM, &err)) {
        error_report_err(err);
        return -EINVAL;
    }
    /*
     * Without KVM_CAP_EXCEPTION_PAYLOAD, KVM knows no pending exception:
     * upstream would drop it.  Deliver it as injected, with its payload
     * in place, as cpu_pre_save() does for a stream.
     */
    if (env->exception_pending && !kvm_has_exception_payload()) {
        x86_vcpu_events_apply_payload(cpu);
        env->exception_pending = 0;
        env->exception_injected = 1;
    }
    return 0;
}

/*
 * KVM takes the shadow since Linux 2.6.33, which QEMU needs long since
 * (not every KVM reports KVM_CAP_INTR_SHADOW, though all do so in
 * KVM_GET_VCPU_EVENTS's flags).
 */
void kvm_vcpu_events_put_shadow(X86CPU *cpu, struct kvm_vcpu_events *events)
{
    events->flags |= KVM_VCPUEVENT_VALID_SHADOW;
    events->interrupt.shadow = cpu->env.interrupt_shadow;
}

void kvm_vcpu_events_get_shadow(X86CPU *cpu,
                                const struct kvm_vcpu_events *events)
{
    cpu->env.interrupt_shadow = (events->flags & KVM_VCPUEVENT_VALID_SHADOW) ?
                                events->interrupt.shadow : 0;
}

bool kvm_vcpu_events_have_triple_fault(void)
{
    return kvm_check_extension(kvm_state,
                               KVM_CAP_X86_TRIPLE_FAULT_EVENT) > 0;
}
