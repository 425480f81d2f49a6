/*
 * ram_poison_*() for targets that track no poisoned guest pages
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "system/ram-poison.h"

bool ram_poison_any(void)
{
    return false;
}

bool ram_poison_migrates(void)
{
    return false;
}

bool ram_poison_page_lost(RAMBlock *rb, ram_addr_t offset)
{
    return false;
}
