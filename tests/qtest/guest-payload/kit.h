/*
 * Guest payload kit: what a payload program can use
 *
 * A payload is a tiny freestanding 32-bit protected-mode program that is
 * its guest's firmware (-bios NAME.bin).  It defines payload_main(); the
 * kit enters flat protected mode (paging off), sets up an IDT whose
 * handlers log every exception to the mailbox, calls payload_main(), and
 * ends the run when it returns.
 *
 * Exception handlers return with POPF/RET, not IRET (see start.S), unless
 * the payload sets kit_iret: otherwise NMIs stay blocked after the first
 * NMI handler returns.
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef GUEST_PAYLOAD_KIT_H
#define GUEST_PAYLOAD_KIT_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include "mailbox.h"

/* Returned by the *_safe() helpers when the instruction did not fault. */
#define KIT_NO_FAULT (-1)

/* What the exception stubs push; see start.S. */
typedef struct KitFrame {
    uint32_t edi, esi, ebp, esp, ebx, edx, ecx, eax;    /* pusha */
    uint32_t vector;
    uint32_t error_code;
    uint32_t eip, cs, eflags;                           /* pushed by CPU */
} KitFrame;

typedef void KitHandler(KitFrame *frame);

/* The payload's entry point: return GUEST_PAYLOAD_STATUS_*. */
uint32_t payload_main(void);

/* volatile: the qtest reads the mailbox behind the compiler's back */
typedef volatile GuestPayloadMailbox KitMailbox;

static KitMailbox *const mailbox = (KitMailbox *)GUEST_PAYLOAD_MAILBOX_ADDR;

/*
 * Set by the *_safe() helpers: where a faulting instruction resumes, and
 * which vector it raised.  volatile: the exception handler writes them.
 */
extern volatile uint32_t kit_fault_fixup;
/* volatile: see kit_fault_fixup */
extern volatile int kit_fault_vector;

/*
 * Nonzero: exception handlers return with IRET, which unblocks NMIs.
 * Restricted KVMs that emulate the whole guest cannot IRET in protected
 * mode (a KVM internal error), so payloads ask for it only when needed.
 */
extern volatile uint8_t kit_iret;

/* Kit internals, called from start.S; payloads do not use them. */
extern char kit_stubs[];
void kit_main(void);
void kit_exception(KitFrame *frame);

/* Install a handler for @vector instead of the default (log and fail). */
void kit_set_handler(unsigned vector, KitHandler *handler);

/* Store a result for the qtest. */
void kit_report(unsigned index, uint64_t value);

/* A value the qtest wrote before the payload started. */
static inline uint64_t kit_input(unsigned index)
{
    return mailbox->inputs[index];
}

static inline void kit_checkpoint(uint32_t n)
{
    mailbox->checkpoint = n;
}

/* End the run: publish @status, then exit via isa-debug-exit or reset. */
void __attribute__((noreturn)) kit_finish(uint32_t status);

static inline void outb(uint16_t port, uint8_t v)
{
    asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
    asm volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
    asm volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;

    asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint16_t inw(uint16_t port)
{
    uint16_t v;

    asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint32_t inl(uint16_t port)
{
    uint32_t v;

    asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t *eax,
                         uint32_t *ebx, uint32_t *ecx, uint32_t *edx)
{
    asm volatile("cpuid"
                 : "=a"(*eax), "=b"(*ebx), "=c"(*ecx), "=d"(*edx)
                 : "a"(leaf), "c"(subleaf));
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;

    asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
    asm volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v),
                 "d"((uint32_t)(v >> 32)) : "memory");
}

/*
 * Run one instruction that may fault: the exception is logged, the
 * instruction skipped, and its vector returned (KIT_NO_FAULT if none).
 */
static inline int rdmsr_safe(uint32_t msr, uint64_t *v)
{
    uint32_t lo = 0, hi = 0;

    kit_fault_vector = KIT_NO_FAULT;
    asm volatile("movl $1f, kit_fault_fixup\n\t"
                 "rdmsr\n"
                 "1:\tmovl $0, kit_fault_fixup"
                 : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
    *v = ((uint64_t)hi << 32) | lo;
    return kit_fault_vector;
}

static inline int wrmsr_safe(uint32_t msr, uint64_t v)
{
    kit_fault_vector = KIT_NO_FAULT;
    asm volatile("movl $1f, kit_fault_fixup\n\t"
                 "wrmsr\n"
                 "1:\tmovl $0, kit_fault_fixup"
                 : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
                 : "memory");
    return kit_fault_vector;
}

/* Raise #UD; returns the address of the faulting instruction. */
static inline uint32_t ud2_safe(int *vector)
{
    uint32_t eip;

    kit_fault_vector = KIT_NO_FAULT;
    asm volatile("movl $1f, kit_fault_fixup\n\t"
                 "movl $2f, %0\n"
                 "2:\tud2\n"
                 "1:\tmovl $0, kit_fault_fixup"
                 : "=r"(eip) : : "memory");
    *vector = kit_fault_vector;
    return eip;
}

static inline void halt_forever(void)
{
    for (;;) {
        asm volatile("cli; hlt");
    }
}

#endif
