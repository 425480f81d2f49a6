/*
 * Machine checks and memory errors injected from the monitor:
 * QMP x-inject-mce (HMP mce) and x-inject-memory-error (HMP
 * inject-memory-error)
 *
 * cpu_x86_inject_mce() reports refusals with monitor_printf(), which QMP
 * cannot see, and HMP's mce silently ignored an unknown vCPU.  Check
 * everything here first, with errors a QMP client gets, then inject.
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/syscall.h>
#include "qapi/error.h"
#include "qapi/qapi-commands-memory-error.h"
#include "qapi/qapi-visit-memory-error.h"
#include "qobject/qdict.h"
#include "qom/object.h"
#include "monitor/hmp.h"
#include "monitor/hmp-target.h"
#include "exec/target_page.h"
#include "hw/core/cpu.h"
#include "monitor/monitor.h"
#include "system/hw_accel.h"
#include "system/kvm.h"
#include "system/memory.h"
#include "system/runstate.h"
#include "cpu.h"
#include "monitor-cpu.h"
#include "memory-error.h"
#include "memory-poison.h"

static bool mce_inject_check(X86CPU *cpu, int64_t bank, uint64_t status,
                             bool broadcast, Error **errp)
{
    CPUState *cs = CPU(cpu);
    CPUX86State *env = &cpu->env;
    unsigned nbanks = env->mcg_cap & MCG_CAP_BANKS_MASK;

    if (!env->mcg_cap) {
        error_setg(errp, "vCPU %d has no machine-check architecture",
                   cs->cpu_index);
        return false;
    }
    if (bank < 0 || bank >= nbanks) {
        error_setg(errp, "vCPU %d has MCA banks 0 to %u, not %" PRId64,
                   cs->cpu_index, nbanks - 1, bank);
        return false;
    }
    if (!(status & MCI_STATUS_VAL)) {
        error_setg(errp, "status 0x%" PRIx64 " lacks VAL (bit 63)", status);
        return false;
    }
    if (broadcast && !cpu_x86_support_mca_broadcast(env)) {
        error_setg(errp, "vCPU %d does not support MCA broadcast",
                   cs->cpu_index);
        return false;
    }
    if (status & MCI_STATUS_UC) {
        cpu_synchronize_state(cs);
        if ((env->mcg_cap & MCG_CTL_P) && env->mcg_ctl != ~(uint64_t)0) {
            error_setg(errp, "vCPU %d: uncorrected error reporting is "
                       "disabled (MCG_CTL 0x%" PRIx64 ")", cs->cpu_index,
                       env->mcg_ctl);
            return false;
        }
        if (env->mce_banks[4 * bank] != ~(uint64_t)0) {
            error_setg(errp, "vCPU %d: uncorrected error reporting is "
                       "disabled for bank %" PRId64 " (MC%" PRId64 "_CTL 0x%"
                       PRIx64 ")", cs->cpu_index, bank, bank,
                       env->mce_banks[4 * bank]);
            return false;
        }
    }
    return true;
}

void qmp_x_inject_mce(int64_t cpu_index, int64_t bank, uint64_t status,
                      uint64_t mcg_status, uint64_t addr, uint64_t misc,
                      bool has_broadcast, bool broadcast, Error **errp)
{
    CPUState *cs = monitor_cpu_by_index(cpu_index, errp);
    X86CPU *cpu;
    int flags = MCE_INJECT_UNCOND_AO;

    if (!cs) {
        return;
    }
    cpu = X86_CPU(cs);
    if (!mce_inject_check(cpu, bank, status, has_broadcast && broadcast,
                          errp)) {
        return;
    }
    if (has_broadcast && broadcast) {
        flags |= MCE_INJECT_BROADCAST;
    }
    cpu_x86_inject_mce(NULL, cpu, bank, status, mcg_status, addr, misc,
                       flags);
}

/* The host address of the page of guest RAM that holds @gpa. */
static void *guest_ram_page(uint64_t gpa, Error **errp)
{
    MemoryRegionSection ram;
    void *hva;

    if (!x86_guest_ram_page(gpa, &ram, errp)) {
        return NULL;
    }
    /* A guest's own memory errors are in the RAM it writes. */
    if (memory_region_is_rom(ram.mr)) {
        error_setg(errp, "0x%" PRIx64 " is in %s, not guest RAM", gpa,
                   memory_region_name(ram.mr));
        memory_region_unref(ram.mr);
        return NULL;
    }
    hva = qemu_map_ram_ptr(ram.mr->ram_block, ram.offset_within_region);
    memory_region_unref(ram.mr);
    return (void *)((uintptr_t)hva & qemu_real_host_page_mask());
}

