/*
 * KVM's side of the host errata: the facts only KVM can tell (its
 * CPUID, its feature MSRs, the probe VM of kvm-cpuid-probe.c), given to
 * the accelerator-neutral check of kvm-errata-check.c, the start-up
 * warnings and the accelerator's errata properties
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <linux/kvm.h>
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qapi/error.h"
#include "qom/object.h"
#include "hw/core/cpu.h"
#include "system/kvm.h"
#include "system/system.h"
#include "cpu.h"
#include "kvm_i386.h"
#include "kvm-errata-kvm.h"
#include "kvm-cpuid-probe.h"
#include "target/i386/kvm-errata.h"
#include "target/i386/kvm-errata-check.h"
#include "trace.h"

/* The KVM accelerator is a singleton: its errata settings live here. */
static bool errata_warnings = true;
static char *host_facts_dir;

static bool supported_cpuid(uint32_t leaf, uint32_t subleaf,
                            uint32_t regs[4])
{
    static const int reg[4] = { R_EAX, R_EBX, R_ECX, R_EDX };

    for (int i = 0; i < 4; i++) {
        regs[i] = kvm_arch_get_supported_cpuid(kvm_state, leaf, subleaf,
                                               reg[i]);
    }
    return true;
}

static bool feature_msr(uint32_t index, uint64_t *value)
{
    *value = kvm_arch_get_supported_msr_feature(kvm_state, index);
    return *value != 0;
}

static const HostFactsKvm host_facts_kvm = {
    .supported_cpuid = supported_cpuid,
    .feature_msr = feature_msr,
    .cpuid_probe = kvm_cpuid_probe,
};

HostFacts *kvm_errata_host_facts(void)
{
    return host_facts_new(host_facts_dir, &host_facts_kvm);
}

static void warn_at_machine_done(Notifier *n, void *opaque)
{
    if (errata_warnings) {
        kvm_errata_warn();
    }
}

static Notifier machine_done = { .notify = warn_at_machine_done };

void kvm_errata_kvm_init(void)
{
    kvm_errata_set_host_facts_source(kvm_errata_host_facts);
    qemu_add_machine_init_done_notifier(&machine_done);
}

static bool get_errata_warnings(Object *obj, Error **errp)
{
    return errata_warnings;
}

static void set_errata_warnings(Object *obj, bool value, Error **errp)
{
    errata_warnings = value;
}

static char *get_host_facts(Object *obj, Error **errp)
{
    return g_strdup(host_facts_dir);
}

static void set_host_facts(Object *obj, const char *value, Error **errp)
{
    if (!g_file_test(value, G_FILE_TEST_IS_DIR)) {
        error_setg(errp, "x-host-facts: '%s' is not a directory", value);
        return;
    }
    g_free(host_facts_dir);
    host_facts_dir = g_strdup(value);
}

void kvm_errata_accel_class_init(ObjectClass *oc)
{
    object_class_property_add_bool(oc, "x-errata-warnings",
                                   get_errata_warnings, set_errata_warnings);
    object_class_property_set_description(oc, "x-errata-warnings",
        "Warn at start-up about known KVM host errata that this host has "
        "and that matter to this VM (default: on)");
    object_class_property_add_str(oc, "x-host-facts", get_host_facts,
                                  set_host_facts);
    object_class_property_set_description(oc, "x-host-facts",
        "For testing: read the host facts the errata checks use from "
        "this fixture directory instead of the host");
}
