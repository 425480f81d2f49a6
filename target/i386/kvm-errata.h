/*
 * Known KVM host errata: what they are and how each is detected
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The table is kvm-errata-table.c; it reads the host through
 * host-facts.h only.  kvm-errata-monitor.c shows it (x-query-kvm-errata,
 * info kvm-errata, start-up warnings) and kvm/kvm-errata-kvm.c
 * uses it when KVM fails to run a vCPU.  See
 * docs/system/i386/kvm-errata.rst.
 */

#ifndef TARGET_I386_KVM_ERRATA_H
#define TARGET_I386_KVM_ERRATA_H

#include "host-facts.h"

typedef enum KvmErratumState {
    KVM_ERRATUM_UNKNOWN,
    KVM_ERRATUM_NOT_AFFECTED,
    KVM_ERRATUM_AFFECTED,
} KvmErratumState;

/* The failures of KVM_RUN an erratum is known to cause */
typedef enum KvmErratumFailure {
    KVM_ERRATUM_FAILS_ENTRY = 1 << 0,       /* KVM_EXIT_FAIL_ENTRY */
    KVM_ERRATUM_FAILS_EMULATION = 1 << 1,   /* internal error, emulation */
} KvmErratumFailure;

/* What about the configured VM makes an erratum matter to it */
typedef struct KvmErrataVm {
    bool uses_kvm;
    bool wants_tsx;             /* its CPU model asks for hle or rtm */
    bool sanitizes_vcpu_events; /* x-sanitize-vcpu-events */
    bool sets_x87_errata_bits;  /* x-x87-errata-bits */
    bool apic_ids_above_255;
    bool assigned_devices;      /* VFIO: guest memory types matter */
} KvmErrataVm;

typedef struct KvmHostErratum {
    const char *id;
    const char *title;
    const char *symptom;
    const char *advice;
    const char *const *references;
    unsigned failures;          /* KvmErratumFailure */
    /* Append what was read to @evidence, one string each. */
    KvmErratumState (*detect)(HostFacts *hf, GPtrArray *evidence);
    bool (*relevant)(const KvmErrataVm *vm);
} KvmHostErratum;

/* Where Linux says whether the TDP MMU is on */
#define KVM_TDP_MMU_PARAM "/sys/module/kvm/parameters/tdp_mmu"

extern const KvmHostErratum kvm_host_errata[];
extern const size_t kvm_host_errata_count;

const KvmHostErratum *kvm_host_erratum_find(const char *id);

#endif
