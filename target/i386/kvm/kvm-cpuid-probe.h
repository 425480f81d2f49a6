/*
 * The CPUID probe VM, its answer kept per host boot
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TARGET_I386_KVM_CPUID_PROBE_H
#define TARGET_I386_KVM_CPUID_PROBE_H

#include "target/i386/host-facts.h"

/*
 * Does a VM on this KVM see the CPUID entries set with KVM_SET_CPUID2?
 * @detail says what the probe saw.  Asked of KVM once per host boot and
 * configuration, then of the runtime directory.
 */
HostFactsProbe kvm_cpuid_probe(char **detail);

#endif
