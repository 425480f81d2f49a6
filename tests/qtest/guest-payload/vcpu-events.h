/*
 * Guest payload vcpu-events: mailbox slots shared with its qtests
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef GUEST_PAYLOAD_VCPU_EVENTS_H
#define GUEST_PAYLOAD_VCPU_EVENTS_H

/* inputs[] */
#define VE_IN_MODE              0
#define VE_IN_IRET              1   /* handlers return with IRET */
#define VE_IN_MC_BANK           2   /* the bank the #MC handler reads */
#define VE_IN_FINISH            3   /* set by the qtest: end the run */
#define VE_IN_RELEASE           4   /* VE_MODE_NMI_HOLD: leave the handler */

/* Modes */
#define VE_MODE_WAIT            0   /* spin, counting, until VE_IN_FINISH */
#define VE_MODE_SHADOW          1   /* MOV SS after MOV SS, until FINISH */
#define VE_MODE_NMI_HOLD        2   /* first NMI handler waits for RELEASE */

/* Checkpoints */
#define VE_CP_READY             1   /* handlers in place, CR4.MCE set */
#define VE_CP_IN_NMI            2   /* VE_MODE_NMI_HOLD: in the handler */

/* values[] */
#define VE_OUT_LOOP_START       0   /* the wait loop's address range: */
#define VE_OUT_LOOP_END         1   /* where queued exceptions return to */
#define VE_OUT_LOOPS            2   /* wait-loop rounds (low 32 bits) */
#define VE_OUT_CR2              3   /* CR2 in the last #PF handler */
#define VE_OUT_MC_STATUS        4   /* MCi_STATUS in the last #MC handler */
#define VE_OUT_MC_ADDR          5
#define VE_OUT_MCG_STATUS       6
#define VE_OUT_NMIS_AT_RELEASE  7   /* VE_MODE_NMI_HOLD: NMIs when released */
#define VE_OUT_MC_HANDLED       8   /* #MC handlers done (MCIP cleared) */

#endif