/* Pages of the SIGBUSes raised here and not handled yet; under the BQL */
static GHashTable *simulated_pages;

bool x86_memory_error_simulated(void *host_addr)
{
    void *page = (void *)((uintptr_t)host_addr & qemu_real_host_page_mask());

    return simulated_pages && g_hash_table_remove(simulated_pages, page);
}

typedef struct SigbusParams {
    void *page;
    bool ar;
    int err;
} SigbusParams;

/*
 * What the host kernel does for a poisoned page: SIGBUS at its address,
 * action optional to the process's early-kill thread (QEMU's main
 * thread, see qemu_init_sigbus()), action required to the thread that
 * touched it.  A thread may queue a signal with a kernel si_code only to
 * itself, so this runs in the receiving thread.
 */
static void raise_sigbus_here(CPUState *unused, run_on_cpu_data data)
{
    SigbusParams *p = data.host_ptr;
    siginfo_t si = {
        .si_signo = SIGBUS,
        .si_code = p->ar ? BUS_MCEERR_AR : BUS_MCEERR_AO,
    };

    si.si_addr = p->page;
    si.si_addr_lsb = ctz64(qemu_real_host_page_size());
    p->err = syscall(SYS_rt_tgsigqueueinfo, getpid(), qemu_get_thread_id(),
                     SIGBUS, &si) < 0 ? errno : 0;
}

static void raise_memory_error_sigbus(void *page, bool ar, CPUState *cs,
                                      Error **errp)
{
    SigbusParams p = { .page = page, .ar = ar };

    if (!simulated_pages) {
        simulated_pages = g_hash_table_new(NULL, NULL);
    }
    g_hash_table_add(simulated_pages, page);
    if (ar) {
        run_on_cpu(cs, raise_sigbus_here, RUN_ON_CPU_HOST_PTR(&p));
    } else {
        raise_sigbus_here(NULL, RUN_ON_CPU_HOST_PTR(&p));
    }
    if (p.err) {
        g_hash_table_remove(simulated_pages, page);
        error_setg_errno(errp, p.err, "cannot raise SIGBUS");
    }
}

/*
 * Whether an action-required error raised now can reach @cpu.  Under KVM
 * it is the host's SIGBUS, and kvm_arch_on_sigbus_vcpu() ends QEMU for
 * one the vCPU cannot take; the vCPU takes it when it next runs, and a
 * second SIGBUS before that ends QEMU too.
 */
static bool memory_error_can_raise(X86CPU *cpu, Error **errp)
{
    CPUX86State *env = &cpu->env;
    int index = CPU(cpu)->cpu_index;

    if (!env->mcg_cap) {
        error_setg(errp, "vCPU %d has no machine-check architecture", index);
        return false;
    }
    if (!kvm_enabled()) {
        return true;
    }
    /* As kvm_arch_on_sigbus_vcpu() decides */
    if (!(env->mcg_cap & MCG_SER_P) &&
        !(IS_AMD_CPU(env) && object_property_get_bool(OBJECT(cpu),
                                                      "x-amd-mca-recovery",
                                                      NULL))) {
        error_setg(errp, "vCPU %d cannot recover from an action-required "
                   "memory error (no MCG_CAP.SER_P%s): the host's SIGBUS "
                   "would end QEMU", index,
                   IS_AMD_CPU(env) ? ", no x-amd-mca-recovery" : "");
        return false;
    }
    if (!runstate_is_running()) {
        error_setg(errp, "the VM is not running: vCPU %d would take the "
                   "error only when it runs, and a second one before that "
                   "would end QEMU; resume the VM first", index);
        return false;
    }
    return true;
}

