/*
 * vCPU event state in the migration stream: made consistent on every
 * load, and the STI/MOV SS interrupt shadow carried with it
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "migration/vmstate.h"
#include "system/tcg.h"
#include "cpu.h"

void x86_vcpu_events_error_code_loaded(X86CPU *cpu)
{
    cpu->vcpu_events.error_code_loaded = true;
}

int x86_vcpu_events_post_load(X86CPU *cpu)
{
    CPUX86State *env = &cpu->env;
    Error *err = NULL;
    bool ok = x86_vcpu_events_sanitize(cpu, X86_VCPU_EVENTS_LOADED, &err);

    cpu->vcpu_events.error_code_loaded = false;
    if (!ok) {
        error_report_err(err);
        return -EINVAL;
    }
    /* TCG keeps the shadow in hflags; KVM in the event state. */
    if (tcg_enabled() && env->interrupt_shadow) {
        env->hflags |= HF_INHIBIT_IRQ_MASK;
        env->interrupt_shadow = 0;
    } else if (!tcg_enabled() && (env->hflags & HF_INHIBIT_IRQ_MASK)) {
        env->hflags &= ~HF_INHIBIT_IRQ_MASK;
        env->interrupt_shadow |= X86_INTERRUPT_SHADOW_STI;
    }
    return 0;
}

static bool interrupt_shadow_needed(void *opaque)
{
    X86CPU *cpu = opaque;

    return cpu->vcpu_events.send_shadow && cpu->env.interrupt_shadow;
}

/* In vmstate_x86_cpu's subsections; upstream machine types omit it. */
const VMStateDescription vmstate_x86_interrupt_shadow = {
    .name = "cpu/interrupt_shadow",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = interrupt_shadow_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(env.interrupt_shadow, X86CPU),
        VMSTATE_END_OF_LIST()
    }
};
