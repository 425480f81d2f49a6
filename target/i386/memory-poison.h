/*
 * Guest pages poisoned for the guest: a machine check on access
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TARGET_I386_MEMORY_POISON_H
#define TARGET_I386_MEMORY_POISON_H

#include "cpu-qom.h"
#include "exec/cpu-common.h"
#include "exec/hwaddr.h"
#include "exec/memattrs.h"
#include "exec/mmu-access-type.h"
#include "exec/vaddr.h"

/* A guest page a memory error took, and what the guest knows of it. */
typedef struct X86PoisonedPageInfo {
    hwaddr gpa;
    bool action_required;   /* the error was, or will be, action required */
    bool reported;          /* the guest has had its machine check */
    bool on_access;         /* a guest access raises #MC */
} X86PoisonedPageInfo;

/*
 * How many pages may be poisoned for access at once.  Each is a memory
 * region of its own over guest RAM, which splits RAM's sections (QEMU's
 * dispatch map holds 4096 and aborts past that) and, under KVM, its
 * memory slots; the bound keeps both well inside their limits.
 */
#define X86_MEMORY_POISON_ON_ACCESS_MAX 1024

/*
 * Poison the guest page that holds @gpa: from now until the next system
 * reset, a vCPU that reads, writes or fetches from it gets the
 * action-required machine check that consumed poison raises on hardware,
 * as its vendor encodes it.  False, with @errp set, if the page is
 * already poisoned that way, is not guest RAM, or X86_MEMORY_POISON_ON_
 * ACCESS_MAX pages (or KVM's memory slots) are taken.
 */
bool x86_memory_poison_page(hwaddr gpa, Error **errp);

/*
 * The page of RAM that holds @gpa, as the system memory map has it now,
 * RAM that migration carries (ROM included, since the host can poison
 * its pages too): true with its section in @ram, referenced (unref
 * ram->mr when done); false with @errp set if there is none: nothing
 * mapped, MMIO or a RAM device.
 */
bool x86_guest_ram_page(hwaddr gpa, MemoryRegionSection *ram, Error **errp);

/*
 * Record that the guest was told of a memory error in the page that
 * holds @gpa (a machine check injected, or the host's SIGBUS; @host if
 * the host kernel poisoned the page itself), so that the page is not
 * read again and its poison follows the guest when it migrates.
 */
void x86_memory_poison_record(hwaddr gpa, bool action_required, bool host);

/*
 * Poison a page for a guest that arrived by migration: on access, and
 * reported as @info says.  False, with @errp set, if it is not guest RAM
 * or no more pages can be poisoned for access.
 */
bool x86_memory_poison_restore(const X86PoisonedPageInfo *info,
                               Error **errp);

/*
 * Whether the SIGBUS for @host_addr is one that x-inject-memory-error
 * raised (forgetting it): the page is intact, not on the host's
 * hardware-poison list, and a reset needs not replace it.
 */
bool x86_memory_error_simulated(void *host_addr);

/* Whether the guest page that holds @gpa is poisoned for guest access. */
bool x86_memory_poisoned(hwaddr gpa);

/* How many pages are poisoned (since the last reset). */
unsigned x86_memory_poison_count(void);

/* The poisoned pages, in guest-physical order; free with g_free(). */
X86PoisonedPageInfo *x86_memory_poison_list(unsigned *count);

/* Whether the page at @ram_addr (a ram_addr_t) is poisoned. */
bool x86_memory_poison_ram_addr(ram_addr_t ram_addr);

/* What a reset does to the pages: none poisoned, their memory zeroed. */
void x86_memory_poison_forget(void);

/* The list's migration section and its opaque, for the fuzzer. */
extern const VMStateDescription vmstate_x86_poisoned_memory;
void *x86_memory_poison_stream(void);

/*
 * Register the list's migration section (memory-poison-migration.c):
 * called when a vCPU is realized; the first one does it.
 */
void x86_memory_poison_realize(X86CPU *cpu);

/*
 * TCGCPUOps.do_transaction_failed: an access to a poisoned page raises
 * the machine check at the instruction that made it.
 */
void x86_cpu_do_transaction_failed(CPUState *cs, hwaddr physaddr, vaddr addr,
                                   unsigned size, MMUAccessType access_type,
                                   int mmu_idx, MemTxAttrs attrs,
                                   MemTxResult response, uintptr_t retaddr);

#endif
