/*
 * The table of known KVM host errata
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * One entry per erratum: what it is, how it is detected from host
 * facts (host-facts.h, the only way to the host), what it does to a VM
 * and what to do.  To add one, write its detector and its relevance
 * test next to the others, add an entry to kvm_host_errata[], a fixture
 * host under tests/data/kvm-errata/ where it is affected and one where
 * it is not, and a section in docs/system/i386/kvm-errata.rst.
 *
 * Plain C and GLib, no QEMU state, so that tests/unit can link it.
 */

#include "qemu/osdep.h"
#include "kvm-errata.h"

static void G_GNUC_PRINTF(2, 3) note(GPtrArray *evidence, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_ptr_array_add(evidence, g_strdup_vprintf(fmt, ap));
    va_end(ap);
}

/* Kernel release as evidence; false if it cannot be read. */
static bool note_kernel(HostFacts *hf, GPtrArray *evidence)
{
    const char *release = host_facts_file(hf, "/proc/sys/kernel/osrelease");
    int major, minor;

    if (!host_facts_kernel(hf, &major, &minor)) {
        note(evidence, "kernel release unknown");
        return false;
    }
    note(evidence, "kernel %s", release);
    return true;
}

static void note_vendor(HostFacts *hf, GPtrArray *evidence)
{
    const char *vendor = host_facts_cpuinfo(hf, "vendor_id");

    note(evidence, "CPU vendor %s", vendor ?: "unknown");
}

typedef enum Tristate { NO, YES, UNKNOWN } Tristate;

static Tristate param_bool(HostFacts *hf, const char *path,
                           GPtrArray *evidence)
{
    const char *v = host_facts_file(hf, path);

    if (!v) {
        return UNKNOWN;
    }
    note(evidence, "%s = %s", path, v);
    return strchr("Yy1", v[0]) ? YES : NO;
}

/* Is the TDP MMU in use?  Off by default before Linux 5.15. */
static Tristate tdp_mmu_enabled(HostFacts *hf, GPtrArray *evidence)
{
    Tristate t = param_bool(hf, KVM_TDP_MMU_PARAM, evidence);

    if (t != UNKNOWN) {
        return t;
    }
    if (!note_kernel(hf, evidence)) {
        return UNKNOWN;
    }
    note(evidence, KVM_TDP_MMU_PARAM " absent");
    return host_facts_kernel_at_least(hf, 5, 15) ? UNKNOWN : NO;
}

/* EPT or NPT: without them KVM uses shadow paging, never the TDP MMU. */
static Tristate tdp_enabled(HostFacts *hf, GPtrArray *evidence)
{
    Tristate t = param_bool(hf, "/sys/module/kvm_intel/parameters/ept",
                            evidence);

    if (t == UNKNOWN) {
        t = param_bool(hf, "/sys/module/kvm_amd/parameters/npt", evidence);
    }
    return t;
}

typedef struct CpuGeneration {
    const char *vendor;
    int family;
    int model;                  /* -1: every model of the family */
    const char *name;
    int launched;
} CpuGeneration;

/*
 * When CPU generations were launched, for "is this CPU old".  Intel
 * family 6 and AMD families newer than the last old entry are new.
 */
