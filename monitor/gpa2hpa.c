/*
 * Guest physical to host physical addresses: QMP x-query-gpa2hpa
 *
 * Poisoning a guest page on the host (hwpoison_inject) needs its host
 * physical address; HMP gpa2hpa was the only way to get it.  The QMP
 * twin uses its lookups, gpa2hva() and hva2hpa() (monitor/
 * hmp-cmds-target.c).
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-memory-error.h"
#include "monitor/monitor.h"
#include "system/memory.h"

#ifdef CONFIG_LINUX
Gpa2Hpa *qmp_x_query_gpa2hpa(uint64_t gpa, Error **errp)
{
    MemoryRegion *mr = NULL;
    Gpa2Hpa *info = NULL;
    Error *local_err = NULL;
    uint64_t hpa;
    void *ptr;

    ptr = gpa2hva(&mr, gpa, 1, errp);
    if (!ptr) {
        return NULL;
    }
    hpa = hva2hpa(ptr, &local_err);
    if (local_err) {
        error_propagate(errp, local_err);
    } else {
        info = g_new0(Gpa2Hpa, 1);
        info->hpa = hpa;
        info->memory_region = g_strdup(memory_region_name(mr));
    }
    memory_region_unref(mr);
    return info;
}
#endif
