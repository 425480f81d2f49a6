/*
 * Guest payload: run CPUID on the leaves the qtest asks for and report
 * the four registers of each, so that a test can assert on what the
 * guest sees rather than on QEMU's idea of it; then end, or spin if
 * asked to, so that there is a running guest to migrate.
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "kit.h"
#include "cpuid-dump.h"

uint32_t payload_main(void)
{
    uint32_t n = kit_input(CPUID_DUMP_IN_COUNT);

    if (n > CPUID_DUMP_MAX_LEAVES) {
        return GUEST_PAYLOAD_STATUS_FAIL;
    }
    for (uint32_t i = 0; i < n; i++) {
        uint64_t in = kit_input(CPUID_DUMP_IN_LEAF0 + i);
        uint32_t r[4];

        cpuid((uint32_t)in, (uint32_t)(in >> 32), &r[0], &r[1], &r[2], &r[3]);
        for (int reg = 0; reg < 4; reg++) {
            kit_report(CPUID_DUMP_OUT(i, reg), r[reg]);
        }
    }
    if (kit_input(CPUID_DUMP_IN_SPIN)) {
        /* a running guest, for live migration */
        kit_checkpoint(CPUID_DUMP_CHECKPOINT_SPINNING);
        for (;;) {
            asm volatile("pause");
        }
    }
    return GUEST_PAYLOAD_STATUS_PASS;
}
