/*
 * Guest payload: write and read back MSRs, and take one exception
 *
 * The example payload of the kit: writes the values the qtest passed in to
 * SYSENTER_CS/ESP/EIP, reads them back, and raises #UD once so that the
 * qtest can check what the IDT handler recorded.
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "kit.h"
#include "msr-readback.h"

static const uint32_t msrs[MSR_READBACK_NR] = {
    MSR_READBACK_SYSENTER_CS,
    MSR_READBACK_SYSENTER_ESP,
    MSR_READBACK_SYSENTER_EIP,
};

uint32_t payload_main(void)
{
    uint32_t status = GUEST_PAYLOAD_STATUS_PASS;
    uint32_t ud_eip;
    int vector;
    unsigned i;

    for (i = 0; i < MSR_READBACK_NR; i++) {
        uint64_t before = 0, after = 0;

        if (rdmsr_safe(msrs[i], &before) != KIT_NO_FAULT ||
            wrmsr_safe(msrs[i], kit_input(MSR_READBACK_IN_VALUE0 + i)) !=
            KIT_NO_FAULT ||
            rdmsr_safe(msrs[i], &after) != KIT_NO_FAULT) {
            status = GUEST_PAYLOAD_STATUS_FAIL;
        }
        kit_report(MSR_READBACK_OUT_BEFORE0 + i, before);
        kit_report(MSR_READBACK_OUT_AFTER0 + i, after);
    }

    ud_eip = ud2_safe(&vector);
    kit_report(MSR_READBACK_OUT_UD_EIP, ud_eip);
    kit_report(MSR_READBACK_OUT_UD_VECTOR, (uint32_t)vector);
    return status;
}
