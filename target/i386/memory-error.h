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

/*
 * Report a memory error at guest physical address @paddr to @cpu as
 * hardware of the vCPU's vendor would: action required (the vCPU consumed
 * the data; #MC) or action optional (the page went bad unused).  See
 * docs/system/i386/memory-errors.rst for the encodings.
 */
void x86_cpu_inject_memory_error(X86CPU *cpu, hwaddr paddr,
                                 bool action_required);

#endif
