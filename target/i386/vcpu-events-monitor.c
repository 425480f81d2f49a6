/*
 * vCPU event state from the monitor: QMP x-query-vcpu-events (HMP info
 * vcpu-events), x-inject-exception (HMP inject-exception) and
 * x-inject-triple-fault (HMP inject-triple-fault)
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-vcpu-events.h"
#include "qobject/qdict.h"
#include "monitor/hmp.h"
#include "monitor/hmp-target.h"
#include "monitor/monitor.h"
#include "hw/core/cpu.h"
#include "system/hw_accel.h"
#include "system/kvm.h"
#include "system/runstate.h"
#include "system/tcg.h"
#include "cpu.h"
#include "monitor-cpu.h"
#include "vcpu-events-monitor.h"
#include "trace.h"
#ifdef CONFIG_KVM
#include "kvm/kvm_i386.h"
#include "kvm/vcpu-events-kvm.h"
#endif

static void collect_exception(CPUX86State *env, X86VCPUEvents *ev)
{
    X86VCPUException *e;

    if ((!env->exception_pending && !env->exception_injected) ||
        env->exception_nr < 0) {
        return;
    }
    e = ev->exception = g_new0(X86VCPUException, 1);
    e->vector = env->exception_nr;
    e->pending = env->exception_pending;
    e->injected = env->exception_injected;
    e->has_error_code = env->has_error_code;
    e->error_code = env->error_code;
    e->has_payload = env->exception_has_payload;
    e->payload = env->exception_payload;
}

static void collect_smi(CPUState *cs, X86VCPUEvents *ev)
{
    CPUX86State *env = &X86_CPU(cs)->env;
    bool smm = env->hflags & HF_SMM_MASK;

    ev->smi = g_new0(X86VCPUSmi, 1);
    ev->smi->smm = smm;
    ev->smi->pending = cs->interrupt_request & CPU_INTERRUPT_SMI;
    ev->smi->inside_nmi = env->hflags2 & HF2_SMM_INSIDE_NMI_MASK;
    ev->smi->latched_init = smm &&
                            (cs->interrupt_request & CPU_INTERRUPT_INIT);
}

X86VCPUEvents *x86_vcpu_events_collect(CPUState *cs)
{
    X86VCPUEvents *ev = g_new0(X86VCPUEvents, 1);
    X86CPU *cpu = X86_CPU(cs);
    CPUX86State *env = &cpu->env;
    bool kvm = kvm_enabled();
    bool has_smm = true;

    cpu_synchronize_state(cs);
#ifdef CONFIG_KVM
    has_smm = !kvm || kvm_has_smm();
#endif
    ev->cpu_index = cs->cpu_index;
    ev->qom_path = object_get_canonical_path(OBJECT(cs));
    collect_exception(env, ev);

    ev->interrupt = g_new0(X86VCPUInterrupt, 1);
    if (kvm) {
        ev->interrupt->has_injected = true;
        ev->interrupt->injected = env->interrupt_injected >= 0;
        if (ev->interrupt->injected) {
            ev->interrupt->has_vector = ev->interrupt->has_soft = true;
            ev->interrupt->vector = env->interrupt_injected;
            ev->interrupt->soft = env->soft_interrupt;
        }
        ev->interrupt->shadow = env->interrupt_shadow != 0;
    } else {
        ev->interrupt->shadow = env->hflags & HF_INHIBIT_IRQ_MASK;
    }

    ev->nmi = g_new0(X86VCPUNmi, 1);
    ev->nmi->has_injected = kvm;
    ev->nmi->injected = kvm && env->nmi_injected;
    ev->nmi->pending = env->nmi_pending ||
                       (cs->interrupt_request & CPU_INTERRUPT_NMI);
    ev->nmi->masked = env->hflags2 & HF2_NMI_MASK;

    if (has_smm) {
        collect_smi(cs, ev);
    }
#ifdef CONFIG_KVM
    if (kvm) {
        ev->has_triple_fault_pending = kvm_vcpu_events_have_triple_fault();
        ev->triple_fault_pending = env->triple_fault_pending;
        ev->has_sipi_vector = true;
        ev->sipi_vector = env->sipi_vector;
    }
#endif
    return ev;
}

static void collect_on_cpu(CPUState *cs, run_on_cpu_data data)
{
    *(X86VCPUEvents **)data.host_ptr = x86_vcpu_events_collect(cs);
}

X86VCPUEventsList *qmp_x_query_vcpu_events(Error **errp)
{
    X86VCPUEventsList *head = NULL, **tail = &head;
    CPUState *cs;

    CPU_FOREACH(cs) {
        X86VCPUEvents *ev;

        run_on_cpu(cs, collect_on_cpu, RUN_ON_CPU_HOST_PTR(&ev));
        QAPI_LIST_APPEND(tail, ev);
    }
    return head;
}

typedef struct InjectRequest {
    int vector;
    bool has_error_code;
    uint32_t error_code;
    bool has_payload;
    uint64_t payload;
    Error *err;
} InjectRequest;

/* On the vCPU's thread, with its state synchronized. */
static void queue_exception(CPUState *cs, run_on_cpu_data data)
{
    InjectRequest *req = data.host_ptr;
    CPUX86State *env = &X86_CPU(cs)->env;

    cpu_synchronize_state(cs);
    if (env->exception_pending || env->exception_injected) {
        error_setg(&req->err, "vCPU %d already has exception %d (%s) "
                   "queued", cs->cpu_index, env->exception_nr,
                   x86_exception_mnemonic(env->exception_nr));
        return;
    }
    env->exception_nr = req->vector;
    env->exception_pending = 1;
    env->exception_injected = 0;
    env->has_error_code = req->has_error_code;
    env->error_code = req->has_error_code ? req->error_code : 0;
    env->exception_has_payload = req->has_payload;
    env->exception_payload = req->has_payload ? req->payload : 0;
    if (tcg_enabled()) {
        /* As with KVM, an exception wakes a halted vCPU. */
        cs->halted = 0;
    }
    trace_x86_vcpu_events_inject(cs->cpu_index, req->vector,
                                 req->has_error_code, req->error_code);
}

