/*
 * Guest payload kit: the qtest side
 *
 * Boots a payload of tests/qtest/guest-payload/ under KVM or TCG, feeds it
 * inputs through the mailbox and collects its results.  Tests that need an
 * accelerator this host cannot provide are skipped with the reason.
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef QTEST_GUEST_PAYLOAD_H
#define QTEST_GUEST_PAYLOAD_H

#include "libqtest.h"
#include "guest-payload/mailbox.h"

typedef enum GuestPayloadAccel {
    GUEST_PAYLOAD_KVM,
    GUEST_PAYLOAD_TCG,
} GuestPayloadAccel;

typedef void GuestPayloadTestFunc(GuestPayloadAccel accel);

/* The name -accel takes. */
const char *guest_payload_accel_name(GuestPayloadAccel accel);

/* Whether @accel can run payloads here; if not, *@reason says why. */
bool guest_payload_accel_usable(GuestPayloadAccel accel, const char **reason);

/*
 * Register @fn as "@path/kvm" and "@path/tcg".  A variant whose accelerator
 * is not usable here is reported as skipped, with the reason.
 */
void guest_payload_add_test(const char *path, GuestPayloadTestFunc *fn);

/*
 * Start QEMU stopped (-S) with payload @name (e.g. "msr-readback") as its
 * firmware, with -action reboot=shutdown,shutdown=pause (a reset request
 * ends the run; a test that resets the VM itself switches the reboot
 * action to 'reset' around it with set-action), under
 * @accel, plus @extra_fmt arguments.  Asserts that QEMU really runs the
 * requested accelerator.
 */
QTestState *guest_payload_start(GuestPayloadAccel accel, const char *name,
                                const char *extra_fmt, ...)
    G_GNUC_PRINTF(3, 4);

/* The same, with @accel_opts after -accel's name: "x-errata-warnings=off" */
QTestState *guest_payload_start_accel_opts(GuestPayloadAccel accel,
                                           const char *accel_opts,
                                           const char *name,
                                           const char *extra_fmt, ...)
    G_GNUC_PRINTF(4, 5);

/* Write inputs[@index] before the payload runs. */
void guest_payload_set_input(QTestState *qts, unsigned index, uint64_t value);

/*
 * Wait, with the VM running, until the payload's checkpoint reaches @n
 * (a payload tells the qtest it is ready for what comes next); fails
 * the test if the VM stops first or after a minute.
 */
void guest_payload_wait_checkpoint(QTestState *qts, uint32_t n);

/*
 * Wait, with the VM running, until the payload has taken at least @n
 * exceptions of @vector; fails the test after a minute or if the
 * payload finishes first.
 */
void guest_payload_wait_exceptions(QTestState *qts, unsigned vector,
                                   uint32_t n);

/*
 * Wait, with the VM running, until the low 32 bits of values[@index]
 * reach @n (a counter the payload keeps); as above.
 */
void guest_payload_wait_value(QTestState *qts, unsigned index, uint32_t n);

/* Read the whole mailbox. */
void guest_payload_read_mailbox(QTestState *qts, GuestPayloadMailbox *mb);

/* query-status's status ("running", "internal-error"...); free it. */
char *guest_payload_run_status(QTestState *qts);

/* The QOM path of the payload's (first) vCPU; free it. */
char *guest_payload_cpu_path(QTestState *qts);

/*
 * @error, as qtest_qmp_assert_failure_ref() returns it, has a description
 * that contains @expected; consumes @error.
 */
void guest_payload_assert_error_says(QDict *error, const char *expected);

/* The QMP command @fmt fails (qtest_qmp_assert_failure_ref()) with @expected */
void guest_payload_qmp_refused(QTestState *qts, const char *expected,
                               const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/*
 * Let the VM run ('cont') and wait for its STOP event; return the first
 * @keep event ("SHUTDOWN"...) that came before it, or NULL.
 */
QDict *guest_payload_cont_until_stop(QTestState *qts, const char *keep);

/*
 * Let the payload run ('cont') and wait for it to finish: returns with the
 * VM stopped, RAM intact, and @mb holding its results.
 */
void guest_payload_run(QTestState *qts, GuestPayloadMailbox *mb);

#endif
