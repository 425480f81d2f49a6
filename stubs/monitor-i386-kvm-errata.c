/*
 * x-query-kvm-errata for targets other than x86
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-kvm-errata.h"

KvmErratumList *qmp_x_query_kvm_errata(Error **errp)
{
    error_setg(errp, "KVM host errata are only checked on x86");
    return NULL;
}
