/*
 * Guest physical to host physical addresses: QMP x-query-gpa2hpa, HMP gpa2hpa
 *
 * Poisoning a guest page on the host (hwpoison_inject) needs its host
 * physical address; HMP gpa2hpa was the only way to get it.  The lookup
 * moved here from hmp-cmds-target.c so that QMP and HMP share it.
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-memory-error.h"
#include "qobject/qdict.h"
#include "monitor/hmp.h"
#include "monitor/hmp-target.h"
#include "monitor/monitor.h"
#include "system/memory.h"

#ifdef CONFIG_LINUX
#define PAGEMAP_PRESENT         (1ULL << 63)
#define PAGEMAP_PFN_MASK        0x007fffffffffffffULL

/* The host physical address of @ptr, from /proc/self/pagemap. */
static uint64_t vtop(void *ptr, Error **errp)
{
    uint64_t pinfo, pfn;
    uint64_t ret = -1;
    uintptr_t addr = (uintptr_t) ptr;
    uintptr_t pagesize = qemu_real_host_page_size();
    off_t offset = addr / pagesize * sizeof(pinfo);
    int fd;

    fd = open("/proc/self/pagemap", O_RDONLY);
    if (fd == -1) {
        error_setg_errno(errp, errno, "Cannot open /proc/self/pagemap");
        return -1;
    }

    /* Force copy-on-write if necessary.  */
    qatomic_add((uint8_t *)ptr, 0);

    if (pread(fd, &pinfo, sizeof(pinfo), offset) != sizeof(pinfo)) {
        error_setg_errno(errp, errno, "Cannot read pagemap");
        goto out;
    }
    if ((pinfo & PAGEMAP_PRESENT) == 0) {
        error_setg(errp, "Page not present");
        goto out;
    }
    pfn = pinfo & PAGEMAP_PFN_MASK;
    if (!pfn) {
        /* Since Linux 4.2 the PFN reads as 0 without CAP_SYS_ADMIN. */
        error_setg(errp, "The host does not tell QEMU physical addresses "
                   "(reading them needs CAP_SYS_ADMIN)");
        goto out;
    }
    ret = (pfn * pagesize) | (addr & (pagesize - 1));

out:
    close(fd);
    return ret;
}

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
    hpa = vtop(ptr, &local_err);
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

void hmp_gpa2hpa(Monitor *mon, const QDict *qdict)
{
    hwaddr addr = qdict_get_int(qdict, "addr");
    Error *err = NULL;
    Gpa2Hpa *info = qmp_x_query_gpa2hpa(addr, &err);

    if (hmp_handle_error(mon, err)) {
        return;
    }
    monitor_printf(mon, "Host physical address for 0x%" HWADDR_PRIx
                   " (%s) is 0x%" PRIx64 "\n",
                   addr, info->memory_region, info->hpa);
    qapi_free_Gpa2Hpa(info);
}
#endif