static const CpuGeneration cpu_generations[] = {
    { "GenuineIntel", 6, 0x0f, "Core 2 (Merom)", 2006 },
    { "GenuineIntel", 6, 0x17, "Core 2 (Penryn)", 2008 },
    { "GenuineIntel", 6, 0x1d, "Xeon 7400 (Dunnington)", 2008 },
    { "GenuineIntel", 6, 0x1a, "Nehalem-EP", 2008 },
    { "GenuineIntel", 6, 0x1e, "Nehalem (Lynnfield)", 2009 },
    { "GenuineIntel", 6, 0x1f, "Nehalem (Havendale)", 2009 },
    { "GenuineIntel", 6, 0x2e, "Nehalem-EX", 2010 },
    { "GenuineIntel", 6, 0x25, "Westmere", 2010 },
    { "GenuineIntel", 6, 0x2c, "Westmere-EP", 2010 },
    { "GenuineIntel", 6, 0x2f, "Westmere-EX", 2011 },
    { "GenuineIntel", 6, 0x2a, "Sandy Bridge", 2011 },
    { "GenuineIntel", 6, 0x2d, "Sandy Bridge-E/EP", 2011 },
    { "GenuineIntel", 6, 0x3a, "Ivy Bridge", 2012 },
    { "GenuineIntel", 6, 0x3e, "Ivy Bridge-E/EP", 2013 },
    { "GenuineIntel", 6, 0x37, "Silvermont (Bay Trail)", 2013 },
    { "GenuineIntel", 6, 0x4d, "Silvermont (Avoton)", 2013 },
    { "GenuineIntel", 6, 0x3c, "Haswell", 2013 },
    { "GenuineIntel", 6, 0x45, "Haswell-ULT", 2013 },
    { "GenuineIntel", 6, 0x46, "Haswell-GT3e", 2013 },
    { "GenuineIntel", 6, 0x3f, "Haswell-E/EP", 2014 },
    { "GenuineIntel", 6, 0x3d, "Broadwell", 2014 },
    { "GenuineIntel", 6, 0x47, "Broadwell-H", 2015 },
    { "GenuineIntel", 6, 0x56, "Broadwell-DE", 2015 },
    { "GenuineIntel", 6, 0x4f, "Broadwell-E/EP", 2016 },
    { "GenuineIntel", 6, 0x4e, "Skylake (mobile)", 2015 },
    { "GenuineIntel", 6, 0x5e, "Skylake", 2015 },
    { "GenuineIntel", 6, 0x55, "Skylake-SP/Cascade Lake", 2017 },
    { "GenuineIntel", 6, 0x8e, "Kaby Lake (mobile)", 2016 },
    { "GenuineIntel", 6, 0x9e, "Kaby Lake/Coffee Lake", 2017 },
    { "GenuineIntel", 6, 0x6a, "Ice Lake-SP", 2021 },
    { "GenuineIntel", 6, 0x8f, "Sapphire Rapids", 2023 },
    { "GenuineIntel", 6, 0xcf, "Emerald Rapids", 2023 },
    { "GenuineIntel", 6, 0xad, "Granite Rapids", 2024 },
    { "AuthenticAMD", 0x10, -1, "K10 (Barcelona/Shanghai/Istanbul)", 2007 },
    { "AuthenticAMD", 0x12, -1, "Llano", 2011 },
    { "AuthenticAMD", 0x14, -1, "Bobcat", 2011 },
    { "AuthenticAMD", 0x15, -1, "Bulldozer/Piledriver/Steamroller", 2011 },
    { "AuthenticAMD", 0x16, -1, "Jaguar/Puma", 2013 },
    { "AuthenticAMD", 0x17, -1, "Zen/Zen 2", 2017 },
    { "HygonGenuine", 0x18, -1, "Dhyana", 2018 },
    { "AuthenticAMD", 0x19, -1, "Zen 3/Zen 4", 2020 },
    { "AuthenticAMD", 0x1a, -1, "Zen 5", 2024 },
};

/*
 * "CPUs launched over 8 years ago" when the TDP MMU became the default
 * (Linux 5.15, late 2021): launched before 2015.
 */
#define OLD_CPU_LAUNCHED_BEFORE 2015

static Tristate cpu_is_old(HostFacts *hf, GPtrArray *evidence)
{
    const char *vendor = host_facts_cpuinfo(hf, "vendor_id");
    int family = host_facts_cpu_family(hf);
    int model = host_facts_cpu_model(hf);
    const char *microcode = host_facts_cpuinfo(hf, "microcode");

    if (!vendor || family < 0 || model < 0) {
        note(evidence, "CPU family/model unknown (/proc/cpuinfo)");
        return UNKNOWN;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(cpu_generations); i++) {
        const CpuGeneration *g = &cpu_generations[i];

        if (!strcmp(g->vendor, vendor) && g->family == family &&
            (g->model < 0 || g->model == model)) {
            note(evidence, "CPU %s %s (family 0x%x model 0x%x), launched %d"
                 ", microcode %s", vendor, g->name, family, model,
                 g->launched, microcode ?: "unknown");
            return g->launched < OLD_CPU_LAUNCHED_BEFORE ? YES : NO;
        }
    }
    note(evidence, "CPU %s family 0x%x model 0x%x", vendor, family, model);
    if ((!strcmp(vendor, "GenuineIntel") &&
         (family > 6 || (family == 6 && model > 0x56))) ||
        (strcmp(vendor, "GenuineIntel") && family > 0x16)) {
        return NO;              /* newer than every old generation */
    }
    return UNKNOWN;
}

