/*
 * vCPU event state as the monitor shows it
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TARGET_I386_VCPU_EVENTS_MONITOR_H
#define TARGET_I386_VCPU_EVENTS_MONITOR_H

#include "qapi/qapi-types-vcpu-events.h"

/* On @cs's own thread: its state is synchronized first. */
X86VCPUEvents *x86_vcpu_events_collect(CPUState *cs);

/* As 'info vcpu-events' prints it, one line per kind of event. */
void x86_vcpu_events_format(GString *s, const X86VCPUEvents *ev);

#endif
