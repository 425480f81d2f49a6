/*
 * Guest payload memory-error: mailbox slots shared with its qtest
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef GUEST_PAYLOAD_MEMORY_ERROR_H
#define GUEST_PAYLOAD_MEMORY_ERROR_H

/* inputs[] */
#define MEMERR_IN_MODE          0
#define MEMERR_IN_BANK          1
#define MEMERR_IN_TOUCH_GPA     2   /* MEMERR_MODE_TOUCH: the page to read */
#define MEMERR_IN_GO            3   /* MEMERR_MODE_TOUCH: non-zero: read it */
#define MEMERR_IN_TOUCHES       4   /* MEMERR_MODE_TOUCH: reads (0: one) */
#define MEMERR_IN_REPORTING     5   /* MEMERR_MODE_TOUCH: MEMERR_REPORT_* */

/* MEMERR_IN_REPORTING: what the guest turns off before it reads */
#define MEMERR_REPORT_ON        0
#define MEMERR_REPORT_BANK_OFF  1   /* MCi_CTL of the bank: 0 */
#define MEMERR_REPORT_MCG_OFF   2   /* MCG_CTL: 0 */
#define MEMERR_REPORT_NO_MCA    3   /* none to turn off: the vCPU has no MCA */

/* Modes */
#define MEMERR_MODE_POLL        1   /* poll the bank, as for AMD AO */
#define MEMERR_MODE_MC          2   /* wait for #MC, handle it, return */
#define MEMERR_MODE_MC_NESTED   3   /* wait for #MC, stay in the handler */
#define MEMERR_MODE_TOUCH       4   /* on GO, read a page; #MC expected */

/* Checkpoints */
#define MEMERR_CP_READY         1   /* CR4.MCE set, handler installed */
#define MEMERR_CP_IN_HANDLER    2   /* MEMERR_MODE_MC_NESTED: MCIP set */

/* values[] */
#define MEMERR_OUT_STATUS       0   /* MCi_STATUS as found */
#define MEMERR_OUT_ADDR         1
#define MEMERR_OUT_MISC         2
#define MEMERR_OUT_MCG_STATUS   3   /* in the #MC handler */
#define MEMERR_OUT_DESTAT       4   /* AMD SMCA view, MODE_POLL */
#define MEMERR_OUT_DEADDR       5
#define MEMERR_OUT_CLEAR_VECTOR 6   /* clearing DESTAT and MCi_STATUS */
#define MEMERR_OUT_MC_COUNT     7   /* #MC handler runs */
#define MEMERR_OUT_POLLS        8   /* reads until the error showed */
#define MEMERR_OUT_MC_EIP       9   /* where the #MC interrupted the guest */
#define MEMERR_OUT_TOUCH_EIP    10  /* the instruction that read the page */
#define MEMERR_OUT_AFTER_EIP    11  /* the instruction after it */
#define MEMERR_OUT_TOUCH_VALUE  12  /* what the last read returned */

#ifdef GUEST_PAYLOAD_KIT_H
/* In the payload: the read of MEMERR_MODE_TOUCH and the instruction after */
extern const char memerr_touch_insn[], memerr_touch_after[];
#endif

#endif
