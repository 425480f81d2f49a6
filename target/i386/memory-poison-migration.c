/*
 * Poisoned guest pages across migration
 *
 * Upstream refuses to migrate a VM once a page of it is on the host's
 * hardware-poison list: reading the page to send it would raise SIGBUS.
 * The VM that survived the memory error must then be rebooted on the
 * failing host instead of being evacuated.  With x-migrate-poisoned-memory
 * (on on the fork's machine types) the VM migrates: RAM migration sends
 * each poisoned page without reading it (ram_poison_page_lost()), and the
 * "resilient-poisoned-memory" section carries the list of those pages
 * and what the guest was told.  The destination checks the whole list
 * before it applies any of it, and poisons every page for guest access:
 * the guest's next access takes an action-required machine check, as on
 * the source.
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "exec/target_page.h"
#include "migration/vmstate.h"
#include "system/address-spaces.h"
#include "system/ramblock.h"
#include "system/ram-poison.h"
#include "cpu.h"
#include "memory-poison.h"
#include "trace.h"

typedef struct PoisonRecord {
    uint64_t gpa;
    uint8_t action_required;
    uint8_t reported;
} PoisonRecord;

typedef struct PoisonStream {
    int32_t count;
    PoisonRecord *records;
} PoisonStream;

static PoisonStream poison_stream;

bool ram_poison_migrates(void)
{
    return first_cpu && X86_CPU(first_cpu)->migrate_poisoned_memory;
}

bool ram_poison_any(void)
{
    return x86_memory_poison_count() != 0;
}

bool ram_poison_page_lost(RAMBlock *rb, ram_addr_t offset)
{
    return x86_memory_poison_ram_addr(rb->offset + offset);
}

static bool poison_needed(void *opaque)
{
    return ram_poison_migrates() && ram_poison_any();
}

static int poison_pre_save(void *opaque)
{
    PoisonStream *s = opaque;
    g_autofree X86PoisonedPageInfo *list = NULL;
    unsigned n;

    list = x86_memory_poison_list(&n);
    g_free(s->records);
    s->count = n;
    s->records = g_new0(PoisonRecord, n);
    for (unsigned i = 0; i < n; i++) {
        s->records[i] = (PoisonRecord) {
            .gpa = list[i].gpa,
            .action_required = list[i].action_required,
            .reported = list[i].reported,
        };
    }
    return 0;
}

static int poison_post_save(void *opaque)
{
    PoisonStream *s = opaque;

    g_clear_pointer(&s->records, g_free);
    s->count = 0;
    return 0;
}

/* A load that failed left what it had allocated: VMS_ALLOC overwrites. */
static int poison_pre_load(void *opaque)
{
    poison_post_save(opaque);
    return 0;
}

static bool poison_count_valid(void *opaque, int version_id)
{
    PoisonStream *s = opaque;

    /* Every page of the list is poisoned for access on arrival */
    if (s->count < 0 || s->count > X86_MEMORY_POISON_ON_ACCESS_MAX) {
        error_report("resilient-poisoned-memory: %d pages is not a count "
                     "of poisoned pages (at most %d, as many as QEMU "
                     "poisons for access)", s->count,
                     X86_MEMORY_POISON_ON_ACCESS_MAX);
        return false;
    }
    return true;
}

/* Whether @r, entry @i, names a guest RAM page after entry @i - 1. */
static bool record_valid(const PoisonStream *s, int i, Error **errp)
{
    const PoisonRecord *r = &s->records[i];
    MemoryRegionSection ram;

    if (r->gpa & ~TARGET_PAGE_MASK) {
        error_setg(errp, "entry %d: 0x%" PRIx64 " is not page-aligned",
                   i, r->gpa);
        return false;
    }
    if (i && r->gpa <= s->records[i - 1].gpa) {
        error_setg(errp, "entry %d: 0x%" PRIx64 " %s", i, r->gpa,
                   r->gpa == s->records[i - 1].gpa ? "is listed twice" :
                   "is out of order");
        return false;
    }
    if (r->action_required > 1 || r->reported > 1) {
        error_setg(errp, "entry %d: unknown kind %u/%u of error", i,
                   r->action_required, r->reported);
        return false;
    }
    if (!x86_guest_ram_page(r->gpa, &ram, errp)) {
        error_prepend(errp, "entry %d: ", i);
        return false;
    }
    memory_region_unref(ram.mr);
    return true;
}

static bool poison_post_load(void *opaque, int version_id, Error **errp)
{
    PoisonStream *s = opaque;
    bool ok = true;

    for (int i = 0; ok && i < s->count; i++) {
        ok = record_valid(s, i, errp);
    }
    for (int i = 0; ok && i < s->count; i++) {
        X86PoisonedPageInfo info = {
            .gpa = s->records[i].gpa,
            .action_required = s->records[i].action_required,
            .reported = s->records[i].reported,
        };

        ok = x86_memory_poison_restore(&info, errp);
    }
    if (!ok) {
        error_prepend(errp, "resilient-poisoned-memory: ");
    } else {
        trace_x86_memory_poison_loaded(s->count);
    }
    poison_post_save(s);
    return ok;
}

static const VMStateDescription vmstate_poison_record = {
    .name = "resilient-poisoned-memory/page",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(gpa, PoisonRecord),
        VMSTATE_UINT8(action_required, PoisonRecord),
        VMSTATE_UINT8(reported, PoisonRecord),
        VMSTATE_END_OF_LIST()
    }
};

const VMStateDescription vmstate_x86_poisoned_memory = {
    .name = "resilient-poisoned-memory",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = poison_needed,
    .pre_save = poison_pre_save,
    .post_save = poison_post_save,
    .pre_load = poison_pre_load,
    .post_load_errp = poison_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_INT32(count, PoisonStream),
        VMSTATE_VALIDATE("count of poisoned pages", poison_count_valid),
        VMSTATE_STRUCT_VARRAY_ALLOC(records, PoisonStream, count, 1,
                                    vmstate_poison_record, PoisonRecord),
        VMSTATE_END_OF_LIST()
    }
};

void *x86_memory_poison_stream(void)
{
    return &poison_stream;
}

void x86_memory_poison_realize(X86CPU *cpu)
{
    /* One list for the machine: with the first vCPU, on both sides. */
    if (CPU(cpu)->cpu_index == 0) {
        vmstate_register(NULL, 0, &vmstate_x86_poisoned_memory,
                         &poison_stream);
    }
}
