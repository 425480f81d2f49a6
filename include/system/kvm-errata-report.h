/*
 * qemu-resilient: what QEMU knows about why KVM failed to run a vCPU
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef SYSTEM_KVM_ERRATA_REPORT_H
#define SYSTEM_KVM_ERRATA_REPORT_H

/*
 * After upstream's message for KVM_EXIT_INTERNAL_ERROR, when the VM
 * stops: the known host errata that match, on stderr and as a QMP
 * event (target/i386/kvm/kvm-errata-kvm.c; a stub elsewhere).
 */
void kvm_errata_report_internal_error(CPUState *cpu, uint32_t suberror);

#endif