void qmp_x_inject_memory_error(uint64_t gpa, MemoryErrorKind action,
                               bool has_immediate, bool immediate,
                               bool has_cpu_index, int64_t cpu_index,
                               Error **errp)
{
    bool ar = action == MEMORY_ERROR_KIND_REQUIRED;
    CPUState *cs = first_cpu;
    void *page;

    if (immediate && !ar) {
        error_setg(errp, "'immediate' goes with action 'required': an "
                   "action-optional error is always reported at once");
        return;
    }
    if (has_cpu_index) {
        if (!immediate) {
            error_setg(errp, "'cpu-index' goes with 'immediate': an error "
                       "raised on access goes to the vCPU that makes it");
            return;
        }
        cs = monitor_cpu_by_index(cpu_index, errp);
        if (!cs) {
            return;
        }
    }
    if (ar && immediate && !memory_error_can_raise(X86_CPU(cs), errp)) {
        return;
    }
    if (ar && !immediate && x86_memory_poisoned(gpa)) {
        error_setg(errp, "the page at 0x%" PRIx64 " is already poisoned",
                   gpa & TARGET_PAGE_MASK);
        return;
    }
    page = guest_ram_page(gpa, errp);
    if (!page) {
        return;
    }
    if (ar && !immediate) {
        /* From now on the vCPU that touches the page gets #MC. */
        x86_memory_poison_page(gpa, errp);
        return;
    }

    if (kvm_enabled()) {
        raise_memory_error_sigbus(page, ar, cs, errp);
        return;
    }
    /*
     * No SIGBUS path without KVM: inject what it would, and record the
     * page as KVM's SIGBUS path does.
     */
    x86_memory_poison_record(gpa, ar, false);
    x86_cpu_inject_memory_error(X86_CPU(cs), gpa & TARGET_PAGE_MASK, ar);
}

MemoryErrorPageList *qmp_x_query_memory_errors(Error **errp)
{
    g_autofree X86PoisonedPageInfo *list = NULL;
    MemoryErrorPageList *pages = NULL;
    unsigned n;

    list = x86_memory_poison_list(&n);
    for (unsigned i = n; i-- > 0;) {
        MemoryErrorPage *page = g_new0(MemoryErrorPage, 1);

        page->gpa = list[i].gpa;
        page->action = list[i].action_required ? MEMORY_ERROR_KIND_REQUIRED
                                               : MEMORY_ERROR_KIND_OPTIONAL;
        page->reported = list[i].reported;
        page->on_access = list[i].on_access;
        QAPI_LIST_PREPEND(pages, page);
    }
    return pages;
}

void hmp_info_memory_errors(Monitor *mon, const QDict *qdict)
{
    g_autoptr(MemoryErrorPageList) pages = qmp_x_query_memory_errors(NULL);

    if (!pages) {
        monitor_printf(mon, "no guest page is poisoned\n");
        return;
    }
    for (MemoryErrorPageList *p = pages; p; p = p->next) {
        monitor_printf(mon, "0x%016" PRIx64 " %s, %s%s\n", p->value->gpa,
                       MemoryErrorKind_str(p->value->action),
                       p->value->reported ? "reported" : "not reported yet",
                       p->value->on_access ? ", #MC on access" : "");
    }
}

void hmp_inject_memory_error(Monitor *mon, const QDict *qdict)
{
    Error *err = NULL;
    int kind = qapi_enum_parse(&MemoryErrorKind_lookup,
                               qdict_get_str(qdict, "action"), -1, &err);
    bool immediate = qdict_get_try_bool(qdict, "immediate", false);

    if (kind >= 0) {
        qmp_x_inject_memory_error(qdict_get_int(qdict, "gpa"), kind,
                                  true, immediate,
                                  qdict_haskey(qdict, "cpu_index"),
                                  qdict_get_try_int(qdict, "cpu_index", 0),
                                  &err);
    }
    hmp_handle_error(mon, err);
}
