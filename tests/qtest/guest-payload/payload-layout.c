/*
 * Guest payload kit: the mailbox layout and slot numbers, for Python
 *
 * The integration tests and 'make bench' drive the payloads from Python.
 * Rather than copy byte offsets and slot numbers out of the headers, they
 * read the JSON this host program prints at build time
 * (payload-layout.json beside the payloads; tests/integration/
 * payload_layout.py loads it).  It is built 32-bit, as the payloads are,
 * so offsetof here is theirs.
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mailbox.h"
#include "x86-arch.h"
#include "vcpu-events.h"
#include "memory-error.h"
#include "deferred-interrupt.h"
#include "msr-timing.h"
#include "pio-loop.h"
#include "dirty-memory.h"
#include "cpuid-dump.h"

static const char *sep = "";

static void item(const char *name, unsigned long long value)
{
    printf("%s\n    \"%s\": %llu", sep, name, value);
    sep = ",";
}

#define OFFSET(field) item(#field, offsetof(GuestPayloadMailbox, field))
#define ELEMENT_SIZE(array) \
    item(#array, sizeof(((GuestPayloadMailbox *)0)->array[0]))
#define CONSTANT(name) item(#name, name)

int main(void)
{
    printf("{\n  \"mailbox_address\": %u,\n  \"mailbox_size\": %u,\n",
           GUEST_PAYLOAD_MAILBOX_ADDR,
           (unsigned)sizeof(GuestPayloadMailbox));
    printf("  \"offsets\": {");
    OFFSET(inputs);
    OFFSET(magic);
    OFFSET(status);
    OFFSET(checkpoint);
    OFFSET(nr_exceptions);
    OFFSET(exception_count);
    OFFSET(exceptions);
    OFFSET(values);
    printf("\n  },\n");

    sep = "";
    printf("  \"element_sizes\": {");
    ELEMENT_SIZE(inputs);
    ELEMENT_SIZE(exception_count);
    ELEMENT_SIZE(exceptions);
    ELEMENT_SIZE(values);
    printf("\n  },\n");

    sep = "";
    printf("  \"constants\": {");
    /* mailbox.h */
    CONSTANT(GUEST_PAYLOAD_MAGIC_RUNNING);
    CONSTANT(GUEST_PAYLOAD_MAGIC_DONE);
    CONSTANT(GUEST_PAYLOAD_STATUS_PASS);
    CONSTANT(GUEST_PAYLOAD_STATUS_FAIL);
    CONSTANT(GUEST_PAYLOAD_STATUS_UNEXPECTED);
    CONSTANT(GUEST_PAYLOAD_NR_INPUTS);
    CONSTANT(GUEST_PAYLOAD_NR_VALUES);
    CONSTANT(GUEST_PAYLOAD_NR_VECTORS);
    /* x86-arch.h */
    CONSTANT(VECTOR_NMI);
    CONSTANT(VECTOR_UD);
    CONSTANT(VECTOR_GP);
    CONSTANT(VECTOR_MC);
    CONSTANT(MCI_VAL);
    CONSTANT(MCI_UC);
    CONSTANT(MCI_EN);
    CONSTANT(MCI_ADDRV);
    CONSTANT(MCI_S);
    CONSTANT(MCI_DEFERRED);
    CONSTANT(MCI_POISON);
    CONSTANT(MCG_RIPV);
    CONSTANT(MCG_MCIP);
    /* vcpu-events.h */
    CONSTANT(VE_IN_MODE);
    CONSTANT(VE_IN_IRET);
    CONSTANT(VE_IN_MC_BANK);
    CONSTANT(VE_IN_FINISH);
    CONSTANT(VE_MODE_WAIT);
    CONSTANT(VE_CP_READY);
    CONSTANT(VE_OUT_LOOPS);
    CONSTANT(VE_OUT_MC_STATUS);
    CONSTANT(VE_OUT_MC_ADDR);
    CONSTANT(VE_OUT_MCG_STATUS);
    CONSTANT(VE_OUT_MC_HANDLED);
    /* memory-error.h */
    CONSTANT(MEMERR_IN_MODE);
    CONSTANT(MEMERR_IN_BANK);
    CONSTANT(MEMERR_MODE_POLL);
    CONSTANT(MEMERR_MODE_MC);
    CONSTANT(MEMERR_CP_READY);
    CONSTANT(MEMERR_OUT_STATUS);
    CONSTANT(MEMERR_OUT_ADDR);
    CONSTANT(MEMERR_OUT_CLEAR_VECTOR);
    /* deferred-interrupt.h */
    CONSTANT(DEFINT_IN_BANK);
    CONSTANT(DEFINT_IN_VECTOR);
    CONSTANT(DEFINT_IN_INT_TYPE);
    CONSTANT(DEFINT_IN_OFFSET);
    CONSTANT(DEFINT_IN_PROGRAM);
    CONSTANT(DEFINT_IN_END_AFTER);
    CONSTANT(DEFINT_CP_READY);
    CONSTANT(DEFINT_KEEP);
    CONSTANT(DEFINT_INT_TYPE_APIC);
    /* msr-timing.h */
    CONSTANT(MSRTIME_IN_MSR0);
    CONSTANT(MSRTIME_IN_MSR1);
    CONSTANT(MSRTIME_IN_COUNT);
    CONSTANT(MSRTIME_IN_WRITES);
    CONSTANT(MSRTIME_OUT_TICKS0);
    CONSTANT(MSRTIME_OUT_TICKS1);
    /* pio-loop.h */
    CONSTANT(PIOLOOP_IN_COUNT);
    CONSTANT(PIOLOOP_IN_PORT);
    /* dirty-memory.h */
    CONSTANT(DIRTY_IN_BASE);
    CONSTANT(DIRTY_IN_BYTES);
    CONSTANT(DIRTY_CP_RUNNING);
    CONSTANT(DIRTY_OUT_ROUNDS);
    /* cpuid-dump.h */
    CONSTANT(CPUID_DUMP_IN_COUNT);
    CONSTANT(CPUID_DUMP_IN_LEAF0);
    CONSTANT(CPUID_DUMP_MAX_LEAVES);
    CONSTANT(CPUID_DUMP_IN_SPIN);
    CONSTANT(CPUID_DUMP_CHECKPOINT_SPINNING);
    CONSTANT(CPUID_DUMP_EAX);
    CONSTANT(CPUID_DUMP_EBX);
    CONSTANT(CPUID_DUMP_ECX);
    CONSTANT(CPUID_DUMP_EDX);
    item("CPUID_DUMP_OUT_PER_LEAF",
         CPUID_DUMP_OUT(1, 0) - CPUID_DUMP_OUT(0, 0));
    printf("\n  }\n}\n");
    return fflush(stdout) != 0 || ferror(stdout);
}
