/*
 * Guest pages poisoned for the guest: a machine check on access
 *
 * On hardware an action-required memory error is raised by the access
 * that consumes the poisoned data, at that instruction, on that CPU; under
 * KVM a host page on the hardware-poison list does the same through the
 * vCPU's own fault.  Injecting the machine check at whatever a vCPU
 * executes instead lands it anywhere -- in the kernel, where a guest
 * panics ("Data load in unrecoverable area of kernel").
 *
 * So a poisoned page is covered by an I/O region of its own, above guest
 * RAM, that no access completes: under TCG the access fails and
 * x86_cpu_do_transaction_failed() raises #MC at the faulting instruction
 * (reads, writes and instruction fetches alike).  Under KVM the access
 * exits to QEMU as MMIO and the #MC is raised once KVM has completed it:
 * the guest sees the RIP after the access (reads return all ones).  A
 * reset takes the regions away, as upstream remaps poisoned RAM on reset.
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "exec/target_page.h"
#include "hw/core/cpu.h"
#include "qemu/main-loop.h"
#include "system/address-spaces.h"
#include "system/memory.h"
#include "system/kvm.h"
#include "system/reset.h"
#include "cpu.h"
#include "memory-error.h"
#include "memory-poison.h"
#include "trace.h"

/* Above guest RAM and what machines lay over it (SMRAM: priority 1). */
#define POISON_REGION_PRIORITY  100

typedef struct PoisonedPage {
    MemoryRegion mr;
    hwaddr gpa;
    bool poisoned;      /* off after a reset; the region stays, disabled */
} PoisonedPage;

/*
 * gpa -> PoisonedPage, under the BQL.  Entries are never freed: an old
 * FlatView may still point at a region after it was disabled, and the
 * same page poisoned again reuses its region.
 */
static GHashTable *poison_pages;

static PoisonedPage *find_page(hwaddr gpa)
{
    hwaddr page = gpa & TARGET_PAGE_MASK;

    return poison_pages ? g_hash_table_lookup(poison_pages, &page) : NULL;
}

bool x86_memory_poisoned(hwaddr gpa)
{
    PoisonedPage *p = find_page(gpa);

    return p && p->poisoned;
}

/*
 * Under KVM, once the vCPU is out of KVM_RUN: KVM wants the access
 * completed before the vCPU's state is touched, so the #MC follows it.
 */
static void poison_inject_kvm(CPUState *cs, run_on_cpu_data data)
{
    x86_cpu_inject_memory_error(X86_CPU(cs), data.host_ulong, true);
}

static MemTxResult poison_access(void *opaque, hwaddr addr, bool is_write)
{
    PoisonedPage *p = opaque;

    trace_x86_memory_poison_access(current_cpu ? current_cpu->cpu_index : -1,
                                   p->gpa + addr, is_write);
    if (kvm_enabled() && current_cpu) {
        async_run_on_cpu(current_cpu, poison_inject_kvm,
                         RUN_ON_CPU_HOST_ULONG(p->gpa));
        return MEMTX_OK;
    }
    /* TCG: x86_cpu_do_transaction_failed() raises the #MC; DMA fails. */
    return MEMTX_ERROR;
}

static MemTxResult poison_read(void *opaque, hwaddr addr, uint64_t *data,
                               unsigned size, MemTxAttrs attrs)
{
    *data = ~0ULL;
    return poison_access(opaque, addr, false);
}

static MemTxResult poison_write(void *opaque, hwaddr addr, uint64_t data,
                                unsigned size, MemTxAttrs attrs)
{
    return poison_access(opaque, addr, true);
}

static const MemoryRegionOps poison_ops = {
    .read_with_attrs = poison_read,
    .write_with_attrs = poison_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 1,
        .max_access_size = 8,
        .unaligned = true,
    },
    .impl = {
        .min_access_size = 1,
        .max_access_size = 8,
        .unaligned = true,
    },
};

/* A reset gives the guest usable memory there again. */
static void poison_reset(void *unused)
{
    GHashTableIter iter;
    PoisonedPage *p;

    g_hash_table_iter_init(&iter, poison_pages);
    while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&p)) {
        if (p->poisoned) {
            trace_x86_memory_poison_reset(p->gpa);
            memory_region_set_enabled(&p->mr, false);
            p->poisoned = false;
        }
    }
}

bool x86_memory_poison_page(hwaddr gpa, Error **errp)
{
    hwaddr page = gpa & TARGET_PAGE_MASK;
    PoisonedPage *p = find_page(page);
    MemoryRegionSection ram;
    g_autofree char *name = NULL;

    if (p && p->poisoned) {
        error_setg(errp, "the page at 0x%" HWADDR_PRIx " is already poisoned",
                   page);
        return false;
    }
    if (p) {
        memory_region_set_enabled(&p->mr, true);
        p->poisoned = true;
        trace_x86_memory_poison_page(page);
        return true;
    }

    ram = memory_region_find(get_system_memory(), page, TARGET_PAGE_SIZE);
    if (!ram.mr || !memory_region_is_ram(ram.mr) ||
        int128_get64(ram.size) < TARGET_PAGE_SIZE) {
        error_setg(errp, "0x%" HWADDR_PRIx " is not in guest RAM", gpa);
        if (ram.mr) {
            memory_region_unref(ram.mr);
        }
        return false;
    }
    if (!poison_pages) {
        poison_pages = g_hash_table_new(g_int64_hash, g_int64_equal);
        qemu_register_reset(poison_reset, NULL);
    }
    p = g_new0(PoisonedPage, 1);
    p->gpa = page;
    memory_region_unref(ram.mr);
    name = g_strdup_printf("x-resilient-poison@0x%" HWADDR_PRIx, page);
    memory_region_init_io(&p->mr, NULL, &poison_ops, p, name,
                          TARGET_PAGE_SIZE);
    memory_region_add_subregion_overlap(get_system_memory(), page, &p->mr,
                                        POISON_REGION_PRIORITY);
    p->poisoned = true;
    g_hash_table_insert(poison_pages, &p->gpa, p);
    trace_x86_memory_poison_page(page);
    return true;
}
