/*
 * Guest payload msr-timing: mailbox slots shared with 'make bench'
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef GUEST_PAYLOAD_MSR_TIMING_H
#define GUEST_PAYLOAD_MSR_TIMING_H

/* inputs[] */
#define MSRTIME_IN_MSR0         0
#define MSRTIME_IN_MSR1         1
#define MSRTIME_IN_COUNT        2   /* accesses timed per MSR */
#define MSRTIME_IN_WRITES       3   /* bit i: write MSR i instead of read */

/* values[] */
#define MSRTIME_OUT_TICKS0      0   /* TSC ticks of the MSRTIME_IN_MSR0 loop */
#define MSRTIME_OUT_TICKS1      1

#endif
