/*
 * Guest payload kit: multiboot header, flat GDT, IDT stubs, entry
 *
 * QEMU's multiboot loader enters here in 32-bit protected mode with paging
 * off.  Every exception vector has a stub that pushes a uniform frame
 * (see KitFrame in kit.h) and calls kit_exception().
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#define MULTIBOOT_MAGIC 0x1badb002
#define MULTIBOOT_FLAGS 0x00000000      /* plain ELF, no boot info needed */

#define KIT_CS          0x08
#define KIT_DS          0x10

        .section .multiboot, "a"
        .balign 4
        .long MULTIBOOT_MAGIC
        .long MULTIBOOT_FLAGS
        .long -(MULTIBOOT_MAGIC + MULTIBOOT_FLAGS)

        .text
        .globl _start
_start:
        cli
        lgdt gdt_descriptor
        ljmp $KIT_CS, $1f
1:      mov $KIT_DS, %ax
        mov %ax, %ds
        mov %ax, %es
        mov %ax, %fs
        mov %ax, %gs
        mov %ax, %ss
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
        iret

        .data
        .balign 8
gdt:
        .quad 0
        .quad 0x00cf9a000000ffff        /* KIT_CS: flat 32-bit code */
        .quad 0x00cf92000000ffff        /* KIT_DS: flat 32-bit data */
gdt_end:

        .balign 4
        .word 0
gdt_descriptor:
        .word gdt_end - gdt - 1
        .long gdt

        .bss
        .balign 16
        .space 16384
stack_top:

        .section .note.GNU-stack, "", @progbits
