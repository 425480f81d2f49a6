/*
 * Memory errors in guest RAM, reported to the guest as machine checks
 *
 * For the errors that do not come through KVM's SIGBUS path: what
 * x-inject-memory-error raises under TCG, and a TCG access to a poisoned
 * page.  The encodings are kvm_mce_inject()'s, so that a guest sees the
 * same machine check whichever path raised it (memory-error-test expects
 * the same one of both); "action required" is carried with MCE_INJECT_AR,
 * as kvm_mce_inject() does, since AMD's encoding has no MCi_STATUS.AR.
 *
 * The broadcast half of an Intel machine check is this file's own, not
 * MCE_INJECT_BROADCAST's, which waits in run_on_cpu() for each other vCPU
 * (two vCPUs that consume poison together then wait for each other for
 * ever) and gives a vCPU already in a machine check a second one (it
 * shuts down).  On hardware one event reaches every core at once; here
 * the other vCPUs take it when they next stop, so:
 *
 * - a vCPU that raises an error of its own while a broadcast to it is
 *   still queued joins that event: its own #MC stands for the broadcast,
 *   and the vCPU that sent it gets none back -- one event, as when two
 *   cores consume poison at once;
 * - a vCPU still in the handler of an earlier event (MCIP set) takes the
 *   broadcast once it has left it, while the vCPU that raised the error
 *   waits for the others in its handler, as Linux's does.
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "cpu.h"
#include "qemu/main-loop.h"
#include "qemu/timer.h"
#include "system/hw_accel.h"
#include "memory-error.h"
#include "trace.h"

#define MEMORY_ERROR_BANK       9
/* MCi_MISC: physical address mode, address LSB 12 (4 KiB granularity) */
#define MEMORY_ERROR_MISC       ((MCM_ADDR_PHYS << 6) | 0xc)
/* MCA error codes (Intel SDM vol. 3B, 16.6.3): memory scrubbing, data read */
#define INTEL_MCACOD_SRAO       0xc0
#define INTEL_MCACOD_SRAR       0x134
/* What every other vCPU logs of a broadcast machine check (upstream's) */
#define BROADCAST_BANK          1
/* How soon a vCPU in a machine-check handler is looked at again */
#define MCIP_RETRY_MS           1

typedef struct MceRetry {
    QEMUTimer *timer;
    CPUState *cs;
    run_on_cpu_func fn;
    run_on_cpu_data data;
} MceRetry;

static void mce_retry(void *opaque)
{
    MceRetry *r = opaque;

    async_run_on_cpu(r->cs, r->fn, r->data);
    timer_free(r->timer);
    g_free(r);
}

void x86_cpu_mce_retry_soon(CPUState *cs, run_on_cpu_func fn,
                            run_on_cpu_data data)
{
    MceRetry *r = g_new0(MceRetry, 1);

    r->cs = cs;
    r->fn = fn;
    r->data = data;
    r->timer = timer_new_ms(QEMU_CLOCK_VIRTUAL, mce_retry, r);
    timer_mod(r->timer, qemu_clock_get_ms(QEMU_CLOCK_VIRTUAL) +
              MCIP_RETRY_MS);
}

typedef struct Broadcast {
    CPUState *to;
    CPUState *from;
    bool joined;            /* @to raised its own error: nothing to take */
} Broadcast;

/* Broadcasts queued and not taken yet; under the BQL. */
static GSList *queued;

static void take_broadcast(CPUState *cs, run_on_cpu_data data)
{
    Broadcast *b = data.host_ptr;
    X86CPU *cpu = X86_CPU(cs);

    if (!b->joined) {
        cpu_synchronize_state(cs);
        if (cpu->env.mcg_status & MCG_STATUS_MCIP) {
            trace_x86_mce_broadcast_waits(cs->cpu_index, b->from->cpu_index);
            x86_cpu_mce_retry_soon(cs, take_broadcast, data);
            return;
        }
        cpu_x86_inject_mce(NULL, cpu, BROADCAST_BANK,
                           MCI_STATUS_VAL | MCI_STATUS_UC,
                           MCG_STATUS_MCIP | MCG_STATUS_RIPV, 0, 0, 0);
    }
    queued = g_slist_remove(queued, b);
    g_free(b);
}

static void broadcast(X86CPU *origin)
{
    CPUState *from = CPU(origin);
    g_autoptr(GSList) joined = NULL;
    CPUState *cs;

    for (GSList *l = queued; l; l = l->next) {
        Broadcast *b = l->data;

        if (b->to == from && !b->joined) {
            b->joined = true;
            joined = g_slist_prepend(joined, b->from);
            trace_x86_mce_broadcast_joined(from->cpu_index,
                                           b->from->cpu_index);
        }
    }
    CPU_FOREACH(cs) {
        Broadcast *b;

        if (cs == from || g_slist_find(joined, cs)) {
            continue;
        }
        b = g_new0(Broadcast, 1);
        b->to = cs;
        b->from = from;
        queued = g_slist_prepend(queued, b);
        /* A vCPU thread must not wait for another: that one may wait too */
        if (current_cpu) {
            async_run_on_cpu(cs, take_broadcast, RUN_ON_CPU_HOST_PTR(b));
        } else {
            run_on_cpu(cs, take_broadcast, RUN_ON_CPU_HOST_PTR(b));
        }
    }
}

void x86_cpu_inject_memory_error(X86CPU *cpu, hwaddr paddr,
                                 bool action_required)
{
    CPUX86State *env = &cpu->env;
    uint64_t status = MCI_STATUS_VAL | MCI_STATUS_EN | MCI_STATUS_MISCV |
                      MCI_STATUS_ADDRV;
    uint64_t mcg_status = MCG_STATUS_MCIP | MCG_STATUS_RIPV;
    int flags = action_required ? MCE_INJECT_AR : 0;
    bool broadcasts;

    if (!IS_AMD_CPU(env)) {
        status |= MCI_STATUS_S | MCI_STATUS_UC;
        if (action_required) {
            status |= MCI_STATUS_AR | INTEL_MCACOD_SRAR;
            mcg_status |= MCG_STATUS_EIPV;
        } else {
            status |= INTEL_MCACOD_SRAO;
        }
    } else if (action_required) {
        status |= MCI_STATUS_UC | MCI_STATUS_POISON;
        mcg_status |= MCG_STATUS_EIPV;
    } else {
        /*
         * A deferred error, polled by the guest.  POISON is not set by
         * hardware for deferred errors; it tells the guest kernel that the
         * address is valid and usable, so that it signals SIGBUS_AO to a
         * guest process that asked for early kill (upstream's choice).
         */
        status |= MCI_STATUS_DEFERRED | MCI_STATUS_POISON;
    }

    broadcasts = cpu_x86_support_mca_broadcast(env);
    /* The guest may have enabled LMCE: MSR_MCG_EXT_CTL lives in KVM. */
    cpu_synchronize_state(CPU(cpu));
    if (env->mcg_ext_ctl & MCG_EXT_CTL_LMCE_EN) {
        mcg_status |= MCG_STATUS_LMCE;
        broadcasts = false;
    }

    cpu_x86_inject_mce(NULL, cpu, MEMORY_ERROR_BANK, status, mcg_status,
                       paddr, MEMORY_ERROR_MISC, flags);
    if (broadcasts) {
        broadcast(cpu);
    }
}
