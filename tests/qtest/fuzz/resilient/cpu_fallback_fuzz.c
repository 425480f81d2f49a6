/*
 * Fuzz the CPU-model fallback resolver with random feature sets
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * An input decodes to a request, what the host can run and a list of
 * candidate models.  The resolver's answers are checked against a brute
 * force over the same candidates: the choice is runnable and no runnable
 * candidate ranks strictly better; the alternatives are runnable,
 * distinct, sorted, as many as there are (up to the maximum), and none
 * left out ranks better than the last one kept.
 */

#include "qemu/osdep.h"
#include "qemu/host-utils.h"
#include "qemu/module.h"
#include "target/i386/cpu-fallback-resolver.h"
#include "tests/qtest/fuzz/fuzz.h"
#include "fuzz_input.h"

#define MAX_WORDS       4
#define MAX_CANDIDATES  12

static const char *const names[] = {
    "Skylake-Server-v1", "Skylake-Server-v10", "Skylake-Server-v2", "EPYC",
};

typedef struct Rank {
    unsigned distance;  /* features lost + features added */
    unsigned lost;
} Rank;

static unsigned andnot(const uint64_t *a, const uint64_t *b, size_t nwords)
{
    unsigned n = 0;

    for (size_t w = 0; w < nwords; w++) {
        n += ctpop64(a[w] & ~b[w]);
    }
    return n;
}

static bool runnable(const uint64_t *f, const uint64_t *avail, size_t nwords)
{
    return andnot(f, avail, nwords) == 0;
}

/* A feature word: sparse, dense or raw, so that ties are common. */
static uint64_t feature_word(FuzzInput *in, uint64_t base)
{
    switch (fuzz_input_u8(in) % 4) {
    case 0:
        return base;
    case 1:
        return base & ~(1ULL << (fuzz_input_u8(in) % 64));
    case 2:
        return base | (1ULL << (fuzz_input_u8(in) % 64));
    default:
        return fuzz_input_u64(in);
    }
}

static void check_choose(const X86FallbackCandidate *c, size_t n,
                         const uint64_t *req, const uint64_t *avail,
                         size_t nwords)
{
    X86FallbackChoice ch = x86_fallback_choose(c, n, req, avail, nwords);
    bool any = false;

    for (size_t i = 0; i < n; i++) {
        any |= runnable(c[i].features, avail, nwords);
    }
    if (!any) {
        g_assert_cmpint(ch.index, ==, -1);
        return;
    }
    g_assert_cmpint(ch.index, >=, 0);
    g_assert_cmpint(ch.index, <, n);
    g_assert_true(runnable(c[ch.index].features, avail, nwords));
    g_assert_cmpuint(ch.lost, ==, andnot(req, c[ch.index].features, nwords));
    g_assert_cmpuint(ch.added, ==, andnot(c[ch.index].features, req, nwords));
    for (size_t i = 0; i < n; i++) {
        unsigned lost, added;

        if (!runnable(c[i].features, avail, nwords)) {
            continue;
        }
        lost = andnot(req, c[i].features, nwords);
        added = andnot(c[i].features, req, nwords);
        /* Nothing runnable may rank strictly better than the choice. */
        g_assert_false(lost < ch.lost);
        g_assert_false(lost == ch.lost && added < ch.added);
        g_assert_false(lost == ch.lost && added == ch.added &&
                       c[i].version > c[ch.index].version);
    }
}

static Rank rank_of(const X86FallbackCandidate *c, const uint64_t *req,
                    size_t nwords)
{
    unsigned lost = andnot(req, c->features, nwords);

    return (Rank) {
        .distance = lost + andnot(c->features, req, nwords),
        .lost = lost,
    };
}

/* Rank order of the alternatives: distance, then lost, then name. */
static int rank_cmp(const X86FallbackCandidate *a,
                    const X86FallbackCandidate *b,
                    const uint64_t *req, size_t nwords)
{
    Rank ra = rank_of(a, req, nwords), rb = rank_of(b, req, nwords);

    if (ra.distance != rb.distance) {
        return ra.distance < rb.distance ? -1 : 1;
    }
    if (ra.lost != rb.lost) {
        return ra.lost < rb.lost ? -1 : 1;
    }
    return g_strcmp0(a->name, b->name);
}

static void check_alternatives(const X86FallbackCandidate *c, size_t n,
                               const uint64_t *req, const uint64_t *avail,
                               size_t nwords)
{
    size_t out[X86_FALLBACK_MAX_ALTERNATIVES];
    bool kept[MAX_CANDIDATES] = { false };
    size_t nrun = 0, got;

    for (size_t i = 0; i < n; i++) {
        nrun += runnable(c[i].features, avail, nwords);
    }
    got = x86_fallback_alternatives(c, n, req, avail, nwords, out);
    g_assert_cmpuint(got, ==, MIN(nrun, X86_FALLBACK_MAX_ALTERNATIVES));
    for (size_t k = 0; k < got; k++) {
        g_assert_cmpuint(out[k], <, n);
        g_assert_false(kept[out[k]]);
        kept[out[k]] = true;
        g_assert_true(runnable(c[out[k]].features, avail, nwords));
        if (k) {
            g_assert_cmpint(rank_cmp(&c[out[k - 1]], &c[out[k]], req,
                                     nwords), <=, 0);
        }
    }
    for (size_t i = 0; got && i < n; i++) {
        if (!kept[i] && runnable(c[i].features, avail, nwords)) {
            g_assert_cmpint(rank_cmp(&c[i], &c[out[got - 1]], req,
                                     nwords), >=, 0);
        }
    }
}

static void cpu_fallback_fuzz(QTestState *s, const unsigned char *data,
                              size_t size)
{
    FuzzInput in = { .data = data, .size = size };
    uint64_t req[MAX_WORDS], avail[MAX_WORDS];
    uint64_t feat[MAX_CANDIDATES][MAX_WORDS];
    X86FallbackCandidate c[MAX_CANDIDATES];
    size_t nwords = 1 + fuzz_input_u8(&in) % MAX_WORDS;
    size_t n = fuzz_input_u8(&in) % (MAX_CANDIDATES + 1);

    for (size_t w = 0; w < nwords; w++) {
        req[w] = fuzz_input_u64(&in);
        avail[w] = feature_word(&in, req[w]);
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t w = 0; w < nwords; w++) {
            feat[i][w] = feature_word(&in, fuzz_input_u8(&in) & 1 ?
                                      avail[w] : req[w]);
        }
        c[i] = (X86FallbackCandidate) {
            .name = names[fuzz_input_u8(&in) % ARRAY_SIZE(names)],
            .version = fuzz_input_u8(&in) % 8,
            .features = feat[i],
        };
    }
    check_choose(c, n, req, avail, nwords);
    check_alternatives(c, n, req, avail, nwords);
}

static GString *cpu_fallback_cmdline(FuzzTarget *t)
{
    /* The resolver needs no machine; the fuzzer's QEMU still starts one. */
    return g_string_new(TARGET_NAME " -machine none,accel=qtest");
}

static void register_cpu_fallback_fuzz_target(void)
{
    fuzz_add_target(&(FuzzTarget) {
        .name = "resilient-cpu-fallback",
        .description = "Fuzz the CPU-model fallback resolver with random "
                       "feature sets, checked against a brute force",
        .get_init_cmdline = cpu_fallback_cmdline,
        .fuzz = cpu_fallback_fuzz,
    });
}

fuzz_target_init(register_cpu_fallback_fuzz_target);
