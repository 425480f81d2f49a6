/*
 * The guest's CPUID travels with its state, and is checked on arrival
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * A guest resumed on a CPU that lacks features it was started with
 * (TSX gone after a microcode update, a different -cpu on the
 * destination) crashes later, far from the cause, or silently runs
 * slower paths.  The source records the CPUID its guest saw in a
 * section of its own, sent first (early_setup): the destination compares
 * it with its own vCPU and, by default, refuses the load before any RAM
 * arrives, naming each missing feature and where it lives in CPUID.  A
 * live-migration source is then still in its first phase and keeps
 * running; a saved file is only read.
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "migration/vmstate.h"
#include "hw/qdev-properties.h"
#include "hw/core/qdev-prop-internal.h"
#include "cpu.h"
#include "cpu-internal.h"
#include "trace.h"

#define KEY_MSR 0xff

/* Where a feature word lives: CPUID leaf, subleaf and register, or MSR. */
static uint64_t word_key(FeatureWord w)
{
    const FeatureWordInfo *fi = &feature_word_info[w];

    if (fi->type == MSR_FEATURE_WORD) {
        return (uint64_t)fi->msr.index << 32 | KEY_MSR;
    }
    return (uint64_t)fi->cpuid.eax << 32 |
           (uint64_t)(fi->cpuid.needs_ecx ? fi->cpuid.ecx & 0xffffff : 0)
           << 8 | fi->cpuid.reg;
}

static int word_of_key(uint64_t key)
{
    for (FeatureWord w = 0; w < FEATURE_WORDS; w++) {
        if (word_key(w) == key) {
            return w;
        }
    }
    return -1;
}

static void describe_bit(GString *s, uint64_t key, int bit)
{
    static const char *const regs[] = {
        [R_EAX] = "EAX", [R_EBX] = "EBX", [R_ECX] = "ECX", [R_EDX] = "EDX",
    };
    int w = word_of_key(key);
    const char *name = w >= 0 ? feature_word_info[w].feat_names[bit] : NULL;
    uint32_t leaf = key >> 32;
    unsigned reg = key & 0xff;

    g_string_append_printf(s, "%s%s (", s->len ? ", " : "",
                           name ?: "unnamed feature");
    if (reg == KEY_MSR) {
        g_string_append_printf(s, "MSR 0x%x bit %d)", leaf, bit);
    } else if (w >= 0 && feature_word_info[w].cpuid.needs_ecx) {
        g_string_append_printf(s, "CPUID[0x%x,%u].%s[%d])", leaf,
                               (unsigned)(key >> 8) & 0xffffff,
                               reg < ARRAY_SIZE(regs) ? regs[reg] : "?",
                               bit);
    } else {
        g_string_append_printf(s, "CPUID[0x%x].%s[%d])", leaf,
                               reg < ARRAY_SIZE(regs) ? regs[reg] : "?",
                               bit);
    }
}

static bool cpuid_guard_needed(void *opaque)
{
    X86CPU *cpu = opaque;

    return cpu->cpuid_guard.send;
}

static int cpuid_guard_pre_save(void *opaque)
{
    X86CPU *cpu = opaque;
    CPUX86State *env = &cpu->env;
    X86CPUIDGuard *g = &cpu->cpuid_guard;

    QEMU_BUILD_BUG_ON(FEATURE_WORDS > X86_CPUID_GUARD_MAX_WORDS);
    g->vendor[0] = env->cpuid_vendor1;
    g->vendor[1] = env->cpuid_vendor2;
    g->vendor[2] = env->cpuid_vendor3;
    g->signature = env->cpuid_version;
    g->nr_words = FEATURE_WORDS;
    memset(g->keys, 0, sizeof(g->keys));
    memset(g->words, 0, sizeof(g->words));
    for (FeatureWord w = 0; w < FEATURE_WORDS; w++) {
        g->keys[w] = word_key(w);
        g->words[w] = env->features[w];
    }
    return 0;
}

static bool cpuid_guard_nr_words_valid(void *opaque, int version_id)
{
    X86CPU *cpu = opaque;

    return cpu->cpuid_guard.nr_words <= X86_CPUID_GUARD_MAX_WORDS;
}

