/*
 * kvm_errata_report_internal_error() for targets without KVM errata
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "system/kvm-errata-report.h"

void kvm_errata_report_internal_error(CPUState *cpu, uint32_t suberror)
{
}