static KvmErratumState detect_tdp_mmu_old_cpu(HostFacts *hf,
                                              GPtrArray *evidence)
{
    Tristate tdp_mmu = tdp_mmu_enabled(hf, evidence);
    Tristate tdp = tdp_enabled(hf, evidence);
    Tristate old = cpu_is_old(hf, evidence);

    if (tdp_mmu == NO || tdp == NO || old == NO) {
        return KVM_ERRATUM_NOT_AFFECTED;
    }
    if (tdp_mmu == UNKNOWN || old == UNKNOWN) {
        return KVM_ERRATUM_UNKNOWN;
    }
    return KVM_ERRATUM_AFFECTED;
}

/* The hypervisor QEMU's host runs on, from CPUID 0x40000000 */
static bool host_under_hyperv(HostFacts *hf, GPtrArray *evidence,
                              bool *known)
{
    uint32_t r[4];
    char sig[13];

    *known = host_facts_host_cpuid(hf, 1, 0, r);
    if (!*known) {
        return false;
    }
    if (!(r[HF_ECX] & (1u << 31))) {
        note(evidence, "CPUID: no hypervisor bit, bare metal");
        return false;
    }
    host_facts_host_cpuid(hf, 0x40000000, 0, r);
    memcpy(sig, &r[HF_EBX], 4);
    memcpy(sig + 4, &r[HF_ECX], 4);
    memcpy(sig + 8, &r[HF_EDX], 4);
    sig[12] = '\0';
    note(evidence, "CPUID 0x40000000: hypervisor \"%s\"", sig);
    return !strcmp(sig, "Microsoft Hv");
}

/* HV_X64_NESTED_ENLIGHTENED_TLB, CPUID 0x4000000A EAX bit 22 */
#define HYPERV_NESTED_ENLIGHTENED_TLB (1u << 22)

static KvmErratumState detect_hyperv_nested_amd(HostFacts *hf,
                                                GPtrArray *evidence)
{
    bool known;
    uint32_t r[4];

    note_vendor(hf, evidence);
    if (!host_facts_vendor_is(hf, "AuthenticAMD")) {
        return host_facts_cpuinfo(hf, "vendor_id") ?
               KVM_ERRATUM_NOT_AFFECTED : KVM_ERRATUM_UNKNOWN;
    }
    if (!host_under_hyperv(hf, evidence, &known)) {
        return known ? KVM_ERRATUM_NOT_AFFECTED : KVM_ERRATUM_UNKNOWN;
    }
    host_facts_host_cpuid(hf, 0x40000000, 0, r);
    if (r[HF_EAX] >= 0x4000000a) {
        host_facts_host_cpuid(hf, 0x4000000a, 0, r);
        note(evidence, "Hyper-V nested enlightened TLB %s",
             r[HF_EAX] & HYPERV_NESTED_ENLIGHTENED_TLB ? "on" : "off");
        if (!(r[HF_EAX] & HYPERV_NESTED_ENLIGHTENED_TLB)) {
            return KVM_ERRATUM_NOT_AFFECTED;
        }
    }
    if (!note_kernel(hf, evidence)) {
        return KVM_ERRATUM_UNKNOWN;
    }
    if (!host_facts_kernel_at_least(hf, 5, 18)) {
        return KVM_ERRATUM_NOT_AFFECTED;
    }
    switch (tdp_mmu_enabled(hf, evidence)) {
    case NO:
        return KVM_ERRATUM_NOT_AFFECTED;
    case YES:
        return KVM_ERRATUM_AFFECTED;
    default:
        return KVM_ERRATUM_UNKNOWN;
    }
}

