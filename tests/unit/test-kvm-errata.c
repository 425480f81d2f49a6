/*
 * Each KVM errata detector against fixture hosts, affected and not
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The hosts are trees under tests/data/kvm-errata/ (procfs and sysfs
 * files, and CPUID and KVM facts in qemu-host-facts/); a case may
 * change a file of its host in a scratch copy.  Nothing is read from
 * the machine the test runs on.
 */

#include "qemu/osdep.h"
#include "target/i386/kvm-errata.h"

#ifndef KVM_ERRATA_FIXTURES
#error KVM_ERRATA_FIXTURES must name tests/data/kvm-errata
#endif

typedef struct FixtureEdit {
    const char *path;
    const char *contents;       /* NULL: remove the file */
} FixtureEdit;

typedef struct DetectorCase {
    const char *name;
    const char *host;           /* NULL: an empty tree */
    FixtureEdit edits[3];
    const char *erratum;
    KvmErratumState expect;
    const char *evidence;       /* one piece of evidence must contain it */
} DetectorCase;

#define AFFECTED KVM_ERRATUM_AFFECTED
#define NOT_AFFECTED KVM_ERRATUM_NOT_AFFECTED
#define UNKNOWN KVM_ERRATUM_UNKNOWN
#define TDP_MMU "/sys/module/kvm/parameters/tdp_mmu"
#define OSRELEASE "/proc/sys/kernel/osrelease"
#define TAA "/sys/devices/system/cpu/vulnerabilities/tsx_async_abort"

