/*
 * Guest payload kit: the mailbox shared by a payload and its qtest
 *
 * The payload writes its results to a fixed place in guest RAM; the qtest
 * reads them with qtest memory reads once the payload has finished.  This
 * header is compiled both into 32-bit payloads and into 64-bit qtests, so
 * it uses fixed-width types and explicit alignment only.
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef GUEST_PAYLOAD_MAILBOX_H
#define GUEST_PAYLOAD_MAILBOX_H

/* Above the payload image (linked at 1 MiB), below anything firmware uses. */
#define GUEST_PAYLOAD_MAILBOX_ADDR      0x00200000u

#define GUEST_PAYLOAD_MAGIC_RUNNING     0x4e555250u /* "PRUN" */
#define GUEST_PAYLOAD_MAGIC_DONE        0x454e4f44u /* "DONE" */

/* Values of GuestPayloadMailbox.status */
#define GUEST_PAYLOAD_STATUS_PASS       0u
#define GUEST_PAYLOAD_STATUS_FAIL       1u
#define GUEST_PAYLOAD_STATUS_UNEXPECTED 2u  /* an exception nobody expected */

#define GUEST_PAYLOAD_NR_INPUTS         16
#define GUEST_PAYLOAD_NR_VALUES         64
#define GUEST_PAYLOAD_NR_VECTORS        32
#define GUEST_PAYLOAD_EXCEPTION_LOG     32

/* I/O ports the kit uses to end a run. */
#define GUEST_PAYLOAD_DEBUG_EXIT_PORT   0x501   /* isa-debug-exit default */
#define GUEST_PAYLOAD_KBD_CMD_PORT      0x64    /* i8042: 0xfe = reset */

typedef struct GuestPayloadException {
    uint32_t vector;
    uint32_t error_code;        /* 0 for vectors without one */
    uint32_t eip;               /* return address of the exception frame */
    uint32_t seq;               /* 1-based order of arrival */
} GuestPayloadException;

typedef struct GuestPayloadMailbox {
    /* Written by the qtest before the payload runs; never cleared. */
    uint64_t inputs[GUEST_PAYLOAD_NR_INPUTS] __attribute__((aligned(8)));

    /* Written by the payload. */
    uint32_t magic;
    uint32_t status;
    uint32_t checkpoint;        /* progress marker, payload-defined */
    uint32_t nr_exceptions;     /* all exceptions taken, logged or not */
    uint32_t exception_count[GUEST_PAYLOAD_NR_VECTORS];
    GuestPayloadException exceptions[GUEST_PAYLOAD_EXCEPTION_LOG];
    uint64_t values[GUEST_PAYLOAD_NR_VALUES] __attribute__((aligned(8)));
} GuestPayloadMailbox;

_Static_assert(sizeof(GuestPayloadMailbox) % 8 == 0,
               "mailbox layout must be the same for 32- and 64-bit code");

#endif