static bool check_exception(int64_t vector, bool has_error_code,
                            bool has_payload, Error **errp)
{
    if (!x86_exception_vector_valid(vector)) {
        error_setg(errp, "vector %" PRId64 " is not an exception: "
                   "exceptions are 0 to 31, and 2 is NMI", vector);
        if (vector == X86_EXCEPTION_NMI) {
            error_append_hint(errp, "Use inject-nmi for an NMI.\n");
        }
        return false;
    }
    if (has_error_code && !x86_exception_has_error_code(vector)) {
        error_setg(errp, "exception %" PRId64 " (%s) delivers no error code",
                   vector, x86_exception_mnemonic(vector));
        return false;
    }
    if (!has_error_code && x86_exception_has_error_code(vector)) {
        error_setg(errp, "exception %" PRId64 " (%s) needs an error code",
                   vector, x86_exception_mnemonic(vector));
        return false;
    }
    if (has_payload && vector != EXCP01_DB && vector != EXCP0E_PAGE) {
        error_setg(errp, "only #PF (CR2) and #DB (DR6) take a payload, "
                   "not exception %" PRId64 " (%s)", vector,
                   x86_exception_mnemonic(vector));
        return false;
    }
    return true;
}

void qmp_x_inject_exception(int64_t cpu_index, int64_t vector,
                            bool has_error_code, uint32_t error_code,
                            bool has_payload, uint64_t payload,
                            bool has_unchecked, bool unchecked, Error **errp)
{
    InjectRequest req = {
        .vector = vector,
        .has_error_code = has_error_code, .error_code = error_code,
        .has_payload = has_payload, .payload = payload,
    };
    CPUState *cs = monitor_cpu_by_index(cpu_index, errp);

    if (!cs) {
        return;
    }
    if (unchecked) {
        if (vector < 0 || vector > UINT8_MAX) {
            error_setg(errp, "vector %" PRId64 " is outside 0 to 255",
                       vector);
            return;
        }
    } else if (!check_exception(vector, has_error_code, has_payload, errp)) {
        return;
    }
    run_on_cpu(cs, queue_exception, RUN_ON_CPU_HOST_PTR(&req));
    error_propagate(errp, req.err);
}

/* On the vCPU's thread, with its state synchronized. */
static void queue_triple_fault(CPUState *cs, run_on_cpu_data data)
{
    cpu_synchronize_state(cs);
    X86_CPU(cs)->env.triple_fault_pending = 1;
    trace_x86_vcpu_events_triple_fault(cs->cpu_index, true);
}

void qmp_x_inject_triple_fault(int64_t cpu_index, Error **errp)
{
    CPUState *cs = monitor_cpu_by_index(cpu_index, errp);

    if (!cs) {
        return;
    }
#ifdef CONFIG_KVM
    if (kvm_enabled() && kvm_vcpu_events_have_triple_fault()) {
        run_on_cpu(cs, queue_triple_fault, RUN_ON_CPU_NULL);
        return;
    }
#endif
    /* What a triple fault does without KVM's event (tcg/excp_helper.c) */
    trace_x86_vcpu_events_triple_fault(cs->cpu_index, false);
    qemu_system_reset_request(SHUTDOWN_CAUSE_GUEST_RESET);
}

