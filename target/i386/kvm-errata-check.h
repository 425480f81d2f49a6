/*
 * The known KVM host errata checked on this host, for this VM
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TARGET_I386_KVM_ERRATA_CHECK_H
#define TARGET_I386_KVM_ERRATA_CHECK_H

#include "qapi/qapi-types-kvm-errata.h"

#include "host-facts.h"

/*
 * Where an accelerator's own facts come from: KVM's layer says so when
 * it starts (kvm-errata-kvm.c), so that this layer never calls up into it.
 */
typedef HostFacts *KvmErrataHostFactsSource(void);
void kvm_errata_set_host_facts_source(KvmErrataHostFactsSource *source);

/* The facts of the host this VM runs on, KVM's included if it uses KVM */
HostFacts *kvm_errata_host_facts_for_vm(void);

/*
 * Every erratum (@failures 0), or only those the host of @hf has that
 * cause one of the KvmErratumFailure kinds in @failures.
 */
KvmErratumList *kvm_errata_check(HostFacts *hf, unsigned failures);

/* One warning per erratum this host has that matters to this VM. */
void kvm_errata_warn(void);

#endif
