/*
 * Host facts for the KVM errata detectors: one layer that reads them
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Plain C and GLib, no QEMU state, so that tests/unit can link it.
 */

#include "qemu/osdep.h"
#include "qemu/cutils.h"
#include "host-facts.h"
#if defined(HOST_X86_64) || defined(HOST_I386)
#include <cpuid.h>
#endif

/* Below a fixture directory: the facts that are not files on a host. */
#define FIXTURE_FACTS "qemu-host-facts/"

struct HostFacts {
    char *root;                 /* fixture directory, or NULL */
    const HostFactsKvm *kvm;
    GHashTable *files;          /* path -> first line, or NULL */
    GHashTable *cpuinfo;        /* field -> value, first processor */
    bool cpuinfo_read;
    HostFactsProbe probe;
    char *probe_detail;
    bool probed;
};

HostFacts *host_facts_new(const char *fixture_dir, const HostFactsKvm *kvm)
{
    HostFacts *hf = g_new0(HostFacts, 1);

    hf->root = g_strdup(fixture_dir);
    hf->kvm = fixture_dir ? NULL : kvm;
    hf->files = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    hf->cpuinfo = g_hash_table_new_full(g_str_hash, g_str_equal,
                                        g_free, g_free);
    return hf;
}

void host_facts_free(HostFacts *hf)
{
    if (!hf) {
        return;
    }
    g_hash_table_destroy(hf->files);
    g_hash_table_destroy(hf->cpuinfo);
    g_free(hf->probe_detail);
    g_free(hf->root);
    g_free(hf);
}

bool host_facts_have_kvm(HostFacts *hf)
{
    return hf->root || hf->kvm;
}

static char *host_path(HostFacts *hf, const char *path)
{
    return hf->root ? g_build_filename(hf->root, path, NULL) : g_strdup(path);
}

static char *read_whole(HostFacts *hf, const char *path)
{
    g_autofree char *p = host_path(hf, path);
    char *contents = NULL;

    if (!g_file_get_contents(p, &contents, NULL, NULL)) {
        return NULL;
    }
    return contents;
}

const char *host_facts_file(HostFacts *hf, const char *path)
{
    gpointer value;
    char *text;

    if (g_hash_table_lookup_extended(hf->files, path, NULL, &value)) {
        return value;
    }
    text = read_whole(hf, path);
    if (text) {
        text[strcspn(text, "\n")] = '\0';
        g_strchomp(text);
    }
    g_hash_table_insert(hf->files, g_strdup(path), text);
    return text;
}

bool host_facts_exists(HostFacts *hf, const char *path)
{
    g_autofree char *p = host_path(hf, path);

    return g_file_test(p, G_FILE_TEST_EXISTS);
}

bool host_facts_kernel(HostFacts *hf, int *major, int *minor)
{
    const char *release = host_facts_file(hf, "/proc/sys/kernel/osrelease");

    return release && sscanf(release, "%d.%d", major, minor) == 2;
}

bool host_facts_kernel_at_least(HostFacts *hf, int major, int minor)
{
    int ma, mi;

    return host_facts_kernel(hf, &ma, &mi) &&
           (ma > major || (ma == major && mi >= minor));
}

static void read_cpuinfo(HostFacts *hf)
{
    g_autofree char *text = read_whole(hf, "/proc/cpuinfo");
    g_auto(GStrv) lines = NULL;

    hf->cpuinfo_read = true;
    if (!text) {
        return;
    }
    lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        char *colon = strchr(*l, ':');

        if (!**l && g_hash_table_size(hf->cpuinfo)) {
            break;              /* end of the first processor */
        }
        if (colon) {
            *colon = '\0';
            g_hash_table_insert(hf->cpuinfo, g_strdup(g_strstrip(*l)),
                                g_strdup(g_strstrip(colon + 1)));
        }
    }
}

const char *host_facts_cpuinfo(HostFacts *hf, const char *field)
{
    if (!hf->cpuinfo_read) {
        read_cpuinfo(hf);
    }
    return g_hash_table_lookup(hf->cpuinfo, field);
}

bool host_facts_cpu_flag(HostFacts *hf, const char *flag)
{
    const char *flags = host_facts_cpuinfo(hf, "flags");
    g_auto(GStrv) words = NULL;

    if (!flags) {
        return false;
    }
    words = g_strsplit(flags, " ", -1);
    return g_strv_contains((const char * const *)words, flag);
}

