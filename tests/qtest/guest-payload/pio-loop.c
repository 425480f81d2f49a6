/*
 * Guest payload: a loop of port I/O writes
 *
 * Writes inputs[0] bytes to port inputs[1], then finishes.  Under KVM
 * each OUT is an exit to QEMU: 'make bench' times the loop from the host
 * to compare the fork's exit path with vanilla QEMU's.
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "kit.h"
#include "pio-loop.h"

uint32_t payload_main(void)
{
    uint32_t n = kit_input(PIOLOOP_IN_COUNT);
    uint16_t port = kit_input(PIOLOOP_IN_PORT);

    for (uint32_t i = 0; i < n; i++) {
        outb(port, i);
    }
    return GUEST_PAYLOAD_STATUS_PASS;
}