#define CPUID_7_0_EBX_HLE_BIT (1u << 4)
#define CPUID_7_0_EBX_RTM_BIT (1u << 11)
#define TAA_STATUS "/sys/devices/system/cpu/vulnerabilities/tsx_async_abort"

static KvmErratumState detect_tsx_removed(HostFacts *hf, GPtrArray *evidence)
{
    uint32_t r[4];
    bool hle, rtm;
    const char *taa;

    note_vendor(hf, evidence);
    if (!host_facts_vendor_is(hf, "GenuineIntel")) {
        /* Only Intel shipped TSX. */
        return host_facts_cpuinfo(hf, "vendor_id") ?
               KVM_ERRATUM_NOT_AFFECTED : KVM_ERRATUM_UNKNOWN;
    }
    if (host_facts_kvm_cpuid(hf, 7, 0, r)) {
        hle = r[HF_EBX] & CPUID_7_0_EBX_HLE_BIT;
        rtm = r[HF_EBX] & CPUID_7_0_EBX_RTM_BIT;
        note(evidence, "KVM CPUID 7.0 EBX: hle %s, rtm %s",
             hle ? "yes" : "no", rtm ? "yes" : "no");
    } else if (host_facts_cpuinfo(hf, "flags")) {
        hle = host_facts_cpu_flag(hf, "hle");
        rtm = host_facts_cpu_flag(hf, "rtm");
        note(evidence, "/proc/cpuinfo flags: hle %s, rtm %s",
             hle ? "yes" : "no", rtm ? "yes" : "no");
    } else {
        return KVM_ERRATUM_UNKNOWN;
    }
    if (hle && rtm) {
        return KVM_ERRATUM_NOT_AFFECTED;
    }
    taa = host_facts_file(hf, TAA_STATUS);
    if (taa) {
        note(evidence, TAA_STATUS " = %s", taa);
    }
    if (host_facts_cpu_flag(hf, "rtm_always_abort")) {
        note(evidence, "/proc/cpuinfo flags: rtm_always_abort "
             "(microcode removed TSX)");
        return KVM_ERRATUM_AFFECTED;
    }
    if (taa && strstr(taa, "TSX disabled")) {
        return KVM_ERRATUM_AFFECTED;
    }
    /* Not affected by TAA and no trace of removal: never had TSX. */
    return taa ? KVM_ERRATUM_NOT_AFFECTED : KVM_ERRATUM_UNKNOWN;
}

#define MSR_IA32_VMX_BASIC_INDEX 0x480
#define VMX_BASIC_NO_HW_ERROR_CODE_CC (1ull << 56)

static KvmErratumState detect_vcpu_events_error_code(HostFacts *hf,
                                                     GPtrArray *evidence)
{
    uint64_t basic;

    note_vendor(hf, evidence);
    if (!host_facts_vendor_is(hf, "GenuineIntel")) {
        /* AMD checks nothing about error codes on event injection. */
        return host_facts_cpuinfo(hf, "vendor_id") ?
               KVM_ERRATUM_NOT_AFFECTED : KVM_ERRATUM_UNKNOWN;
    }
    if (!host_facts_kvm_feature_msr(hf, MSR_IA32_VMX_BASIC_INDEX, &basic) ||
        !basic) {
        note(evidence, "IA32_VMX_BASIC not among KVM's feature MSRs");
        return KVM_ERRATUM_UNKNOWN;
    }
    note(evidence, "IA32_VMX_BASIC = 0x%016" PRIx64 " (bit 56 %s)", basic,
         basic & VMX_BASIC_NO_HW_ERROR_CODE_CC ? "set" : "clear");
    return basic & VMX_BASIC_NO_HW_ERROR_CODE_CC ?
           KVM_ERRATUM_NOT_AFFECTED : KVM_ERRATUM_AFFECTED;
}

