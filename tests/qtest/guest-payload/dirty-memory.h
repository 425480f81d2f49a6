/*
 * Guest payload dirty-memory: mailbox slots shared with 'make bench'
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef GUEST_PAYLOAD_DIRTY_MEMORY_H
#define GUEST_PAYLOAD_DIRTY_MEMORY_H

/* inputs[] */
#define DIRTY_IN_BASE           0   /* guest-physical start of the writes */
#define DIRTY_IN_BYTES          1   /* 0: halt, an idle guest */

/* Checkpoints */
#define DIRTY_CP_RUNNING        1   /* about to write, or to halt */

/* values[] */
#define DIRTY_OUT_ROUNDS        0   /* rounds over the whole range */

#endif
