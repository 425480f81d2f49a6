/*
 * The vcpu-events payload's VM, moved between QEMU processes
 *
 * Shared by the vCPU-event qtests: start the payload, put its vCPU in a
 * known event state, move it (saved to a file and restored, or live over
 * loopback TCP) to a new process, and read both QEMU's view
 * (x-query-vcpu-events) and the guest's (its mailbox).
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef QTEST_VCPU_EVENTS_GUEST_H
#define QTEST_VCPU_EVENTS_GUEST_H

#include "guest-payload.h"
#include "guest-payload/vcpu-events.h"

/* qemu-resilient's own machine type: what the fork adds is on there */
#define MACHINE_FORK        "pc-i440fx-10.2-resilient1"
#define MACHINE_10_2        "pc-i440fx-10.2"
#define MACHINE_10_1        "pc-i440fx-10.1"

#define VCPU_EVENTS_NO_IRET \
    "this KVM cannot run IRET in protected mode (it emulates the whole " \
    "guest), so NMIs stay blocked after the first"

typedef enum Transport {
    VIA_FILE,           /* migrate to a file, restore in a new process */
    VIA_TCP,            /* live migration over loopback TCP */
} Transport;

typedef struct Guest {
    GuestPayloadAccel accel;
    const char *machine;
    char *cpu;          /* -cpu of the next process */
    QTestState *qts;    /* the process that has the guest now */
    char *dir;          /* migration file, stderr of each process */
    char *errfile;      /* stderr of g->qts */
    unsigned processes;
} Guest;

/*
 * Start the payload in @mode on @machine and let it run until its wait
 * loop is entered.  False if it stopped on the way: with @iret, a KVM
 * that cannot run IRET in protected mode.
 */
bool vcpu_events_guest_try_start(Guest *g, GuestPayloadAccel accel,
                                 const char *machine, uint32_t mode,
                                 bool iret);

/* The same, with the test skipped, saying why, if it returns false. */
bool vcpu_events_guest_start(Guest *g, GuestPayloadAccel accel,
                             const char *machine, uint32_t mode, bool iret);

/* Move the guest to a new process, with -cpu @cpu (NULL: the same). */
void vcpu_events_guest_move(Guest *g, Transport t, const char *cpu);

/*
 * Move the guest, expecting the destination may refuse it: the
 * destination's migration status.  The guest is then in the destination
 * process (stopped) whatever the outcome; the source is gone.
 */
char *vcpu_events_guest_move_status(Guest *g, Transport t);

/* Set VE_IN_FINISH and wait for the payload to end; its mailbox. */
void vcpu_events_guest_finish(Guest *g, GuestPayloadMailbox *mb);

/* Quit the process and remove the files. */
void vcpu_events_guest_end(Guest *g);

void vcpu_events_stop(QTestState *qts);
void vcpu_events_cont(QTestState *qts);

/* x-query-vcpu-events for vCPU 0; unref it. */
QDict *vcpu_events_query(QTestState *qts);
/* Member @key of the dictionary @part ("nmi", "interrupt"...). */
bool vcpu_events_part_bool(QDict *ev, const char *part, const char *key);

/* Whether the current process's stderr has @text. */
bool vcpu_events_stderr_has(const Guest *g, const char *text);

/*
 * Wait until the guest is back in its wait loop after its last handler
 * (the loop counter moved on): an event queued before that would be
 * taken in the handler's return path, not in the loop.
 */
void vcpu_events_wait_in_loop(QTestState *qts);

/*
 * Assert that exception log entry @i is @vector with @error_code, taken
 * in the wait loop, where queued events return to.
 */
void vcpu_events_assert_logged(const GuestPayloadMailbox *mb, unsigned i,
                               uint32_t vector, uint32_t error_code);

#endif
