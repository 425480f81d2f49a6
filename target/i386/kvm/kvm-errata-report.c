/*
 * The report when KVM fails to run a vCPU: the known host errata that
 * match, the TDP MMU setting and the vCPU's event state
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <linux/kvm.h>
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qapi/qapi-events-kvm-errata.h"
#include "hw/core/cpu.h"
#include "cpu.h"
#include "kvm-errata-kvm.h"
#include "target/i386/kvm-errata.h"
#include "target/i386/kvm-errata-check.h"
#include "target/i386/vcpu-events-monitor.h"

/*
 * What QEMU knows about why KVM failed, after upstream's message: the
 * errata of this host that cause such failures, the TDP MMU setting
 * and the vCPU's event state, on stderr and as X_KVM_FAILURE.
 */
static void report_failure(CPUState *cs, KvmFailureKind kind, uint64_t code,
                           unsigned failures)
{
    g_autoptr(KvmErratumList) errata = NULL;
    g_autoptr(X86VCPUEvents) events = NULL;
    g_autoptr(GString) state = g_string_new(NULL);
    g_autoptr(HostFacts) hf = kvm_errata_host_facts();
    const char *tdp_mmu = host_facts_file(hf, KVM_TDP_MMU_PARAM);

    bql_lock();
    errata = kvm_errata_check(hf, failures);
    events = x86_vcpu_events_collect(cs);

    if (!errata) {
        error_report("no known KVM host erratum that causes this failure "
                     "matches this host (x-query-kvm-errata lists them)");
    } else {
        error_report("known KVM host errata that cause this failure and "
                     "match this host:");
    }
    for (KvmErratumList *l = errata; l; l = l->next) {
        KvmErratum *e = l->value;
        strList *fact;

        error_printf("  %s: %s\n    evidence:", e->id, e->title);
        for (fact = e->evidence; fact; fact = fact->next) {
            error_printf(" %s%s", fact->value, fact->next ? ";" : "\n");
        }
        error_printf("    advice: %s\n", e->advice);
    }
    error_printf("  kvm.tdp_mmu: %s\n", tdp_mmu ?: "unknown");
    x86_vcpu_events_format(state, events);
    error_printf("%s", state->str);

    qapi_event_send_x_kvm_failure(cs->cpu_index, kind, code, errata,
                                  tdp_mmu, events);
    bql_unlock();
}

void kvm_errata_report_entry_failure(CPUState *cs, uint64_t reason)
{
    report_failure(cs, KVM_FAILURE_KIND_ENTRY_FAILED, reason,
                   KVM_ERRATUM_FAILS_ENTRY);
}

void kvm_errata_report_internal_error(CPUState *cs, uint32_t suberror)
{
    report_failure(cs, KVM_FAILURE_KIND_INTERNAL_ERROR, suberror,
                   suberror == KVM_INTERNAL_ERROR_EMULATION ?
                   KVM_ERRATUM_FAILS_EMULATION :
                   KVM_ERRATUM_FAILS_ENTRY | KVM_ERRATUM_FAILS_EMULATION);
}