static bool cpuid_guard_post_load(void *opaque, int version_id, Error **errp)
{
    X86CPU *cpu = opaque;
    CPUState *cs = CPU(cpu);
    CPUX86State *env = &cpu->env;
    X86CPUIDGuard *g = &cpu->cpuid_guard;
    g_autoptr(GString) missing = g_string_new(NULL);
    g_autoptr(GString) problem_s = NULL;
    g_autofree char *problem = NULL;
    bool vendor_differs;

    for (uint32_t i = 0; i < g->nr_words; i++) {
        int w = word_of_key(g->keys[i]);
        uint64_t lacking = g->words[i] & ~(w >= 0 ? env->features[w] : 0);

        for (int bit = 0; bit < 64; bit++) {
            if (lacking & BIT_ULL(bit)) {
                describe_bit(missing, g->keys[i], bit);
            }
        }
    }
    vendor_differs = g->vendor[0] != env->cpuid_vendor1 ||
                     g->vendor[1] != env->cpuid_vendor2 ||
                     g->vendor[2] != env->cpuid_vendor3;
    if (g->signature != env->cpuid_version && cs->cpu_index == 0) {
        warn_report("vCPU 0: the guest was started on family/model/stepping "
                    "signature 0x%x and resumes on 0x%x", g->signature,
                    env->cpuid_version);
    }
    if (!missing->len && !vendor_differs) {
        trace_x86_cpuid_guard_ok(cs->cpu_index);
        return true;
    }

    problem_s = g_string_new(NULL);
    if (vendor_differs) {
        char saw[CPUID_VENDOR_SZ + 1], here[CPUID_VENDOR_SZ + 1];

        x86_cpu_vendor_words2str(saw, g->vendor[0], g->vendor[1],
                                 g->vendor[2]);
        x86_cpu_vendor_words2str(here, env->cpuid_vendor1,
                                 env->cpuid_vendor2, env->cpuid_vendor3);
        g_string_append_printf(problem_s, "the guest saw CPU vendor %s, "
                               "this vCPU is %s", saw, here);
    }
    if (missing->len) {
        g_string_append_printf(problem_s, "%sthe guest was started with CPU "
                               "features this vCPU does not provide: %s",
                               problem_s->len ? "; " : "", missing->str);
    }
    problem = g_string_free(g_steal_pointer(&problem_s), false);
    trace_x86_cpuid_guard_mismatch(cs->cpu_index, problem);

    switch (g->check) {
    case X86_CPUID_GUARD_CHECK_ENFORCE:
        error_setg(errp, "vCPU %d: %s. The load stopped before the guest "
                   "ran; the saved state or the migration source is "
                   "untouched", cs->cpu_index, problem);
        error_append_hint(errp, "Start the destination with a CPU model "
                          "that provides them, or with "
                          "x-migrate-cpuid-check=warn to resume anyway.\n");
        return false;
    case X86_CPUID_GUARD_CHECK_WARN:
        if (cs->cpu_index == 0) {
            warn_report("vCPU 0: %s; resuming anyway "
                        "(x-migrate-cpuid-check=warn)", problem);
        }
        return true;
    default:
        return true;
    }
}

const VMStateDescription vmstate_x86_cpuid_guard = {
    .name = "resilient-cpuid",
    .version_id = 1,
    .minimum_version_id = 1,
    .early_setup = true,
    .needed = cpuid_guard_needed,
    .pre_save = cpuid_guard_pre_save,
    .post_load_errp = cpuid_guard_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32_ARRAY(cpuid_guard.vendor, X86CPU, 3),
        VMSTATE_UINT32(cpuid_guard.signature, X86CPU),
        VMSTATE_UINT32(cpuid_guard.nr_words, X86CPU),
        VMSTATE_VALIDATE("nr_words fits", cpuid_guard_nr_words_valid),
        VMSTATE_UINT64_ARRAY(cpuid_guard.keys, X86CPU,
                             X86_CPUID_GUARD_MAX_WORDS),
        VMSTATE_UINT64_ARRAY(cpuid_guard.words, X86CPU,
                             X86_CPUID_GUARD_MAX_WORDS),
        VMSTATE_END_OF_LIST()
    },
};

void x86_cpuid_guard_realize(X86CPU *cpu)
{
    vmstate_register(NULL, CPU(cpu)->cpu_index, &vmstate_x86_cpuid_guard,
                     cpu);
}

void x86_cpuid_guard_unrealize(X86CPU *cpu)
{
    vmstate_unregister(NULL, &vmstate_x86_cpuid_guard, cpu);
}

const PropertyInfo qdev_prop_x86_cpuid_guard_check = {
    .type = "X86CPUIDGuardCheck",
    .description = "When the incoming guest saw CPUID features this vCPU "
                   "lacks: enforce (refuse the load), warn or off",
    .enum_table = &X86CPUIDGuardCheck_lookup,
    .get = qdev_propinfo_get_enum,
    .set = qdev_propinfo_set_enum,
    .set_default_value = qdev_propinfo_set_default_value_enum,
};
