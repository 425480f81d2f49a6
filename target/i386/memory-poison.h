/*
 * Guest pages poisoned for the guest: a machine check on access
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TARGET_I386_MEMORY_POISON_H
#define TARGET_I386_MEMORY_POISON_H

#include "exec/hwaddr.h"
#include "exec/memattrs.h"
#include "exec/mmu-access-type.h"
#include "exec/vaddr.h"

/*
 * Poison the guest page that holds @gpa: from now until the next system
 * reset, a vCPU that reads, writes or fetches from it gets the
 * action-required machine check that consumed poison raises on hardware,
 * as its vendor encodes it.  False, with @errp set, if the page is
 * already poisoned.
 */
bool x86_memory_poison_page(hwaddr gpa, Error **errp);

/* Whether the guest page that holds @gpa is poisoned. */
bool x86_memory_poisoned(hwaddr gpa);

/*
 * TCGCPUOps.do_transaction_failed: an access to a poisoned page raises
 * the machine check at the instruction that made it.
 */
void x86_cpu_do_transaction_failed(CPUState *cs, hwaddr physaddr, vaddr addr,
                                   unsigned size, MMUAccessType access_type,
                                   int mmu_idx, MemTxAttrs attrs,
                                   MemTxResult response, uintptr_t retaddr);

#endif