static const char *yes_no(bool b)
{
    return b ? "yes" : "no";
}

void x86_vcpu_events_format(GString *s, const X86VCPUEvents *ev)
{
    const X86VCPUException *e = ev->exception;
    const X86VCPUInterrupt *irq = ev->interrupt;

    g_string_append_printf(s, "vCPU %" PRId64 " (%s):\n", ev->cpu_index,
                           ev->qom_path);
    if (e) {
        g_string_append_printf(s, "  exception: %" PRId64 " (%s), %s",
                               e->vector, x86_exception_mnemonic(e->vector),
                               e->pending ? "pending" : "injected");
        if (e->has_error_code) {
            g_string_append_printf(s, ", error code 0x%" PRIx32,
                                   e->error_code);
        }
        if (e->has_payload) {
            g_string_append_printf(s, ", payload 0x%" PRIx64, e->payload);
        }
        g_string_append(s, "\n");
    } else {
        g_string_append(s, "  exception: none\n");
    }
    if (irq->has_vector) {
        g_string_append_printf(s, "  interrupt: 0x%" PRIx64 " injected%s",
                               irq->vector, irq->soft ? " (soft)" : "");
    } else if (irq->has_injected) {
        g_string_append(s, "  interrupt: none injected");
    } else {
        g_string_append(s, "  interrupt:");
    }
    g_string_append_printf(s, "%s STI/MOV SS shadow %s\n",
                           irq->has_injected ? "," : "", yes_no(irq->shadow));
    g_string_append_printf(s, "  nmi: pending %s, masked %s",
                           yes_no(ev->nmi->pending), yes_no(ev->nmi->masked));
    if (ev->nmi->has_injected) {
        g_string_append_printf(s, ", injected %s",
                               yes_no(ev->nmi->injected));
    }
    g_string_append(s, "\n");
    if (ev->smi) {
        g_string_append_printf(s, "  smi: smm %s, pending %s, inside nmi %s, "
                               "latched init %s\n", yes_no(ev->smi->smm),
                               yes_no(ev->smi->pending),
                               yes_no(ev->smi->inside_nmi),
                               yes_no(ev->smi->latched_init));
    }
    if (ev->has_triple_fault_pending) {
        g_string_append_printf(s, "  triple fault pending: %s\n",
                               yes_no(ev->triple_fault_pending));
    }
    if (ev->has_sipi_vector) {
        g_string_append_printf(s, "  sipi vector: 0x%" PRIx64 "\n",
                               ev->sipi_vector);
    }
}

void hmp_info_vcpu_events(Monitor *mon, const QDict *qdict)
{
    Error *err = NULL;
    X86VCPUEventsList *list = qmp_x_query_vcpu_events(&err);

    if (hmp_handle_error(mon, err)) {
        return;
    }
    for (X86VCPUEventsList *l = list; l; l = l->next) {
        g_autoptr(GString) s = g_string_new(NULL);

        x86_vcpu_events_format(s, l->value);
        monitor_puts(mon, s->str);
    }
    qapi_free_X86VCPUEventsList(list);
}

void hmp_inject_exception(Monitor *mon, const QDict *qdict)
{
    int64_t vector = qdict_get_int(qdict, "vector");
    bool has_arg1 = qdict_haskey(qdict, "arg1");
    bool has_arg2 = qdict_haskey(qdict, "arg2");
    uint64_t arg1 = qdict_get_try_int(qdict, "arg1", 0);
    uint64_t arg2 = qdict_get_try_int(qdict, "arg2", 0);
    Error *err = NULL;

    /* The error code comes first, for the vectors that have one. */
    if (x86_exception_has_error_code(vector)) {
        qmp_x_inject_exception(qdict_get_int(qdict, "cpu_index"), vector,
                               has_arg1, arg1, has_arg2, arg2, false, false,
                               &err);
    } else if (has_arg2) {
        error_setg(&err, "exception %" PRId64 " (%s) takes no error code: "
                   "give at most a payload", vector,
                   x86_exception_mnemonic(vector));
    } else {
        qmp_x_inject_exception(qdict_get_int(qdict, "cpu_index"), vector,
                               false, 0, has_arg1, arg1, false, false, &err);
    }
    hmp_handle_error(mon, err);
}

void hmp_inject_triple_fault(Monitor *mon, const QDict *qdict)
{
    Error *err = NULL;

    qmp_x_inject_triple_fault(qdict_get_int(qdict, "cpu_index"), &err);
    hmp_handle_error(mon, err);
}
