/*
 * Guest payload pio-loop: mailbox slots shared with 'make bench'
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef GUEST_PAYLOAD_PIO_LOOP_H
#define GUEST_PAYLOAD_PIO_LOOP_H

/* inputs[] */
#define PIOLOOP_IN_COUNT        0   /* OUTs to do */
#define PIOLOOP_IN_PORT         1

#endif
