/*
 * Guest payload kit: reset vector, flat GDT, paging, IDT stubs, entry
 *
 * A payload is the guest's firmware (-bios): a 64 KiB image mapped just
 * below 4 GiB, entered at the reset vector in real mode.  The code in
 * .reset switches to flat 32-bit protected mode (paging off), copies the
 * image to RAM at 1 MiB, where it is linked, and jumps there.
 *
 * Every exception vector has a stub that pushes a uniform frame (KitFrame
 * in kit.h) and calls kit_exception().
 *
 * Restricted KVMs: some (PVM, say) run such a guest entirely in KVM's
 * instruction emulator, which cannot enable 32-bit paging and cannot IRET
 * in protected mode.  Hence no paging, and exception handlers that return
 * with POPF/RET (same privilege, same CS: nothing else IRET would do).
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#define KIT_CS          0x08
#define KIT_DS          0x10

#define CR0_PE          (1 << 0)
#define CR0_ET          (1 << 4)

#define ROM_BASE        0xffff0000      /* the image, as the CPU sees it */
#define RESET_SEG_OFF   0xf000          /* .reset within the 64 KiB segment */
/* The image's last 64 KiB also show below 1 MiB (the isa-bios alias). */
#define LOW_ALIAS_DELTA (0xfffff000 - 0xff000)

        .section .reset, "ax"
        .code16
reset16:
        cli
        cld
        /* .reset is at RESET_SEG_OFF in CS's segment. */
        lgdtl %cs:(RESET_SEG_OFF + gdt_descriptor_rom - reset16)
        /* Caches on (CD and NW are set at reset), protected mode on. */
        mov $(CR0_PE | CR0_ET), %eax
        mov %eax, %cr0
        ljmpl $KIT_CS, $(reset32 - LOW_ALIAS_DELTA)

        .code32
reset32:
        mov $KIT_DS, %ax
        mov %ax, %ds
        mov %ax, %es
        mov %ax, %ss

        mov $ROM_BASE, %esi
        mov $__image_start, %edi
        mov $__image_end, %ecx
        sub %edi, %ecx
        shr $2, %ecx
        rep movsl
        mov $__bss_start, %edi
        mov $__bss_end, %ecx
        sub %edi, %ecx
        shr $2, %ecx
        xor %eax, %eax
        rep stosl
        ljmp $KIT_CS, $kit_entry

        .balign 8
gdt_rom:
        /*
         * Accessed bits preset: the GDT stays in ROM, and a CPU (or KVM's
         * emulator) that had to set them would write to it, and retry.
         */
        .quad 0
        .quad 0x00cf9b000000ffff        /* KIT_CS: flat 32-bit code */
        .quad 0x00cf93000000ffff        /* KIT_DS: flat 32-bit data */
gdt_rom_end:
        .balign 4
        .word 0
gdt_descriptor_rom:
        .word gdt_rom_end - gdt_rom - 1
        .long gdt_rom - LOW_ALIAS_DELTA

        /* The reset vector: 0xfffffff0, CS base ROM_BASE, IP 0xfff0. */
        .org 0xff0
        .code16
        .globl reset_vector
reset_vector:
        /*
         * Far jump to the image's alias below 1 MiB first, as SeaBIOS
         * does: it gives CS a real-mode base (0xf0000) that a KVM without
         * unrestricted-guest support can run natively (vm86).
         */
        ljmp $0xf000, $RESET_SEG_OFF
        .org 0x1000

        .text
        .code32
kit_entry:
        mov $stack_top, %esp
        call kit_main
2:      cli
        hlt
        jmp 2b

/* Vectors for which the CPU pushes an error code. */
#define HAS_ERROR_CODE(v) \
        ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || \
         (v) == 29 || (v) == 30)

        .macro stub vector
        .balign 16
kit_stub_\vector:
        .if !HAS_ERROR_CODE(\vector)
        push $0
        .endif
        push $\vector
        jmp kit_stub_common
        .endm

        .balign 16
        .globl kit_stubs
kit_stubs:
        .altmacro
        .set v, 0
        .rept 32
        stub %v
        .set v, v + 1
        .endr

kit_stub_common:
        pusha
        mov %esp, %eax
        push %eax
        cld
        call kit_exception
        add $4, %esp
        popa
        add $8, %esp            /* vector and error code */
        cmpb $0, kit_iret       /* EFLAGS come back from the frame */
        je 1f
        iret
1:
        /*
         * Return without IRET (see the top of this file): the frame is
         * EIP, CS, EFLAGS; make it EFLAGS, EIP and POPF, RET.
         */
        push %eax
        mov 4(%esp), %eax       /* EIP */
        xchg %eax, 12(%esp)     /* EIP to EFLAGS's slot, EFLAGS to EAX */
        mov %eax, 8(%esp)       /* EFLAGS to CS's slot */
        pop %eax
        add $4, %esp            /* the old EIP slot */
        popf
        ret

        .bss
        .balign 16
        .space 16384
stack_top:

        .section .note.GNU-stack, "", @progbits