static KvmErratumState detect_mtrr(HostFacts *hf, GPtrArray *evidence)
{
    note_vendor(hf, evidence);
    if (!host_facts_cpuinfo(hf, "vendor_id")) {
        return KVM_ERRATUM_UNKNOWN;
    }
    if (!host_facts_vendor_is(hf, "GenuineIntel")) {
        note(evidence, "NPT never virtualized guest MTRRs");
        return KVM_ERRATUM_AFFECTED;
    }
    if (tdp_enabled(hf, evidence) == NO) {
        note(evidence, "shadow paging never virtualized guest MTRRs");
        return KVM_ERRATUM_AFFECTED;
    }
    if (!note_kernel(hf, evidence)) {
        return KVM_ERRATUM_UNKNOWN;
    }
    /* "KVM: x86: Remove VMX support for virtualizing guest MTRR memtypes" */
    return host_facts_kernel_at_least(hf, 6, 11) ?
           KVM_ERRATUM_AFFECTED : KVM_ERRATUM_NOT_AFFECTED;
}

static KvmErratumState detect_x2apic_quirk(HostFacts *hf,
                                           GPtrArray *evidence)
{
    if (!note_kernel(hf, evidence)) {
        return KVM_ERRATUM_UNKNOWN;
    }
    /* 32-bit x2APIC IDs and the hotplug hack came with Linux 4.7. */
    return host_facts_kernel_at_least(hf, 4, 7) ?
           KVM_ERRATUM_AFFECTED : KVM_ERRATUM_NOT_AFFECTED;
}

#define CPUID_7_0_EBX_FDP_EXCPTN_ONLY_BIT (1u << 6)
#define CPUID_7_0_EBX_ZERO_FCS_FDS_BIT (1u << 13)

static KvmErratumState detect_x87_bits(HostFacts *hf, GPtrArray *evidence)
{
    uint32_t r[4];
    const char *source = "KVM CPUID";

    if (!host_facts_kvm_cpuid(hf, 7, 0, r)) {
        source = "host CPUID";
        if (!host_facts_host_cpuid(hf, 7, 0, r)) {
            return KVM_ERRATUM_UNKNOWN;
        }
    }
    note(evidence, "%s 7.0 EBX: FDP_EXCPTN_ONLY %d, ZERO_FCS_FDS %d", source,
         !!(r[HF_EBX] & CPUID_7_0_EBX_FDP_EXCPTN_ONLY_BIT),
         !!(r[HF_EBX] & CPUID_7_0_EBX_ZERO_FCS_FDS_BIT));
    return r[HF_EBX] & (CPUID_7_0_EBX_FDP_EXCPTN_ONLY_BIT |
                        CPUID_7_0_EBX_ZERO_FCS_FDS_BIT) ?
           KVM_ERRATUM_AFFECTED : KVM_ERRATUM_NOT_AFFECTED;
}

static KvmErratumState detect_cpuid_not_virtualized(HostFacts *hf,
                                                    GPtrArray *evidence)
{
    const char *detail;
    HostFactsProbe probe = host_facts_kvm_cpuid_probe(hf, &detail);

    if (host_facts_exists(hf, "/sys/module/kvm_pvm")) {
        note(evidence, "module kvm_pvm loaded (a restricted KVM)");
    }
    switch (probe) {
    case HOST_FACTS_PROBE_PASSED:
        note(evidence, "probe VM: %s", detail ?: "CPUID virtualized");
        return KVM_ERRATUM_NOT_AFFECTED;
    case HOST_FACTS_PROBE_FAILED:
        note(evidence, "probe VM: %s", detail ?: "CPUID not virtualized");
        return KVM_ERRATUM_AFFECTED;
    default:
        note(evidence, "probe VM: %s",
             detail ?: host_facts_have_kvm(hf) ? "could not run" :
                        "not run: this VM does not use KVM");
        return KVM_ERRATUM_UNKNOWN;
    }
}

static bool relevant_kvm(const KvmErrataVm *vm)
{
    return vm->uses_kvm;
}

static bool relevant_tsx(const KvmErrataVm *vm)
{
    return vm->uses_kvm && vm->wants_tsx;
}

static bool relevant_vcpu_events(const KvmErrataVm *vm)
{
    return vm->uses_kvm && !vm->sanitizes_vcpu_events;
}

static bool relevant_mtrr(const KvmErrataVm *vm)
{
    return vm->uses_kvm && vm->assigned_devices;
}

