/*
 * Choosing a runnable version of a CPU model: the pure part
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/host-utils.h"
#include "cpu-fallback-resolver.h"

bool x86_fallback_runnable(const uint64_t *features,
                           const uint64_t *available, size_t nwords)
{
    return x86_fallback_count_andnot(features, available, nwords) == 0;
}

unsigned x86_fallback_count_andnot(const uint64_t *a, const uint64_t *b,
                                   size_t nwords)
{
    unsigned n = 0;

    for (size_t w = 0; w < nwords; w++) {
        n += ctpop64(a[w] & ~b[w]);
    }
    return n;
}

X86FallbackChoice x86_fallback_choose(const X86FallbackCandidate *versions,
                                      size_t nversions,
                                      const uint64_t *requested,
                                      const uint64_t *available,
                                      size_t nwords)
{
    X86FallbackChoice best = { .index = -1 };

    for (size_t i = 0; i < nversions; i++) {
        const X86FallbackCandidate *v = &versions[i];
        unsigned lost, added;

        if (!x86_fallback_runnable(v->features, available, nwords)) {
            continue;
        }
        lost = x86_fallback_count_andnot(requested, v->features, nwords);
        added = x86_fallback_count_andnot(v->features, requested, nwords);
        if (best.index >= 0 &&
            (lost > best.lost ||
             (lost == best.lost && added > best.added) ||
             (lost == best.lost && added == best.added &&
              v->version < versions[best.index].version))) {
            continue;
        }
        best = (X86FallbackChoice) {
            .index = i, .lost = lost, .added = added,
        };
    }
    return best;
}

typedef struct AlternativeRank {
    size_t index;
    unsigned distance;
    unsigned lost;
    const char *name;
} AlternativeRank;

static bool alternative_better(const AlternativeRank *a,
                               const AlternativeRank *b)
{
    if (a->distance != b->distance) {
        return a->distance < b->distance;
    }
    if (a->lost != b->lost) {
        return a->lost < b->lost;
    }
    return g_strcmp0(a->name, b->name) < 0;
}

size_t x86_fallback_alternatives(const X86FallbackCandidate *models,
                                 size_t nmodels,
                                 const uint64_t *requested,
                                 const uint64_t *available, size_t nwords,
                                 size_t *out)
{
    AlternativeRank best[X86_FALLBACK_MAX_ALTERNATIVES];
    size_t n = 0;

    for (size_t i = 0; i < nmodels; i++) {
        AlternativeRank r;
        size_t pos;

        if (!x86_fallback_runnable(models[i].features, available, nwords)) {
            continue;
        }
        r.index = i;
        r.name = models[i].name;
        r.lost = x86_fallback_count_andnot(requested, models[i].features,
                                           nwords);
        r.distance = r.lost + x86_fallback_count_andnot(models[i].features,
                                                        requested, nwords);
        /* insertion into the short sorted list */
        for (pos = n; pos > 0 && alternative_better(&r, &best[pos - 1]);
             pos--) {
            if (pos < X86_FALLBACK_MAX_ALTERNATIVES) {
                best[pos] = best[pos - 1];
            }
        }
        if (pos < X86_FALLBACK_MAX_ALTERNATIVES) {
            best[pos] = r;
            n = MIN(n + 1, X86_FALLBACK_MAX_ALTERNATIVES);
        }
    }
    for (size_t i = 0; i < n; i++) {
        out[i] = best[i].index;
    }
    return n;
}
