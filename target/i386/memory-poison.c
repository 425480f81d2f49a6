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
 * Every page a memory error took is recorded here, with or without such
 * a region: an action-optional error, a machine check raised at once,
 * the host's SIGBUS.  Migration does not read those pages and carries
 * the list (memory-poison-migration.c), and the destination poisons them
 * for access there.
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "exec/target_page.h"
#include "hw/core/cpu.h"
#include "qemu/lockable.h"
#include "qemu/main-loop.h"
#include "system/address-spaces.h"
#include "system/memory.h"
#include "system/hw_accel.h"
#include "system/kvm.h"
#include "system/reset.h"
#include "system/ramblock.h"
#include "cpu.h"
#include "memory-error.h"
#include "memory-poison.h"
#include "trace.h"

/* Above guest RAM and what machines lay over it (SMRAM: priority 1). */
#define POISON_REGION_PRIORITY  100

typedef struct PoisonedPage {
    MemoryRegion mr;        /* the on-access region, once on_access */
    hwaddr gpa;
    ram_addr_t ram_addr;
    bool poisoned;          /* since the last reset; entries stay after it */
    bool action_required;
    bool reported;          /* the guest has had its machine check */
    bool on_access;         /* the region is enabled */
    bool has_region;        /* mr is initialised */
    bool host;              /* the host kernel poisoned it; KVM remaps it */
} PoisonedPage;

/*
 * gpa -> PoisonedPage and ram_addr -> PoisonedPage, changed under the
 * BQL.  The migration thread looks pages up without it: poison_ram and
 * each entry's poisoned flag are also changed under poison_lock.
 * Entries are never freed: an old FlatView may still point at a region
 * after it was disabled, and the same page poisoned again reuses it.
 */
static GHashTable *poison_pages;
static GHashTable *poison_ram;
static unsigned poison_count;
static unsigned poison_regions;         /* enabled on-access regions */
static QemuMutex poison_lock;

static void __attribute__((constructor)) poison_lock_init(void)
{
    qemu_mutex_init(&poison_lock);
}

static PoisonedPage *find_page(hwaddr gpa)
{
    hwaddr page = gpa & TARGET_PAGE_MASK;

    return poison_pages ? g_hash_table_lookup(poison_pages, &page) : NULL;
}

bool x86_memory_poisoned(hwaddr gpa)
{
    PoisonedPage *p = find_page(gpa);

    return p && p->poisoned && p->on_access;
}

unsigned x86_memory_poison_count(void)
{
    return poison_count;
}

bool x86_memory_poison_ram_addr(ram_addr_t ram_addr)
{
    ram_addr_t page = ram_addr & TARGET_PAGE_MASK;
    PoisonedPage *p;

    if (!qatomic_read(&poison_count)) {
        return false;
    }
    QEMU_LOCK_GUARD(&poison_lock);
    p = g_hash_table_lookup(poison_ram, &page);
    return p && p->poisoned;
}

static gint compare_gpa(gconstpointer a, gconstpointer b)
{
    const X86PoisonedPageInfo *x = a, *y = b;

    return x->gpa < y->gpa ? -1 : x->gpa > y->gpa;
}

X86PoisonedPageInfo *x86_memory_poison_list(unsigned *count)
{
    X86PoisonedPageInfo *list = g_new0(X86PoisonedPageInfo, poison_count);
    GHashTableIter iter;
    PoisonedPage *p;
    unsigned n = 0;

    if (poison_pages) {
        g_hash_table_iter_init(&iter, poison_pages);
        while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&p)) {
            if (p->poisoned) {
                list[n++] = (X86PoisonedPageInfo) {
                    .gpa = p->gpa, .action_required = p->action_required,
                    .reported = p->reported, .on_access = p->on_access,
                };
            }
        }
    }
    assert(n == poison_count);
    qsort(list, n, sizeof(*list), compare_gpa);
    *count = n;
    return list;
}

