/*
 * x-query-vcpu-events and x-inject-exception for targets other than x86
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-vcpu-events.h"

X86VCPUEventsList *qmp_x_query_vcpu_events(Error **errp)
{
    error_setg(errp, "vCPU event state is only available on x86");
    return NULL;
}

void qmp_x_inject_exception(int64_t cpu_index, int64_t vector,
                            bool has_error_code, uint32_t error_code,
                            bool has_payload, uint64_t payload,
                            bool has_unchecked, bool unchecked, Error **errp)
{
    error_setg(errp, "exception injection is only available on x86");
}

void qmp_x_inject_triple_fault(int64_t cpu_index, Error **errp)
{
    error_setg(errp, "triple-fault injection is only available on x86");
}
