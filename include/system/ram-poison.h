/*
 * qemu-resilient: guest RAM pages whose contents a memory error took
 *
 * Migration asks the machine about them: whether any page is poisoned,
 * whether the machine carries them to the destination (which poisons
 * them there again) rather than refusing to migrate, and whether a page
 * must not be read.  target/i386/memory-poison.c answers; a stub answers
 * "none" elsewhere.
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef SYSTEM_RAM_POISON_H
#define SYSTEM_RAM_POISON_H

#include "exec/cpu-common.h"

/* Whether some guest page is poisoned (since the last reset). */
bool ram_poison_any(void);

/* Whether the migration stream carries the poisoned pages. */
bool ram_poison_migrates(void);

/*
 * Whether the page at @offset in @rb is poisoned: its data is gone, and
 * reading a page the host kernel poisoned raises SIGBUS.  Migration
 * sends it as a page without contents.
 */
bool ram_poison_page_lost(RAMBlock *rb, ram_addr_t offset);

#endif
