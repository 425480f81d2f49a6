/*
 * Which x86 exceptions deliver an error code
 *
 * One table for TCG (raising an exception), the vCPU-event sanitizer
 * (before KVM_SET_VCPU_EVENTS and on every load) and x-inject-exception.
 * KVM does not check has_error_code against the vector, and pre-CET Intel
 * CPUs fail VM entry when they disagree (see docs/system/i386/
 * vcpu-events.rst).
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TARGET_I386_EXCEPTION_ERROR_CODE_H
#define TARGET_I386_EXCEPTION_ERROR_CODE_H

/* Exceptions are vectors 0-31; 2 is NMI, an interrupt. */
#define X86_NR_EXCEPTIONS           32
#define X86_EXCEPTION_NMI           2

/* #DF, #TS, #NP, #SS, #GP, #PF, #AC and #CP push an error code. */
#define X86_EXCEPTION_ERROR_CODE_MASK \
    ((1u << 8) | (1u << 10) | (1u << 11) | (1u << 12) | (1u << 13) | \
     (1u << 14) | (1u << 17) | (1u << 21))

static inline bool x86_exception_has_error_code(int vector)
{
    return vector >= 0 && vector < X86_NR_EXCEPTIONS &&
           (X86_EXCEPTION_ERROR_CODE_MASK >> vector) & 1;
}

/* Whether @vector may be queued as an exception at all. */
static inline bool x86_exception_vector_valid(int vector)
{
    return vector >= 0 && vector < X86_NR_EXCEPTIONS &&
           vector != X86_EXCEPTION_NMI;
}

#endif
