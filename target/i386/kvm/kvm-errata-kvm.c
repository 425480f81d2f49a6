/*
 * KVM's side of the host errata: the facts only KVM can tell (its
 * CPUID, its feature MSRs, the probe VM of kvm-cpuid-probe.c), the
 * start-up check, and the report when KVM fails to run a vCPU
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <linux/kvm.h>
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qapi/error.h"
#include "qapi/qapi-events-kvm-errata.h"
#include "qom/object.h"
#include "hw/core/cpu.h"
#include "system/kvm.h"
#include "system/system.h"
#include "cpu.h"
#include "kvm_i386.h"
#include "kvm-errata-kvm.h"
#include "kvm-cpuid-probe.h"
#include "target/i386/kvm-errata.h"
#include "target/i386/kvm-errata-check.h"
#include "target/i386/vcpu-events-monitor.h"
#include "trace.h"

/* The KVM accelerator is a singleton: its errata settings live here. */
static bool errata_warnings = true;
static char *host_facts_dir;

static bool supported_cpuid(uint32_t leaf, uint32_t subleaf,
                            uint32_t regs[4])
{
    static const int reg[4] = { R_EAX, R_EBX, R_ECX, R_EDX };

    for (int i = 0; i < 4; i++) {
        regs[i] = kvm_arch_get_supported_cpuid(kvm_state, leaf, subleaf,
                                               reg[i]);
    }
    return true;
}

static bool feature_msr(uint32_t index, uint64_t *value)
{
    *value = kvm_arch_get_supported_msr_feature(kvm_state, index);
    return *value != 0;
}

static const HostFactsKvm host_facts_kvm = {
    .supported_cpuid = supported_cpuid,
    .feature_msr = feature_msr,
    .cpuid_probe = kvm_cpuid_probe,
};

HostFacts *kvm_errata_host_facts(void)
{
    return host_facts_new(host_facts_dir, &host_facts_kvm);
}

static void warn_at_machine_done(Notifier *n, void *opaque)
{
    if (errata_warnings) {
        kvm_errata_warn();
    }
}

static Notifier machine_done = { .notify = warn_at_machine_done };

void kvm_errata_kvm_init(void)
{
    qemu_add_machine_init_done_notifier(&machine_done);
}

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

static bool get_errata_warnings(Object *obj, Error **errp)
{
    return errata_warnings;
}

static void set_errata_warnings(Object *obj, bool value, Error **errp)
{
    errata_warnings = value;
}

static char *get_host_facts(Object *obj, Error **errp)
{
    return g_strdup(host_facts_dir);
}

static void set_host_facts(Object *obj, const char *value, Error **errp)
{
    if (!g_file_test(value, G_FILE_TEST_IS_DIR)) {
        error_setg(errp, "x-host-facts: '%s' is not a directory", value);
        return;
    }
    g_free(host_facts_dir);
    host_facts_dir = g_strdup(value);
}

void kvm_errata_accel_class_init(ObjectClass *oc)
{
    object_class_property_add_bool(oc, "x-errata-warnings",
                                   get_errata_warnings, set_errata_warnings);
    object_class_property_set_description(oc, "x-errata-warnings",
        "Warn at start-up about known KVM host errata that this host has "
        "and that matter to this VM (default: on)");
    object_class_property_add_str(oc, "x-host-facts", get_host_facts,
                                  set_host_facts);
    object_class_property_set_description(oc, "x-host-facts",
        "For testing: read the host facts the errata checks use from "
        "this fixture directory instead of the host");
}
