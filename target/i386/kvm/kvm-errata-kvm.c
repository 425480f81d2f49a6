/*
 * KVM's side of the host errata: the facts only KVM can tell (its
 * CPUID, its feature MSRs, a probe VM), the start-up check, and the
 * report when KVM fails to run a vCPU
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qapi/error.h"
#include "qapi/qapi-events-kvm-errata.h"
#include "qom/object.h"
#include "hw/core/cpu.h"
#include "system/kvm.h"
#include "system/system.h"
#include "cpu.h"
#include "kvm_i386.h"
#include "kvm-errata-kvm.h"
#include "target/i386/kvm-errata.h"
#include "target/i386/kvm-errata-check.h"
#include "target/i386/vcpu-events-monitor.h"
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

/*
 * CPUID leaf 1 feature flags as the probe VM is told to show them:
 * few, and none of those KVM updates at run time (OSXSAVE, MONITOR,
 * APIC), which the comparison masks anyway.
 */
#define PROBE_ECX 0x00000022u
#define PROBE_EDX 0x00000033u
#define PROBE_ECX_DYNAMIC ((1u << 27) | (1u << 3))
#define PROBE_EDX_DYNAMIC (1u << 9)

/*
 * A VM of one vCPU and one page, given few feature flags with
 * KVM_SET_CPUID2, runs CPUID leaf 1 and halts.  A KVM that virtualizes
 * CPUID returns those flags; one that does not (a restricted or nested
 * KVM) returns its host's, as every guest on it sees them whatever
 * -cpu says.
 */
static HostFactsProbe run_cpuid_probe(char **detail)
{
    struct {
        struct kvm_cpuid2 cpuid;
        struct kvm_cpuid_entry2 entries[2];
    } cpuid = {
        .cpuid.nent = 2,
        .entries[0] = { .function = 0, .eax = 1 },
        .entries[1] = { .function = 1, .ecx = PROBE_ECX, .edx = PROBE_EDX },
    };
    static const uint8_t code[] = { 0x0f, 0xa2, 0xf4 };    /* cpuid; hlt */
    struct kvm_userspace_memory_region region = {
        .slot = 0, .memory_size = qemu_real_host_page_size(),
    };
    struct kvm_sregs sregs;
    struct kvm_regs regs;
    struct kvm_run *run = MAP_FAILED;
    HostFactsProbe result = HOST_FACTS_PROBE_UNKNOWN;
    int vm_fd, vcpu_fd = -1, mmap_size = 0;
    uint8_t *mem;

    vm_fd = kvm_ioctl(kvm_state, KVM_CREATE_VM, 0);
    if (vm_fd < 0) {
        *detail = g_strdup_printf("could not create a VM: %s",
                                  strerror(-vm_fd));
        return result;
    }
    mem = mmap(NULL, region.memory_size, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        *detail = g_strdup("could not map its memory");
        goto out;
    }
    /* HLT everywhere: a fault lands on one rather than loop. */
    memset(mem, 0xf4, region.memory_size);
    memcpy(mem, code, sizeof(code));
    region.userspace_addr = (uintptr_t)mem;
    ioctl(vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000ul);
    vcpu_fd = ioctl(vm_fd, KVM_CREATE_VCPU, 0);
    mmap_size = kvm_ioctl(kvm_state, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0 ||
        vcpu_fd < 0 || mmap_size <= 0 ||
        ioctl(vcpu_fd, KVM_SET_CPUID2, &cpuid) < 0 ||
        ioctl(vcpu_fd, KVM_GET_SREGS, &sregs) < 0) {
        *detail = g_strdup_printf("could not set up its vCPU: %s",
                                  strerror(errno));
        goto out;
    }
    /* Flat 32-bit protected mode, as a guest kernel runs. */
    sregs.cs = (struct kvm_segment) {
        .limit = 0xffffffff, .selector = 0x08, .type = 0xb, .present = 1,
        .db = 1, .s = 1, .g = 1,
    };
    sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss =
        (struct kvm_segment) {
        .limit = 0xffffffff, .selector = 0x10, .type = 0x3, .present = 1,
        .db = 1, .s = 1, .g = 1,
    };
    sregs.cr0 |= 1;             /* PE */
    memset(&regs, 0, sizeof(regs));
    regs.rflags = 2;
    regs.rax = 1;
    run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
               vcpu_fd, 0);
    if (run == MAP_FAILED || ioctl(vcpu_fd, KVM_SET_SREGS, &sregs) < 0 ||
        ioctl(vcpu_fd, KVM_SET_REGS, &regs) < 0 ||
        ioctl(vcpu_fd, KVM_RUN, 0) < 0) {
        *detail = g_strdup_printf("could not run it: %s", strerror(errno));
        goto out;
    }
    if (run->exit_reason != KVM_EXIT_HLT ||
        ioctl(vcpu_fd, KVM_GET_REGS, &regs) < 0) {
        *detail = g_strdup_printf("it stopped with exit reason %u "
                                  "instead of HLT", run->exit_reason);
        result = HOST_FACTS_PROBE_FAILED;
        goto out;
    }
    if (!((regs.rcx ^ PROBE_ECX) & ~PROBE_ECX_DYNAMIC) &&
        !((regs.rdx ^ PROBE_EDX) & ~PROBE_EDX_DYNAMIC)) {
        *detail = g_strdup("CPUID 1 returned the feature flags set with "
                           "KVM_SET_CPUID2");
        result = HOST_FACTS_PROBE_PASSED;
    } else {
        *detail = g_strdup_printf("CPUID 1 returned ECX 0x%08x EDX 0x%08x, "
                                  "not the ECX 0x%08x EDX 0x%08x set with "
                                  "KVM_SET_CPUID2",
                                  (uint32_t)regs.rcx, (uint32_t)regs.rdx,
                                  PROBE_ECX, PROBE_EDX);
        result = HOST_FACTS_PROBE_FAILED;
    }