static const DetectorCase cases[] = {
    /* TDP MMU on old CPUs */
    { "tdp-mmu/haswell", "haswell-5.15", {},
      "tdp-mmu-old-cpu", AFFECTED, "Haswell (family 0x6 model 0x3c), "
      "launched 2013, microcode 0x28" },
    { "tdp-mmu/haswell-tdp-mmu-off", "haswell-5.15", { { TDP_MMU, "N" } },
      "tdp-mmu-old-cpu", NOT_AFFECTED, TDP_MMU " = N" },
    { "tdp-mmu/haswell-ept-off", "haswell-5.15",
      { { "/sys/module/kvm_intel/parameters/ept", "N" } },
      "tdp-mmu-old-cpu", NOT_AFFECTED, "ept = N" },
    { "tdp-mmu/haswell-linux-5.10", "haswell-5.15",
      { { TDP_MMU, NULL }, { OSRELEASE, "5.10.0-28-amd64" } },
      "tdp-mmu-old-cpu", NOT_AFFECTED, "tdp_mmu absent" },
    { "tdp-mmu/sapphire-rapids", "sapphirerapids-6.12", {},
      "tdp-mmu-old-cpu", NOT_AFFECTED, "Sapphire Rapids" },
    { "tdp-mmu/unlisted-new-cpu", "sapphirerapids-6.12",
      { { "/proc/cpuinfo", "vendor_id : GenuineIntel\ncpu family : 6\n"
          "model : 190\n" } },
      "tdp-mmu-old-cpu", NOT_AFFECTED, "family 0x6 model 0xbe" },
    { "tdp-mmu/empty", NULL, {}, "tdp-mmu-old-cpu", UNKNOWN,
      "kernel release unknown" },

    /* KVM nested on Hyper-V on AMD */
    { "hyperv/epyc", "epyc-hyperv-6.1", {},
      "hyperv-nested-amd-tdp-mmu", AFFECTED, "\"Microsoft Hv\"" },
    { "hyperv/epyc-tdp-mmu-off", "epyc-hyperv-6.1", { { TDP_MMU, "N" } },
      "hyperv-nested-amd-tdp-mmu", NOT_AFFECTED, TDP_MMU " = N" },
    { "hyperv/epyc-linux-5.15", "epyc-hyperv-6.1",
      { { OSRELEASE, "5.15.0-1051-azure" } },
      "hyperv-nested-amd-tdp-mmu", NOT_AFFECTED, "kernel 5.15.0-1051" },
    { "hyperv/epyc-no-enlightened-tlb", "epyc-hyperv-6.1",
      { { "/qemu-host-facts/host-cpuid",
          "0x1 0x0 0xa00f11 0x800 0xfef83203 0x178bfbff\n"
          "0x40000000 0x0 0x4000000c 0x7263694d 0x666f736f 0x76482074\n" } },
      "hyperv-nested-amd-tdp-mmu", NOT_AFFECTED, "enlightened TLB off" },
    { "hyperv/kvm-hypervisor", "restricted-kvm", {},
      "hyperv-nested-amd-tdp-mmu", NOT_AFFECTED, "GenuineIntel" },
    { "hyperv/empty", NULL, {}, "hyperv-nested-amd-tdp-mmu", UNKNOWN,
      "vendor unknown" },

    /* TSX removed */
    { "tsx/haswell-taa-disabled", "haswell-5.15", {},
      "tsx-removed", AFFECTED, "TSX disabled" },
    { "tsx/microcode-removed", "haswell-5.15",
      { { TAA, "Not affected" },
        { "/proc/cpuinfo", "vendor_id : GenuineIntel\n"
          "flags : fpu rtm_always_abort\n" } },
      "tsx-removed", AFFECTED, "rtm_always_abort" },
    { "tsx/sapphire-rapids", "sapphirerapids-6.12", {},
      "tsx-removed", NOT_AFFECTED, "hle yes, rtm yes" },
    { "tsx/amd", "epyc-hyperv-6.1", {}, "tsx-removed", NOT_AFFECTED,
      "AuthenticAMD" },
    { "tsx/no-kvm-facts", "restricted-kvm", {}, "tsx-removed",
      NOT_AFFECTED, "/proc/cpuinfo flags: hle yes, rtm yes" },
    { "tsx/empty", NULL, {}, "tsx-removed", UNKNOWN, "vendor unknown" },

    /* KVM_SET_VCPU_EVENTS and error codes on pre-CET Intel */
    { "vcpu-events/haswell", "haswell-5.15", {},
      "vcpu-events-error-code", AFFECTED, "bit 56 clear" },
    { "vcpu-events/sapphire-rapids", "sapphirerapids-6.12", {},
      "vcpu-events-error-code", NOT_AFFECTED, "bit 56 set" },
    { "vcpu-events/amd", "epyc-hyperv-6.1", {},
      "vcpu-events-error-code", NOT_AFFECTED, "AuthenticAMD" },
    { "vcpu-events/no-feature-msr", "restricted-kvm", {},
      "vcpu-events-error-code", UNKNOWN, "not among KVM's feature MSRs" },

    /* Guest MTRRs */
    { "mtrr/linux-6.12", "sapphirerapids-6.12", {},
      "mtrr-not-virtualized", AFFECTED, "kernel 6.12" },
    { "mtrr/linux-5.15", "haswell-5.15", {},
      "mtrr-not-virtualized", NOT_AFFECTED, "kernel 5.15" },
    { "mtrr/amd", "epyc-hyperv-6.1", {},
      "mtrr-not-virtualized", AFFECTED, "NPT never" },
    { "mtrr/empty", NULL, {}, "mtrr-not-virtualized", UNKNOWN,
      "vendor unknown" },

    /* x2APIC 32-bit IDs */
    { "x2apic/linux-5.15", "haswell-5.15", {},
      "x2apic-32bit-id-quirk", AFFECTED, "kernel 5.15" },
    { "x2apic/linux-4.4", "haswell-5.15", { { OSRELEASE, "4.4.0-210" } },
      "x2apic-32bit-id-quirk", NOT_AFFECTED, "kernel 4.4.0" },

    /* x87 pointer bits */
    { "x87/sapphire-rapids", "sapphirerapids-6.12", {},
      "x87-fdp-fcs-fds", AFFECTED, "FDP_EXCPTN_ONLY 1, ZERO_FCS_FDS 1" },
    { "x87/epyc", "epyc-hyperv-6.1", {},
      "x87-fdp-fcs-fds", NOT_AFFECTED, "FDP_EXCPTN_ONLY 0, ZERO_FCS_FDS 0" },

    /* CPUID virtualization */
    { "cpuid/restricted-kvm", "restricted-kvm", {},
      "cpuid-not-virtualized", AFFECTED, "not the ECX 0x00000022" },
    { "cpuid/full-kvm", "haswell-5.15", {},
      "cpuid-not-virtualized", NOT_AFFECTED, "returned the feature flags set" },
    { "cpuid/empty", NULL, {}, "cpuid-not-virtualized", UNKNOWN,
      "probe VM" },
};

static const char *state_name(KvmErratumState s)
{
    return s == AFFECTED ? "affected" :
           s == NOT_AFFECTED ? "not-affected" : "unknown";
}

/* A scratch copy of @host with @c's edits applied. */
static char *make_host(const DetectorCase *c)
{
    g_autoptr(GError) err = NULL;
    char *dir = g_dir_make_tmp("kvm-errata-XXXXXX", &err);

    g_assert_no_error(err);
    if (c->host) {
        g_autofree char *cmd = g_strdup_printf(
            "cp -RL %s/%s/. %s", KVM_ERRATA_FIXTURES, c->host, dir);
        int status;

        g_assert_true(g_spawn_command_line_sync(cmd, NULL, NULL, &status,
                                                &err));
        g_assert_no_error(err);
        g_assert_cmpint(status, ==, 0);
    }
    for (int i = 0; i < G_N_ELEMENTS(c->edits) && c->edits[i].path; i++) {
        g_autofree char *p = g_build_filename(dir, c->edits[i].path, NULL);

        if (c->edits[i].contents) {
            g_autofree char *parent = g_path_get_dirname(p);

            g_assert_cmpint(g_mkdir_with_parents(parent, 0755), ==, 0);
            g_assert_true(g_file_set_contents(p, c->edits[i].contents, -1,
                                              &err));
        } else {
            g_assert_cmpint(unlink(p), ==, 0);
        }
    }
    return dir;
}