/*
 * Under KVM, once the vCPU is out of KVM_RUN: KVM wants the access
 * completed before the vCPU's state is touched, so the #MC follows it.
 * A vCPU already in a machine check (MCIP: another vCPU's broadcast got
 * there first) gets this one once its handler is done, not a second #MC
 * now, which would shut it down.
 */
static void poison_inject_kvm(CPUState *cs, run_on_cpu_data data)
{
    X86CPU *cpu = X86_CPU(cs);

    cpu_synchronize_state(cs);
    if (!(cpu->env.mcg_status & MCG_STATUS_MCIP)) {
        x86_cpu_inject_memory_error(cpu, data.host_ulong, true);
        return;
    }
    trace_x86_memory_poison_deferred(cs->cpu_index, data.host_ulong);
    x86_cpu_mce_retry_soon(cs, poison_inject_kvm, data);
}

static MemTxResult poison_access(void *opaque, hwaddr addr, bool is_write)
{
    PoisonedPage *p = opaque;

    trace_x86_memory_poison_access(current_cpu ? current_cpu->cpu_index : -1,
                                   p->gpa + addr, is_write);
    if (current_cpu) {
        p->reported = true;
        p->action_required = true;
    }
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

/*
 * A reset gives the guest usable memory there again: zeroed, as
 * upstream's remap of the pages the host poisoned gives it.
 */
void x86_memory_poison_forget(void)
{
    g_autofree uint8_t *zeros = g_malloc0(TARGET_PAGE_SIZE);
    GHashTableIter iter;
    PoisonedPage *p;

    if (!poison_pages) {
        return;
    }
    g_hash_table_iter_init(&iter, poison_pages);
    while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&p)) {
        if (!p->poisoned) {
            continue;
        }
        trace_x86_memory_poison_reset(p->gpa);
        if (p->on_access) {
            memory_region_set_enabled(&p->mr, false);
            p->on_access = false;
            poison_regions--;
        }
        if (!p->host) {
            address_space_write(&address_space_memory, p->gpa,
                                MEMTXATTRS_UNSPECIFIED, zeros,
                                TARGET_PAGE_SIZE);
        }
        WITH_QEMU_LOCK_GUARD(&poison_lock) {
            p->poisoned = false;
        }
    }
    qatomic_set(&poison_count, 0);
}

static void poison_reset(void *unused)
{
    x86_memory_poison_forget();
}

bool x86_guest_ram_page(hwaddr gpa, MemoryRegionSection *ram, Error **errp)
{
    *ram = memory_region_find(get_system_memory(), gpa & TARGET_PAGE_MASK,
                              TARGET_PAGE_SIZE);
    /* The first two messages are gpa2hva()'s, which HMP users know. */
    if (!ram->mr) {
        error_setg(errp, "No memory is mapped at address 0x%" HWADDR_PRIx,
                   gpa);
        return false;
    }
    if (!memory_region_is_ram(ram->mr)) {
        error_setg(errp, "Memory at address 0x%" HWADDR_PRIx " is not RAM",
                   gpa);
    } else if (memory_region_is_ram_device(ram->mr)) {
        error_setg(errp, "0x%" HWADDR_PRIx " is in %s, not guest RAM", gpa,
                   memory_region_name(ram->mr));
    } else if (int128_get64(ram->size) < TARGET_PAGE_SIZE) {
        error_setg(errp, "0x%" HWADDR_PRIx " is in less than a page of RAM",
                   gpa);
    } else {
        return true;
    }
    memory_region_unref(ram->mr);
    ram->mr = NULL;
    return false;
}

