/*
 * x-inject-mce, x-inject-memory-error and x-query-memory-errors for
 * targets other than x86
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-memory-error.h"

void qmp_x_inject_mce(int64_t cpu_index, int64_t bank, uint64_t status,
                      uint64_t mcg_status, uint64_t addr, uint64_t misc,
                      bool has_broadcast, bool broadcast, Error **errp)
{
    error_setg(errp, "MCE injection is only available on x86");
}

void qmp_x_inject_memory_error(uint64_t gpa, MemoryErrorKind action,
                               bool has_immediate, bool immediate,
                               bool has_cpu_index, int64_t cpu_index,
                               Error **errp)
{
    error_setg(errp, "memory-error injection is only available on x86");
}

MemoryErrorPageList *qmp_x_query_memory_errors(Error **errp)
{
    error_setg(errp, "memory errors are only tracked on x86");
    return NULL;
}