static void remove_tree(const char *dir)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf %s", dir);

    g_assert_true(g_spawn_command_line_sync(cmd, NULL, NULL, NULL, NULL));
}

static void test_detector(const void *opaque)
{
    const DetectorCase *c = opaque;
    const KvmHostErratum *e = kvm_host_erratum_find(c->erratum);
    g_autofree char *dir = make_host(c);
    g_autoptr(HostFacts) hf = host_facts_new(dir, NULL);
    g_autoptr(GPtrArray) evidence = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *all = NULL;
    KvmErratumState got;

    g_assert_nonnull(e);
    got = e->detect(hf, evidence);
    g_ptr_array_add(evidence, NULL);
    all = g_strjoinv("; ", (char **)evidence->pdata);
    if (got != c->expect) {
        g_test_message("%s: expected %s, got %s; evidence: %s", c->erratum,
                       state_name(c->expect), state_name(got), all);
    }
    g_assert_cmpstr(state_name(got), ==, state_name(c->expect));
    if (!strstr(all, c->evidence)) {
        g_test_message("expected evidence containing \"%s\", got: %s",
                       c->evidence, all);
    }
    g_assert_nonnull(strstr(all, c->evidence));
    remove_tree(dir);
}

/* Every erratum is covered as affected and as not affected. */
static void test_table_covered(void)
{
    for (size_t i = 0; i < kvm_host_errata_count; i++) {
        const KvmHostErratum *e = &kvm_host_errata[i];
        bool seen[3] = {};

        g_assert_nonnull(e->title);
        g_assert_nonnull(e->symptom);
        g_assert_nonnull(e->advice);
        g_assert_true(e->references && e->references[0]);
        g_assert_nonnull(e->detect);
        g_assert_nonnull(e->relevant);
        g_assert_true(kvm_host_erratum_find(e->id) == e);
        for (size_t j = 0; j < G_N_ELEMENTS(cases); j++) {
            if (!strcmp(cases[j].erratum, e->id)) {
                seen[cases[j].expect] = true;
            }
        }
        if (!seen[AFFECTED] || !seen[NOT_AFFECTED]) {
            g_test_message("erratum %s: affected case %s, not-affected "
                           "case %s", e->id, seen[AFFECTED] ? "yes" : "no",
                           seen[NOT_AFFECTED] ? "yes" : "no");
        }
        g_assert_true(seen[AFFECTED] && seen[NOT_AFFECTED]);
    }
}

/* Which VM configurations each erratum matters to. */
static void test_relevance(void)
{
    const KvmErrataVm plain = {
        .uses_kvm = true, .sanitizes_vcpu_events = true,
        .sets_x87_errata_bits = true,
    };
    KvmErrataVm vm;

    for (size_t i = 0; i < kvm_host_errata_count; i++) {
        vm = plain;
        vm.uses_kvm = false;
        g_assert_false(kvm_host_errata[i].relevant(&vm));
    }
    g_assert_true(kvm_host_erratum_find("tdp-mmu-old-cpu")->relevant(&plain));
    g_assert_true(kvm_host_erratum_find("cpuid-not-virtualized")->relevant(&plain));
    g_assert_false(kvm_host_erratum_find("tsx-removed")->relevant(&plain));
    g_assert_false(kvm_host_erratum_find("vcpu-events-error-code")->relevant(&plain));
    g_assert_false(kvm_host_erratum_find("mtrr-not-virtualized")->relevant(&plain));
    g_assert_false(kvm_host_erratum_find("x2apic-32bit-id-quirk")->relevant(&plain));
    g_assert_false(kvm_host_erratum_find("x87-fdp-fcs-fds")->relevant(&plain));

    vm = plain;
    vm.wants_tsx = true;
    g_assert_true(kvm_host_erratum_find("tsx-removed")->relevant(&vm));
    vm = plain;
    vm.sanitizes_vcpu_events = false;
    g_assert_true(kvm_host_erratum_find("vcpu-events-error-code")->relevant(&vm));
    vm = plain;
    vm.assigned_devices = true;
    g_assert_true(kvm_host_erratum_find("mtrr-not-virtualized")->relevant(&vm));
    vm = plain;
    vm.apic_ids_above_255 = true;
    g_assert_true(kvm_host_erratum_find("x2apic-32bit-id-quirk")->relevant(&vm));
    vm = plain;
    vm.sets_x87_errata_bits = false;
    g_assert_true(kvm_host_erratum_find("x87-fdp-fcs-fds")->relevant(&vm));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *path = g_strdup_printf("/kvm-errata/detect/%s",
                                                cases[i].name);

        g_test_add_data_func(path, &cases[i], test_detector);
    }
    g_test_add_func("/kvm-errata/table-covered", test_table_covered);
    g_test_add_func("/kvm-errata/relevance", test_relevance);
    return g_test_run();
}