/* The entry for the page at @gpa, created if need be; NULL if not RAM. */
static PoisonedPage *get_page(hwaddr gpa, Error **errp)
{
    hwaddr page = gpa & TARGET_PAGE_MASK;
    PoisonedPage *p = find_page(page);
    MemoryRegionSection ram;

    if (p) {
        return p;
    }
    if (!x86_guest_ram_page(gpa, &ram, errp)) {
        return NULL;
    }
    if (!poison_pages) {
        poison_pages = g_hash_table_new(g_int64_hash, g_int64_equal);
        poison_ram = g_hash_table_new(g_int64_hash, g_int64_equal);
        qemu_register_reset(poison_reset, NULL);
    }
    p = g_new0(PoisonedPage, 1);
    p->gpa = page;
    p->ram_addr = memory_region_get_ram_addr(ram.mr) +
                  ram.offset_within_region;
    memory_region_unref(ram.mr);
    g_hash_table_insert(poison_pages, &p->gpa, p);
    WITH_QEMU_LOCK_GUARD(&poison_lock) {
        g_hash_table_insert(poison_ram, &p->ram_addr, p);
    }
    return p;
}

static void mark_poisoned(PoisonedPage *p)
{
    if (!p->poisoned) {
        p->action_required = p->reported = p->on_access = p->host = false;
        WITH_QEMU_LOCK_GUARD(&poison_lock) {
            p->poisoned = true;
        }
        qatomic_inc(&poison_count);
    }
}

/* Whether one more page can be poisoned for access (see memory-poison.h) */
static bool on_access_room(Error **errp)
{
    if (poison_regions >= X86_MEMORY_POISON_ON_ACCESS_MAX) {
        error_setg(errp, "%u pages are poisoned for access, as many as QEMU "
                   "keeps (each is a memory region of its own); a reset "
                   "clears them", X86_MEMORY_POISON_ON_ACCESS_MAX);
        return false;
    }
    /* Splitting a slot of RAM around the page takes two more */
    if (kvm_enabled() && kvm_get_free_memslots() < 2) {
        error_setg(errp, "KVM has no memory slot left for another page "
                   "poisoned for access (%u pages are)", poison_regions);
        return false;
    }
    return true;
}

static void enable_on_access(PoisonedPage *p)
{
    if (!p->has_region) {
        g_autofree char *name = g_strdup_printf("x-resilient-poison@0x%"
                                                HWADDR_PRIx, p->gpa);

        memory_region_init_io(&p->mr, NULL, &poison_ops, p, name,
                              TARGET_PAGE_SIZE);
        memory_region_add_subregion_overlap(get_system_memory(), p->gpa,
                                            &p->mr, POISON_REGION_PRIORITY);
        p->has_region = true;
    } else {
        memory_region_set_enabled(&p->mr, true);
    }
    p->on_access = true;
    poison_regions++;
}

bool x86_memory_poison_page(hwaddr gpa, Error **errp)
{
    PoisonedPage *p;

    if (x86_memory_poisoned(gpa)) {
        error_setg(errp, "the page at 0x%" HWADDR_PRIx " is already poisoned",
                   gpa & TARGET_PAGE_MASK);
        return false;
    }
    if (!on_access_room(errp)) {
        return false;
    }
    p = get_page(gpa, errp);
    if (!p) {
        return false;
    }
    mark_poisoned(p);
    p->action_required = true;
    enable_on_access(p);
    trace_x86_memory_poison_page(p->gpa);
    return true;
}

void x86_memory_poison_record(hwaddr gpa, bool action_required, bool host)
{
    PoisonedPage *p = get_page(gpa, NULL);

    if (!p) {
        return;     /* the callers checked; nothing to carry otherwise */
    }
    mark_poisoned(p);
    p->action_required |= action_required;
    p->reported = true;
    p->host |= host;
    trace_x86_memory_poison_record(p->gpa, action_required, host);
}

bool x86_memory_poison_restore(const X86PoisonedPageInfo *info, Error **errp)
{
    PoisonedPage *p = get_page(info->gpa, errp);

    if (!p) {
        return false;
    }
    if (!p->on_access && !on_access_room(errp)) {
        return false;
    }
    mark_poisoned(p);
    p->action_required = info->action_required;
    p->reported = info->reported;
    if (!p->on_access) {
        enable_on_access(p);
    }
    trace_x86_memory_poison_page(p->gpa);
    return true;
}