out:
    if (run != MAP_FAILED) {
        munmap(run, mmap_size);
    }
    if (vcpu_fd >= 0) {
        close(vcpu_fd);
    }
    if (mem != MAP_FAILED) {
        munmap(mem, region.memory_size);
    }
    close(vm_fd);
    return result;
}

/* The host does not change under a running QEMU: probe once. */
static HostFactsProbe cpuid_probe(char **detail)
{
    static HostFactsProbe result;
    static char *seen;
    static bool probed;

    if (!probed) {
        probed = true;
        result = run_cpuid_probe(&seen);
        trace_kvm_errata_cpuid_probe(result, seen);
    }
    *detail = g_strdup(seen);
    return result;
}

static const HostFactsKvm host_facts_kvm = {
    .supported_cpuid = supported_cpuid,
    .feature_msr = feature_msr,
    .cpuid_probe = cpuid_probe,
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
    qemu_add_machine_init_done_notifier(&machine_done);
}

/*
 * What QEMU knows about why KVM failed, after upstream's message: the
 * errata of this host that cause such failures, the TDP MMU setting
 * and the vCPU's event state, on stderr and as X_KVM_FAILURE.
 */
static void report_failure(CPUState *cs, KvmFailureKind kind, uint64_t code,
                           unsigned failures)
{
    g_autoptr(KvmErratumList) errata = NULL;
    g_autoptr(X86VCPUEvents) events = NULL;
    g_autoptr(GString) state = g_string_new(NULL);
    g_autoptr(HostFacts) hf = kvm_errata_host_facts();
    const char *tdp_mmu = host_facts_file(hf, KVM_TDP_MMU_PARAM);

    bql_lock();
    errata = kvm_errata_check(hf, failures);
    events = x86_vcpu_events_collect(cs);

    if (!errata) {
        error_report("no known KVM host erratum that causes this failure "
                     "matches this host (x-query-kvm-errata lists them)");
    } else {
        error_report("known KVM host errata that cause this failure and "
                     "match this host:");
    }
    for (KvmErratumList *l = errata; l; l = l->next) {
        KvmErratum *e = l->value;
        strList *fact;

        error_printf("  %s: %s\n    evidence:", e->id, e->title);
        for (fact = e->evidence; fact; fact = fact->next) {
            error_printf(" %s%s", fact->value, fact->next ? ";" : "\n");
        }
        error_printf("    advice: %s\n", e->advice);
    }
    error_printf("  kvm.tdp_mmu: %s\n", tdp_mmu ?: "unknown");
    x86_vcpu_events_format(state, events);
    error_printf("%s", state->str);

    qapi_event_send_x_kvm_failure(cs->cpu_index, kind, code, errata,
                                  tdp_mmu, events);
    bql_unlock();
}

void kvm_errata_report_entry_failure(CPUState *cs, uint64_t reason)
{
    report_failure(cs, KVM_FAILURE_KIND_ENTRY_FAILED, reason,
                   KVM_ERRATUM_FAILS_ENTRY);
}

void kvm_errata_report_internal_error(CPUState *cs, uint32_t suberror)
{
    report_failure(cs, KVM_FAILURE_KIND_INTERNAL_ERROR, suberror,
                   suberror == KVM_INTERNAL_ERROR_EMULATION ?
                   KVM_ERRATUM_FAILS_EMULATION :
                   KVM_ERRATUM_FAILS_ENTRY | KVM_ERRATUM_FAILS_EMULATION);
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
