/*
 * Memory errors in guest RAM, reported to the guest as machine checks
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TARGET_I386_MEMORY_ERROR_H
#define TARGET_I386_MEMORY_ERROR_H

#include "cpu-qom.h"
#include "exec/hwaddr.h"
#include "hw/core/cpu.h"

/*
 * Report a memory error at guest physical address @paddr to @cpu as
 * hardware of the vCPU's vendor would: action required (the vCPU consumed
 * the data; #MC) or action optional (the page went bad unused).  See
 * docs/system/i386/memory-errors.rst for the encodings.
 */
void x86_cpu_inject_memory_error(X86CPU *cpu, hwaddr paddr,
                                 bool action_required);

/*
 * Run @fn on @cs again shortly (a millisecond of guest time): for work
 * that waits until @cs has left its machine-check handler (MCIP clear),
 * since a second #MC under MCIP would shut it down.
 */
void x86_cpu_mce_retry_soon(CPUState *cs, run_on_cpu_func fn,
                            run_on_cpu_data data);

#endif
