/*
 * Choosing a runnable version of a CPU model: the pure part
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Nothing here knows about QOM, accelerators or CPUID: a feature set is
 * an array of @nwords 64-bit words, one bit per feature, so that the
 * choice can be unit-tested (and fuzzed) with synthetic feature sets.
 */

#ifndef TARGET_I386_CPU_FALLBACK_RESOLVER_H
#define TARGET_I386_CPU_FALLBACK_RESOLVER_H

/* One version of a model, or one model among the alternatives. */
typedef struct X86FallbackCandidate {
    const char *name;           /* e.g. "Cascadelake-Server-v3" */
    int version;                /* the N of -vN; newer is larger */
    const uint64_t *features;   /* the features it asks for */
} X86FallbackCandidate;

typedef struct X86FallbackChoice {
    int index;          /* into the candidates, -1 if none is runnable */
    unsigned lost;      /* requested features the choice lacks */
    unsigned added;     /* features of the choice the request lacks */
} X86FallbackChoice;

#define X86_FALLBACK_MAX_ALTERNATIVES 3

/* Whether every feature in @features is in @available. */
bool x86_fallback_runnable(const uint64_t *features,
                           const uint64_t *available, size_t nwords);

/* How many features are in @a and not in @b. */
unsigned x86_fallback_count_andnot(const uint64_t *a, const uint64_t *b,
                                   size_t nwords);

/*
 * Among the runnable @versions of one model, the one closest to
 * @requested: fewest requested features lost, then fewest features
 * added, then the newest.
 */
X86FallbackChoice x86_fallback_choose(const X86FallbackCandidate *versions,
                                      size_t nversions,
                                      const uint64_t *requested,
                                      const uint64_t *available,
                                      size_t nwords);

/*
 * Up to X86_FALLBACK_MAX_ALTERNATIVES runnable @models closest to
 * @requested (fewest features differing, then fewest lost, then by
 * name), their indexes stored in @out in that order.  Returns how many.
 */
size_t x86_fallback_alternatives(const X86FallbackCandidate *models,
                                 size_t nmodels,
                                 const uint64_t *requested,
                                 const uint64_t *available, size_t nwords,
                                 size_t *out);

#endif
