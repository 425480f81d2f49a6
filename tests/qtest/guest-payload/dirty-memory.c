/*
 * Guest payload: a guest that keeps dirtying its memory, or an idle one
 *
 * With inputs[1] > 0, writes one word per 4 KiB page over inputs[1]
 * bytes from inputs[0], round after round, forever, counting rounds in
 * values[0]: a busy guest for migration downtime.  With inputs[1] == 0
 * it halts: an idle guest.
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "kit.h"
#include "dirty-memory.h"

uint32_t payload_main(void)
{
    /* volatile: every store must reach RAM, or nothing gets dirty */
    volatile uint32_t *base = (volatile uint32_t *)(uintptr_t)
                              kit_input(DIRTY_IN_BASE);
    uint32_t pages = kit_input(DIRTY_IN_BYTES) / 4096;
    uint32_t round = 0;

    kit_checkpoint(DIRTY_CP_RUNNING);
    if (!pages) {
        halt_forever();
    }
    for (;;) {
        round++;
        for (uint32_t p = 0; p < pages; p++) {
            base[p * 1024] = round;
        }
        kit_report(DIRTY_OUT_ROUNDS, round);
    }
}
