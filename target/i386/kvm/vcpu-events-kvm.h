/*
 * vCPU event state and KVM: sanitized before KVM_SET_VCPU_EVENTS, plus
 * the interrupt shadow upstream does not transfer
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TARGET_I386_KVM_VCPU_EVENTS_KVM_H
#define TARGET_I386_KVM_VCPU_EVENTS_KVM_H

#include "cpu-qom.h"
#include <linux/kvm.h>

/* Before KVM_SET_VCPU_EVENTS: 0, or -EINVAL with the reason reported. */
int kvm_vcpu_events_prepare_put(X86CPU *cpu);

void kvm_vcpu_events_put_shadow(X86CPU *cpu, struct kvm_vcpu_events *events);
void kvm_vcpu_events_get_shadow(X86CPU *cpu,
                                const struct kvm_vcpu_events *events);

/* Whether KVM reports these parts of the state (x-query-vcpu-events). */
bool kvm_vcpu_events_have_triple_fault(void);

#endif
