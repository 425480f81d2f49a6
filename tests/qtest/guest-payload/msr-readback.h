/*
 * Guest payload msr-readback: mailbox slots shared with its qtest
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef GUEST_PAYLOAD_MSR_READBACK_H
#define GUEST_PAYLOAD_MSR_READBACK_H

#define MSR_READBACK_SYSENTER_CS        0x174
#define MSR_READBACK_SYSENTER_ESP       0x175
#define MSR_READBACK_SYSENTER_EIP       0x176
#define MSR_READBACK_NR                 3

/* inputs[] */
#define MSR_READBACK_IN_VALUE0          0       /* one per MSR, in order */

/* values[] */
#define MSR_READBACK_OUT_BEFORE0        0       /* MSR_READBACK_NR slots */
#define MSR_READBACK_OUT_AFTER0         4       /* MSR_READBACK_NR slots */
#define MSR_READBACK_OUT_UD_EIP         8
#define MSR_READBACK_OUT_UD_VECTOR      9

#endif
