/*
 * Guest payload emulation-failure: an instruction KVM must emulate and
 * cannot
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef GUEST_PAYLOAD_EMULATION_FAILURE_H
#define GUEST_PAYLOAD_EMULATION_FAILURE_H

/*
 * No RAM or ROM there on q35 without devices: KVM has no memslot for
 * it, so an access exits to KVM's instruction emulator.
 */
#define EMULATION_FAILURE_MMIO_ADDR     0xfebf0000u

/* Set just before the instruction; the VM stops on it under KVM. */
#define EMULATION_FAILURE_CHECKPOINT_ABOUT_TO 1

#endif
