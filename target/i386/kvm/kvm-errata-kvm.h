/*
 * KVM's side of the host errata, as kvm.c calls it: the facts only KVM
 * can tell and the start-up check (kvm-errata-kvm.c), and the report
 * when KVM fails to run a vCPU (kvm-errata-report.c)
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TARGET_I386_KVM_ERRATA_KVM_H
#define TARGET_I386_KVM_ERRATA_KVM_H

#include "target/i386/host-facts.h"

/* -accel kvm,x-errata-warnings=on|off,x-host-facts=DIR */
void kvm_errata_accel_class_init(ObjectClass *oc);

/* From kvm_arch_init(): warn about errata once the machine is built. */
void kvm_errata_kvm_init(void);

/* This host's facts, KVM's included (or the x-host-facts fixture). */
HostFacts *kvm_errata_host_facts(void);

/*
 * After upstream's message for KVM_EXIT_FAIL_ENTRY, and for
 * KVM_EXIT_INTERNAL_ERROR (kvm_arch_report_internal_error()): the known
 * host errata that match, on stderr and as a QMP event.
 */
void kvm_errata_report_entry_failure(CPUState *cs, uint64_t reason);
void kvm_errata_report_internal_error(CPUState *cs, uint32_t suberror);

#endif
