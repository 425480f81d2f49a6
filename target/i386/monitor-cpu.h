/*
 * The vCPU a monitor command names by index
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TARGET_I386_MONITOR_CPU_H
#define TARGET_I386_MONITOR_CPU_H

#include "qapi/error.h"
#include "hw/core/cpu.h"

/* The vCPU with index @cpu_index, or NULL with an error saying so. */
static inline CPUState *monitor_cpu_by_index(int64_t cpu_index, Error **errp)
{
    CPUState *cs = NULL;

    if (cpu_index >= 0 && cpu_index <= INT_MAX) {
        cs = qemu_get_cpu(cpu_index);
    }
    if (!cs) {
        error_setg(errp, "no vCPU with index %" PRId64, cpu_index);
    }
    return cs;
}

#endif
