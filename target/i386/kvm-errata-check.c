/*
 * The known KVM host errata checked on this host, for this VM:
 * QMP x-query-kvm-errata, HMP info kvm-errata and start-up warnings
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-kvm-errata.h"
#include "monitor/hmp.h"
#include "monitor/hmp-target.h"
#include "monitor/monitor.h"
#include "hw/core/cpu.h"
#include "hw/i386/x86.h"
#include "hw/boards.h"
#include "system/kvm.h"
#include "cpu.h"
#include "kvm-errata.h"
#include "kvm-errata-check.h"
#include "trace.h"

static int is_assigned_device(Object *obj, void *opaque)
{
    return object_dynamic_cast(obj, "vfio-pci") != NULL;
}

/* What about this VM makes an erratum matter to it. */
static void describe_vm(KvmErrataVm *vm)
{
    Object *machine = qdev_get_machine();
    X86MachineState *x86ms = (X86MachineState *)
        object_dynamic_cast(machine, TYPE_X86_MACHINE);
    const uint64_t tsx = CPUID_7_0_EBX_HLE | CPUID_7_0_EBX_RTM;

    vm->uses_kvm = kvm_enabled();
    vm->sanitizes_vcpu_events = vm->sets_x87_errata_bits = true;
    if (first_cpu) {
        X86CPU *cpu = X86_CPU(first_cpu);

        /* Asked for by the model, whether or not the host has it. */
        vm->wants_tsx = (cpu->env.features[FEAT_7_0_EBX] |
                         cpu->filtered_features[FEAT_7_0_EBX]) & tsx;
        vm->sanitizes_vcpu_events = cpu->vcpu_events.sanitize;
        vm->sets_x87_errata_bits = cpu->x87_errata_bits;
    }
    vm->apic_ids_above_255 = x86ms && x86ms->apic_id_limit > 255;
    vm->assigned_devices = object_child_foreach_recursive(
        machine, is_assigned_device, NULL);
}

static KvmErrataHostFactsSource *host_facts_source;

void kvm_errata_set_host_facts_source(KvmErrataHostFactsSource *source)
{
    host_facts_source = source;
}

HostFacts *kvm_errata_host_facts_for_vm(void)
{
    return host_facts_source ? host_facts_source() : host_facts_new(NULL, NULL);
}

static KvmErratumStatus status_of(KvmErratumState state)
{
    switch (state) {
    case KVM_ERRATUM_AFFECTED:
        return KVM_ERRATUM_STATUS_AFFECTED;
    case KVM_ERRATUM_NOT_AFFECTED:
        return KVM_ERRATUM_STATUS_NOT_AFFECTED;
    default:
        return KVM_ERRATUM_STATUS_UNKNOWN;
    }
}

static KvmErratum *check_one(const KvmHostErratum *e, HostFacts *hf,
                             const KvmErrataVm *vm)
{
    KvmErratum *r = g_new0(KvmErratum, 1);
    g_autoptr(GPtrArray) evidence = g_ptr_array_new_with_free_func(g_free);
    strList **tail = &r->evidence;

    r->status = status_of(e->detect(hf, evidence));
    r->id = g_strdup(e->id);
    r->title = g_strdup(e->title);
    r->relevant = e->relevant(vm);
    for (guint i = 0; i < evidence->len; i++) {
        QAPI_LIST_APPEND(tail, g_strdup(g_ptr_array_index(evidence, i)));
    }
    r->symptom = g_strdup(e->symptom);
    r->advice = g_strdup(e->advice);
    tail = &r->references;
    for (const char *const *ref = e->references; *ref; ref++) {
        QAPI_LIST_APPEND(tail, g_strdup(*ref));
    }
    trace_kvm_errata_check(e->id, KvmErratumStatus_str(r->status),
                           r->relevant);
    return r;
}

KvmErratumList *kvm_errata_check(HostFacts *hf, unsigned failures)
{
    KvmErratumList *head = NULL, **tail = &head;
    KvmErrataVm vm = {};

    describe_vm(&vm);
    for (size_t i = 0; i < kvm_host_errata_count; i++) {
        const KvmHostErratum *e = &kvm_host_errata[i];
        KvmErratum *r;

        if (failures && !(e->failures & failures)) {
            continue;
        }
        r = check_one(e, hf, &vm);
        if (failures && r->status != KVM_ERRATUM_STATUS_AFFECTED) {
            qapi_free_KvmErratum(r);
            continue;
        }
        QAPI_LIST_APPEND(tail, r);
    }
    return head;
}

void kvm_errata_warn(void)
{
    g_autoptr(HostFacts) hf = kvm_errata_host_facts_for_vm();
    g_autoptr(KvmErratumList) list = kvm_errata_check(hf, 0);

    for (KvmErratumList *l = list; l; l = l->next) {
        KvmErratum *e = l->value;

        if (e->status == KVM_ERRATUM_STATUS_AFFECTED && e->relevant) {
            warn_report("KVM host erratum %s: %s; %s (info kvm-errata "
                        "for the evidence)", e->id, e->title, e->advice);
        }
    }
}

KvmErratumList *qmp_x_query_kvm_errata(Error **errp)
{
    g_autoptr(HostFacts) hf = kvm_errata_host_facts_for_vm();

    return kvm_errata_check(hf, 0);
}

static void print_list(Monitor *mon, const char *label, strList *list)
{
    monitor_printf(mon, "  %s:\n", label);
    for (; list; list = list->next) {
        monitor_printf(mon, "    %s\n", list->value);
    }
}

void hmp_info_kvm_errata(Monitor *mon, const QDict *qdict)
{
    g_autoptr(HostFacts) hf = kvm_errata_host_facts_for_vm();
    g_autoptr(KvmErratumList) list = kvm_errata_check(hf, 0);

    if (!kvm_enabled()) {
        monitor_printf(mon, "This VM does not use KVM: none of these "
                       "errata matters to it, and what only KVM can tell "
                       "is unknown.\n");
    }
    for (KvmErratumList *l = list; l; l = l->next) {
        KvmErratum *e = l->value;

        monitor_printf(mon, "%s: %s%s\n  %s\n", e->id,
                       KvmErratumStatus_str(e->status),
                       e->relevant ? ", matters to this VM" : "", e->title);
        print_list(mon, "evidence", e->evidence);
        monitor_printf(mon, "  symptom: %s\n  advice: %s\n", e->symptom,
                       e->advice);
        print_list(mon, "references", e->references);
    }
}
