/*
 * Host facts for the KVM errata detectors: one layer that reads them
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Every fact a detector in kvm-errata-table.c uses comes through here:
 * procfs and sysfs files, the host's CPUID, and what KVM reports (its
 * supported CPUID, its feature MSRs, the result of the CPUID probe VM).
 * Pointed at a fixture directory instead of the host, it reads the
 * same files below that directory and takes the CPUID and KVM facts
 * from text files in its qemu-host-facts/ subdirectory, so each
 * detector can be tested without touching the real host
 * (docs/system/i386/kvm-errata.rst describes the layout).
 */

#ifndef TARGET_I386_HOST_FACTS_H
#define TARGET_I386_HOST_FACTS_H

typedef enum HostFactsProbe {
    HOST_FACTS_PROBE_UNKNOWN,
    HOST_FACTS_PROBE_PASSED,
    HOST_FACTS_PROBE_FAILED,
} HostFactsProbe;

/* What only KVM can tell; absent (NULL) when the VM does not use KVM. */
typedef struct HostFactsKvm {
    /* KVM_GET_SUPPORTED_CPUID */
    bool (*supported_cpuid)(uint32_t leaf, uint32_t subleaf,
                            uint32_t regs[4]);
    /* KVM_GET_MSRS on the system fd (feature MSRs) */
    bool (*feature_msr)(uint32_t index, uint64_t *value);
    /*
     * Does a VM see a CPUID entry set with KVM_SET_CPUID2?  @detail
     * says what the probe saw.
     */
    HostFactsProbe (*cpuid_probe)(char **detail);
} HostFactsKvm;

typedef struct HostFacts HostFacts;

/*
 * Facts of this host (@fixture_dir NULL) or of the fixture tree at
 * @fixture_dir.  @kvm is used only for the host.
 */
HostFacts *host_facts_new(const char *fixture_dir, const HostFactsKvm *kvm);
void host_facts_free(HostFacts *hf);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HostFacts, host_facts_free)

/* True if the facts come from KVM (or a fixture standing in for it). */
bool host_facts_have_kvm(HostFacts *hf);

/*
 * The first line of the file at absolute @path ("/proc/..."), without
 * trailing white space; NULL if it cannot be read.  Owned by @hf.
 */
const char *host_facts_file(HostFacts *hf, const char *path);
bool host_facts_exists(HostFacts *hf, const char *path);

/* Kernel release from /proc/sys/kernel/osrelease, e.g. 5.15 */
bool host_facts_kernel(HostFacts *hf, int *major, int *minor);
/* True if the kernel is at least @major.@minor; false if unknown. */
bool host_facts_kernel_at_least(HostFacts *hf, int major, int minor);

/* A field of the first processor in /proc/cpuinfo; owned by @hf. */
const char *host_facts_cpuinfo(HostFacts *hf, const char *field);
/* Is @flag in /proc/cpuinfo's "flags"?  False if unknown. */
bool host_facts_cpu_flag(HostFacts *hf, const char *flag);
/* cpu family / model from /proc/cpuinfo, -1 if unknown */
int host_facts_cpu_family(HostFacts *hf);
int host_facts_cpu_model(HostFacts *hf);
bool host_facts_vendor_is(HostFacts *hf, const char *vendor_id);

/* CPUID as QEMU's process sees it (of the host, or of its hypervisor) */
bool host_facts_host_cpuid(HostFacts *hf, uint32_t leaf, uint32_t subleaf,
                           uint32_t regs[4]);
/* KVM's supported CPUID, feature MSRs and probe VM */
bool host_facts_kvm_cpuid(HostFacts *hf, uint32_t leaf, uint32_t subleaf,
                          uint32_t regs[4]);
bool host_facts_kvm_feature_msr(HostFacts *hf, uint32_t index,
                                uint64_t *value);
HostFactsProbe host_facts_kvm_cpuid_probe(HostFacts *hf, const char **detail);

enum { HF_EAX, HF_EBX, HF_ECX, HF_EDX };

#endif