static bool relevant_x2apic(const KvmErrataVm *vm)
{
    return vm->uses_kvm && vm->apic_ids_above_255;
}

static bool relevant_x87(const KvmErrataVm *vm)
{
    return vm->uses_kvm && !vm->sets_x87_errata_bits;
}

#define KVM_ERRATA_DOC \
    "https://docs.kernel.org/virt/kvm/x86/errata.html"

const KvmHostErratum kvm_host_errata[] = {
    {
        .id = "tdp-mmu-old-cpu",
        .title = "TDP MMU regressions on older CPUs",
        .symptom = "VMs (mostly Windows) stop with \"KVM: entry failed, "
                   "hardware error 0x80000021\" on CPUs launched before "
                   "2015 once the TDP MMU is on (the default since Linux "
                   "5.15)",
        .advice = "update the host's firmware (BIOS/UEFI) and CPU microcode "
                  "first; if VMs still fail, turn the TDP MMU off: "
                  "kvm.tdp_mmu=N on the host kernel command line, or "
                  "'options kvm tdp_mmu=N' in /etc/modprobe.d/ followed by "
                  "update-initramfs -k all -u, then reboot; "
                  "cat /sys/module/kvm/parameters/tdp_mmu must then print N",
        .references = (const char *const[]) {
            "Proxmox VE wiki: Older Hardware and New 5.15 Kernel",
            NULL },
        .failures = KVM_ERRATUM_FAILS_ENTRY,
        .detect = detect_tdp_mmu_old_cpu,
        .relevant = relevant_kvm,
    }, {
        .id = "hyperv-nested-amd-tdp-mmu",
        .title = "stale translations for KVM nested on Hyper-V on AMD "
                 "with the TDP MMU",
        .symptom = "with Hyper-V as L0 and KVM as L1 on AMD, since Linux "
                   "5.18 the TDP MMU defers TLB flushes that Hyper-V's "
                   "enlightened NPT TLB needs: L2 guests see stale "
                   "memory and die with #GP faults, assertion failures "
                   "or at random",
        .advice = "load kvm with tdp_mmu=N (kernel command line "
                  "kvm.tdp_mmu=N or 'options kvm tdp_mmu=N' in "
                  "/etc/modprobe.d/), or run a kernel that has the "
                  "range-based TLB flush fixes for Hyper-V",
        .references = (const char *const[]) {
            "LKML: \"KVM: x86/mmu: Overhaul TDP MMU zapping and flushing\" "
            "breaks SVM on Hyper-V (February 2023)",
            NULL },
        .failures = KVM_ERRATUM_FAILS_ENTRY | KVM_ERRATUM_FAILS_EMULATION,
        .detect = detect_hyperv_nested_amd,
        .relevant = relevant_kvm,
    }, {
        .id = "tsx-removed",
        .title = "TSX (hle, rtm) removed by a microcode or kernel update",
        .symptom = "VMs whose CPU model has hle and rtm (e.g. Haswell, "
                   "Skylake-Server, Cascadelake-Server) no longer start, "
                   "and their saved or migrated state cannot be restored, "
                   "after the host lost TSX (TAA mitigation)",
        .advice = "use a CPU model version without TSX (e.g. "
                  "Skylake-Server-noTSX-IBRS, Cascadelake-Server-v3) or "
                  "-cpu <model>,x-fallback=on; state saved with TSX can only "
                  "be restored where TSX is present: keep it, and restore it "
                  "on such a host or after booting with tsx=on",
        .references = (const char *const[]) {
            "Univention: Guest CPU doesn't match specification "
            "(missing features: tsx, hle, rtm)",
            "docs/system/i386/cpu-fallback.rst",
            NULL },
        .detect = detect_tsx_removed,
        .relevant = relevant_tsx,
    }, {
        .id = "vcpu-events-error-code",
        .title = "KVM_SET_VCPU_EVENTS does not check error codes on "
                 "pre-CET Intel CPUs",
        .symptom = "an exception restored with an error code that does not "
                   "fit its vector (from a bad save file or migration "
                   "stream) fails VM entry with hardware error 0x80000021 "
                   "on Intel CPUs without IA32_VMX_BASIC bit 56",
        .advice = "nothing to do: qemu-resilient makes exception state "
                  "consistent before KVM sees it; keep "
                  "x-sanitize-vcpu-events on (the default)",
        .references = (const char *const[]) {
            KVM_ERRATA_DOC " (KVM_SET_VCPU_EVENTS issue)",
            "docs/system/i386/vcpu-events.rst",
            NULL },
        .failures = KVM_ERRATUM_FAILS_ENTRY,
        .detect = detect_vcpu_events_error_code,
        .relevant = relevant_vcpu_events,
    }, {
        .id = "mtrr-not-virtualized",
        .title = "guest MTRR memory types are not virtualized",
        .symptom = "KVM treats all guest memory as write-back whatever the "
                   "guest's MTRRs say (Intel since Linux 6.11; never with "
                   "NPT or shadow paging): an assigned device's memory "
                   "that the guest maps write-combining or uncached through "
                   "MTRRs only is not",
        .advice = "guests must use PAT, not MTRRs, for the memory types of "
                  "assigned devices (current Linux and Windows do)",
        .references = (const char *const[]) {
            KVM_ERRATA_DOC " (MTRRs)", NULL },
        .detect = detect_mtrr,
        .relevant = relevant_mtrr,
    }, {
        .id = "x2apic-32bit-id-quirk",
        .title = "x2APIC IDs above 255: aliased APIC IDs get no interrupts",
        .symptom = "with 32-bit x2APIC IDs (VMs with APIC IDs above 255), "
                   "KVM delivers an interrupt for an APIC ID that several "
                   "vCPUs share only to the one with the lowest vCPU ID",
        .advice = "do not let the guest give two vCPUs the same xAPIC ID; "
                  "nothing to do for guests that keep the IDs firmware "
                  "assigns",
        .references = (const char *const[]) {
            KVM_ERRATA_DOC " (x2APIC)", NULL },
        .detect = detect_x2apic_quirk,
        .relevant = relevant_x2apic,
    }, {
        .id = "x87-fdp-fcs-fds",
        .title = "x87 FDP_EXCPTN_ONLY and ZERO_FCS_FDS are set on the host",
        .symptom = "the host CPU no longer saves the x87 FCS/FDS or updates "
                   "FDP on every instruction; a guest CPUID with these bits "
                   "clear claims the old behaviour, which no VM on this host "
                   "has",
        .advice = "run the VM on one of qemu-resilient's own machine "
                  "types (q35, pc), or with -cpu ...,x-x87-errata-bits=on: "
                  "either sets the bits in guest CPUID as KVM's errata "
                  "document recommends (upstream machine types keep "
                  "vanilla's CPUID)",
        .references = (const char *const[]) {
            KVM_ERRATA_DOC " (x87 features)", NULL },
        .detect = detect_x87_bits,
        .relevant = relevant_x87,
    }, {
        .id = "cpuid-not-virtualized",
        .title = "KVM does not virtualize CPUID; its instruction emulator "
                 "is limited",
        .symptom = "a restricted or nested KVM shows guests the host's "
                   "CPUID feature flags whatever -cpu says, and runs guest "
                   "code in an emulator that cannot handle common "
                   "instructions (VEX, "
                   "cmpxchg16b, xrstor): stock guests stop with \"KVM "
                   "internal error. Suberror: 1\" (emulation failure)",
        .advice = "-cpu has no effect on this host; run such guests with "
                  "-accel tcg, or on a host with full KVM",
        .references = (const char *const[]) {
            "docs/system/i386/kvm-errata.rst", NULL },
        .failures = KVM_ERRATUM_FAILS_EMULATION,
        .detect = detect_cpuid_not_virtualized,
        .relevant = relevant_kvm,
    },
};

const size_t kvm_host_errata_count = G_N_ELEMENTS(kvm_host_errata);

const KvmHostErratum *kvm_host_erratum_find(const char *id)
{
    for (size_t i = 0; i < kvm_host_errata_count; i++) {
        if (!strcmp(kvm_host_errata[i].id, id)) {
            return &kvm_host_errata[i];
        }
    }
    return NULL;
}
