/*
 * The CPUID probe VM: does this KVM show a guest the CPUID it was given?
 *
 * A VM of one vCPU and one page (run_cpuid_probe()) costs about a
 * millisecond of every start, more when many VMs start at once.  Its
 * answer depends only on the host kernel, KVM's module parameters and
 * the CPU with its microcode, which do not change until the host
 * reboots or reloads KVM: so it is kept in the runtime directory
 * (XDG_RUNTIME_DIR, else GLib's fallback), keyed by all of them, and
 * the probe runs again when any differs.  The answer only decides
 * warnings (erratum cpuid-not-virtualized), never what a guest sees.
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <glob.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include "system/kvm.h"
#include "kvm-cpuid-probe.h"
#include "trace.h"

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

/* What the probe's answer depends on, one line each. */
static char *probe_key(void)
{
    static const char *const files[] = {
        "/proc/sys/kernel/random/boot_id",
        "/proc/sys/kernel/osrelease",
        "/proc/sys/kernel/version",
    };
    g_autoptr(GString) key = g_string_new("qemu-resilient kvm-cpuid-probe 1\n");
    g_autofree char *cpuinfo = NULL;
    glob_t params = { 0 };

    for (int i = 0; i < ARRAY_SIZE(files); i++) {
        g_autofree char *text = NULL;

        if (!g_file_get_contents(files[i], &text, NULL, NULL)) {
            return NULL;        /* no key: probe, and keep nothing */
        }
        g_string_append(key, g_strchomp(text));
        g_string_append_c(key, '\n');
    }
    /* The CPU's signature and microcode: cpuinfo's first processor. */
    if (g_file_get_contents("/proc/cpuinfo", &cpuinfo, NULL, NULL)) {
        g_auto(GStrv) lines = g_strsplit(cpuinfo, "\n", -1);

        for (int i = 0; lines[i] && *lines[i]; i++) {
            if (g_str_has_prefix(lines[i], "vendor_id") ||
                g_str_has_prefix(lines[i], "cpu family") ||
                g_str_has_prefix(lines[i], "model") ||
                g_str_has_prefix(lines[i], "stepping") ||
                g_str_has_prefix(lines[i], "microcode")) {
                g_string_append_printf(key, "%s\n", lines[i]);
            }
        }
    }
    /* kvm, kvm_intel, kvm_amd, and any other KVM module's parameters */
    if (glob("/sys/module/kvm*/parameters/*", 0, NULL, &params) == 0) {
        for (size_t i = 0; i < params.gl_pathc; i++) {
            g_autofree char *value = NULL;

            if (g_file_get_contents(params.gl_pathv[i], &value, NULL,
                                    NULL)) {
                g_string_append_printf(key, "%s=%s\n", params.gl_pathv[i],
                                       g_strchomp(value));
            }
        }
    }
    globfree(&params);
    return g_compute_checksum_for_string(G_CHECKSUM_SHA256, key->str,
                                         key->len);
}

static char *cache_path(void)
{
    return g_build_filename(g_get_user_runtime_dir(),
                            "qemu-resilient-kvm-cpuid-probe", NULL);
}

/* The kept answer for @key: its result, or UNKNOWN if none fits. */
static HostFactsProbe cache_read(const char *key, char **detail)
{
    g_autofree char *path = cache_path();
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;

    if (!g_file_get_contents(path, &text, NULL, NULL)) {
        return HOST_FACTS_PROBE_UNKNOWN;
    }
    lines = g_strsplit(text, "\n", 4);
    if (g_strv_length(lines) < 3 || strcmp(lines[0], key)) {
        return HOST_FACTS_PROBE_UNKNOWN;
    }
    *detail = g_strdup(lines[2]);
    return !strcmp(lines[1], "passed") ? HOST_FACTS_PROBE_PASSED :
           !strcmp(lines[1], "failed") ? HOST_FACTS_PROBE_FAILED :
           HOST_FACTS_PROBE_UNKNOWN;
}

/*
 * Keep @result for @key; best effort (another QEMU may write the same at
 * the same time: g_file_set_contents() renames into place).
 */
static void cache_write(const char *key, HostFactsProbe result,
                        const char *detail)
{
    g_autofree char *path = cache_path();
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *text = NULL;

    if (g_mkdir_with_parents(dir, 0700) < 0) {
        return;
    }
    text = g_strdup_printf("%s\n%s\n%s\n", key,
                           result == HOST_FACTS_PROBE_PASSED ? "passed"
                                                             : "failed",
                           detail);
    g_file_set_contents(path, text, -1, NULL);
}

HostFactsProbe kvm_cpuid_probe(char **detail)
{
    static HostFactsProbe result;
    static char *seen;
    static bool probed;
    g_autofree char *key = NULL;

    /* The host does not change under a running QEMU: once per process */
    if (!probed) {
        probed = true;
        key = probe_key();
        result = key ? cache_read(key, &seen) : HOST_FACTS_PROBE_UNKNOWN;
        if (result != HOST_FACTS_PROBE_UNKNOWN) {
            trace_kvm_cpuid_probe_kept(result, seen);
        } else {
            g_free(seen);
            result = run_cpuid_probe(&seen);
            trace_kvm_cpuid_probe_run(result, seen);
            if (key && result != HOST_FACTS_PROBE_UNKNOWN) {
                cache_write(key, result, seen);
            }
        }
    }
    *detail = g_strdup(seen);
    return result;
}
