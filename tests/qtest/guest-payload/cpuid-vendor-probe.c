/*
 * Guest payload: does this accelerator virtualize CPUID?
 *
 * Run with -cpu ...,vendor=ResilientCPU.  A hypervisor that virtualizes
 * CPUID shows the guest that vendor; a restricted one shows the host's.
 * 'make run' uses the answer to decide whether KVM can boot a stock Linux
 * guest here (see scripts/run-guest.sh).
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "kit.h"

uint32_t payload_main(void)
{
    static const char expected[12] = "ResilientCPU";
    uint32_t eax, vendor[3];
    const char *seen = (const char *)vendor;
    unsigned i;

    cpuid(0, 0, &eax, &vendor[0], &vendor[2], &vendor[1]);
    kit_report(0, vendor[0]);
    kit_report(1, vendor[1]);
    kit_report(2, vendor[2]);
    for (i = 0; i < sizeof(expected); i++) {
        if (seen[i] != expected[i]) {
            return GUEST_PAYLOAD_STATUS_FAIL;
        }
    }
    return GUEST_PAYLOAD_STATUS_PASS;
}