static int cpuinfo_int(HostFacts *hf, const char *field)
{
    const char *v = host_facts_cpuinfo(hf, field);
    int n;

    if (!v || qemu_strtoi(v, NULL, 10, &n) < 0) {
        return -1;
    }
    return n;
}

int host_facts_cpu_family(HostFacts *hf)
{
    return cpuinfo_int(hf, "cpu family");
}

int host_facts_cpu_model(HostFacts *hf)
{
    return cpuinfo_int(hf, "model");
}

bool host_facts_vendor_is(HostFacts *hf, const char *vendor_id)
{
    return g_strcmp0(host_facts_cpuinfo(hf, "vendor_id"), vendor_id) == 0;
}

/*
 * A fixture's CPUID file: one line per leaf,
 *   leaf subleaf eax ebx ecx edx   (numbers as C literals)
 * and '#' comments.
 */
static bool fixture_cpuid(HostFacts *hf, const char *name, uint32_t leaf,
                          uint32_t subleaf, uint32_t regs[4])
{
    g_autofree char *text = read_whole(hf, name);
    g_auto(GStrv) lines = NULL;

    if (!text) {
        return false;
    }
    lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        unsigned long v[6];

        if (sscanf(*l, "%li %li %li %li %li %li", &v[0], &v[1], &v[2],
                   &v[3], &v[4], &v[5]) == 6 &&
            v[0] == leaf && v[1] == subleaf) {
            for (int i = 0; i < 4; i++) {
                regs[i] = v[2 + i];
            }
            return true;
        }
    }
    /* Listed leaves only: an absent leaf reads as zeros, as on hardware. */
    memset(regs, 0, 4 * sizeof(regs[0]));
    return true;
}

bool host_facts_host_cpuid(HostFacts *hf, uint32_t leaf, uint32_t subleaf,
                           uint32_t regs[4])
{
    if (hf->root) {
        return fixture_cpuid(hf, FIXTURE_FACTS "host-cpuid", leaf, subleaf,
                             regs);
    }
#if defined(HOST_X86_64) || defined(HOST_I386)
    __cpuid_count(leaf, subleaf, regs[HF_EAX], regs[HF_EBX], regs[HF_ECX],
                  regs[HF_EDX]);
    return true;
#else
    return false;
#endif
}

bool host_facts_kvm_cpuid(HostFacts *hf, uint32_t leaf, uint32_t subleaf,
                          uint32_t regs[4])
{
    if (hf->root) {
        return fixture_cpuid(hf, FIXTURE_FACTS "kvm-supported-cpuid", leaf,
                             subleaf, regs);
    }
    return hf->kvm && hf->kvm->supported_cpuid(leaf, subleaf, regs);
}

/* A fixture's feature MSRs: "index value" per line. */
bool host_facts_kvm_feature_msr(HostFacts *hf, uint32_t index,
                                uint64_t *value)
{
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;

    if (!hf->root) {
        return hf->kvm && hf->kvm->feature_msr(index, value);
    }
    text = read_whole(hf, FIXTURE_FACTS "kvm-feature-msrs");
    if (!text) {
        return false;
    }
    lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        unsigned long i;
        unsigned long long v;

        if (sscanf(*l, "%li %lli", &i, &v) == 2 && i == index) {
            *value = v;
            return true;
        }
    }
    return false;
}

/* A fixture's probe result: "passed" or "failed", then what it saw. */
HostFactsProbe host_facts_kvm_cpuid_probe(HostFacts *hf, const char **detail)
{
    if (!hf->probed) {
        hf->probed = true;
        if (hf->root) {
            g_autofree char *text = read_whole(hf, FIXTURE_FACTS
                                               "kvm-cpuid-probe");
            g_auto(GStrv) lines = text ? g_strsplit(text, "\n", 2) : NULL;

            if (lines && lines[0]) {
                hf->probe = !strcmp(lines[0], "passed") ?
                            HOST_FACTS_PROBE_PASSED :
                            !strcmp(lines[0], "failed") ?
                            HOST_FACTS_PROBE_FAILED : HOST_FACTS_PROBE_UNKNOWN;
                hf->probe_detail = lines[1] ?
                                   g_strdup(g_strstrip(lines[1])) : NULL;
            }
        } else if (hf->kvm) {
            hf->probe = hf->kvm->cpuid_probe(&hf->probe_detail);
        }
    }
    *detail = hf->probe_detail;
    return hf->probe;
}
