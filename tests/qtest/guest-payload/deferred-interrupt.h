/*
 * Guest payload deferred-interrupt: mailbox slots shared with its qtest
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef GUEST_PAYLOAD_DEFERRED_INTERRUPT_H
#define GUEST_PAYLOAD_DEFERRED_INTERRUPT_H

#define DEFINT_MSR_CU_DEF_ERR   0xc0000410u
#define DEFINT_MCA_CONFIG(bank) (0xc0002004u + 0x10u * (bank))
#define DEFINT_APIC_BASE        0xfee00000u
#define DEFINT_KEEP             0xffu

/* MCA_CONFIG[DeferredIntType] (AMD PPR, family 19h) */
#define DEFINT_INT_TYPE_NONE    0
#define DEFINT_INT_TYPE_APIC    1   /* the extended-LVT deferred interrupt */

/* inputs[] */
#define DEFINT_IN_BANK          0
#define DEFINT_IN_VECTOR        1   /* what the guest puts in its LVT entry */
#define DEFINT_IN_MASKED        2   /* non-zero: the entry stays masked */
#define DEFINT_IN_INT_TYPE      3   /* MCA_CONFIG DeferredIntType to set */
#define DEFINT_IN_OFFSET        4   /* MSR_CU_DEF_ERR offset, or KEEP */
#define DEFINT_IN_PROGRAM       5   /* zero: program nothing at all */
#define DEFINT_IN_DONE          6   /* non-zero: report and end */
#define DEFINT_IN_END_AFTER     7   /* non-zero: end after so many */

/* Checkpoints */
#define DEFINT_CP_READY         1   /* programmed, interrupts on, waiting */

/* values[] */
#define DEFINT_OUT_CU_DEF_ERR   0   /* as read at start; ~0: #GP */
#define DEFINT_OUT_EXT_FEATURE  1   /* APIC 0x400 */
#define DEFINT_OUT_VERSION      2   /* APIC 0x30 */
#define DEFINT_OUT_LVT          3   /* the entry, read back */
#define DEFINT_OUT_CONFIG       4   /* MCA_CONFIG, read back */
#define DEFINT_OUT_INTERRUPTS   5   /* how many arrived, at the end */

#endif
