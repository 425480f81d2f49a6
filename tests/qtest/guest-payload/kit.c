/*
 * Guest payload kit: IDT, exception logging, reporting, end of run
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "kit.h"
#include "x86-arch.h"

#define KIT_CS          0x08
#define KIT_STUB_SIZE   16      /* .balign of each stub in start.S */
#define IDT_ENTRIES     GUEST_PAYLOAD_NR_VECTORS

typedef struct IdtGate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t zero;
    uint8_t type_attr;
    uint16_t offset_high;
} __attribute__((packed)) IdtGate;

typedef struct IdtDescriptor {
    uint16_t limit;
    uint32_t base;
} __attribute__((packed)) IdtDescriptor;

/* volatile: shared between the *_safe() helpers and the handler */
volatile uint32_t kit_fault_fixup;
/* volatile: likewise */
volatile int kit_fault_vector = KIT_NO_FAULT;
/* volatile: read by the stubs in start.S */
volatile uint8_t kit_iret;

static IdtGate idt[IDT_ENTRIES] __attribute__((aligned(8)));
static KitHandler *handlers[IDT_ENTRIES];

void kit_set_handler(unsigned vector, KitHandler *handler)
{
    if (vector < IDT_ENTRIES) {
        handlers[vector] = handler;
    }
}

void kit_report(unsigned index, uint64_t value)
{
    if (index < GUEST_PAYLOAD_NR_VALUES) {
        mailbox->values[index] = value;
    }
}

static void log_exception(const KitFrame *frame)
{
    uint32_t seq = ++mailbox->nr_exceptions;

    if (frame->vector < GUEST_PAYLOAD_NR_VECTORS) {
        mailbox->exception_count[frame->vector]++;
    }
    if (seq <= GUEST_PAYLOAD_EXCEPTION_LOG) {
        /* volatile: the mailbox is read by the qtest */
        volatile GuestPayloadException *e = &mailbox->exceptions[seq - 1];

        e->vector = frame->vector;
        e->error_code = frame->error_code;
        e->eip = frame->eip;
        e->seq = seq;
    }
}

/* Called by every stub in start.S. */
void kit_exception(KitFrame *frame)
{
    log_exception(frame);

    if (handlers[frame->vector]) {
        handlers[frame->vector](frame);
        return;
    }
    if (kit_fault_fixup) {
        /* A *_safe() helper expected this: resume after the instruction. */
        kit_fault_vector = frame->vector;
        frame->eip = kit_fault_fixup;
        kit_fault_fixup = 0;
        return;
    }
    if (frame->vector == VECTOR_NMI || frame->vector == VECTOR_MC) {
        /* Asynchronous events: logging them is all a payload needs. */
        return;
    }
    kit_finish(GUEST_PAYLOAD_STATUS_UNEXPECTED);
}

static void setup_idt(void)
{
    static IdtDescriptor desc;
    unsigned i;

    for (i = 0; i < IDT_ENTRIES; i++) {
        uint32_t addr = (uint32_t)kit_stubs + i * KIT_STUB_SIZE;

        idt[i].offset_low = addr & 0xffff;
        idt[i].selector = KIT_CS;
        idt[i].zero = 0;
        idt[i].type_attr = 0x8e;        /* present, ring 0, interrupt gate */
        idt[i].offset_high = addr >> 16;
    }
    desc.limit = sizeof(idt) - 1;
    desc.base = (uint32_t)idt;
    asm volatile("lidt %0" : : "m"(desc));
}

void __attribute__((noreturn)) kit_finish(uint32_t status)
{
    mailbox->status = status;
    mailbox->magic = GUEST_PAYLOAD_MAGIC_DONE;
    /*
     * With -device isa-debug-exit QEMU exits now with (status << 1) | 1;
     * without it the write is ignored and the reset request below ends
     * the run (qtests start QEMU with -action reboot=shutdown so that
     * the VM stops with its RAM intact and a SHUTDOWN event).
     */
    outb(GUEST_PAYLOAD_DEBUG_EXIT_PORT, status);
    outb(GUEST_PAYLOAD_KBD_CMD_PORT, 0xfe);
    halt_forever();
    __builtin_unreachable();
}

void kit_main(void)
{
    /* volatile: the mailbox is read by the qtest */
    volatile uint8_t *p = (volatile uint8_t *)&mailbox->magic;
    /* volatile: likewise; the end of the mailbox */
    volatile uint8_t *end = (volatile uint8_t *)(mailbox + 1);

    /* Clear the results, keep the inputs. */
    while (p < end) {
        *p++ = 0;
    }
    mailbox->magic = GUEST_PAYLOAD_MAGIC_RUNNING;
    setup_idt();
    kit_finish(payload_main());
}
