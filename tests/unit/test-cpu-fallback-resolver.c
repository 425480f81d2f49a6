/*
 * Unit tests for the CPU-model fallback resolver, on synthetic feature
 * sets shaped like QEMU's real version ladders: no VM is started.
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "../../target/i386/cpu-fallback-resolver.h"

/* A synthetic feature namespace: one bit each, spread over two words. */
enum {
    F_SSE, F_AVX512, F_HLE, F_RTM, F_SPEC_CTRL, F_CLFLUSHOPT,
    F_ARCH_CAP, F_RDCTL_NO, F_IBRS_ALL, F_SKIP_L1DFL, F_MDS_NO,
    F_PSCHANGE_MC_NO, F_TAA_NO,
    F_EPTP_SWITCHING = 64, F_XSAVES, F_SHA_NI, F_RDPID, F_PAGE_WALK_5,
    F_PCID, F_AES, F_INVPCID,
};
#define NWORDS 2

typedef struct FeatureSet {
    uint64_t w[NWORDS];
} FeatureSet;

static FeatureSet set_of(const int *bits, size_t n)
{
    FeatureSet s = { { 0 } };

    for (size_t i = 0; i < n; i++) {
        s.w[bits[i] / 64] |= 1ULL << (bits[i] % 64);
    }
    return s;
}
#define SET(...) \
    set_of((const int[]) { __VA_ARGS__ }, \
           sizeof((const int[]) { __VA_ARGS__ }) / sizeof(int))

static FeatureSet with(FeatureSet s, FeatureSet add)
{
    for (int w = 0; w < NWORDS; w++) {
        s.w[w] |= add.w[w];
    }
    return s;
}

static FeatureSet without(FeatureSet s, FeatureSet del)
{
    for (int w = 0; w < NWORDS; w++) {
        s.w[w] &= ~del.w[w];
    }
    return s;
}

/* Everything any ladder below uses. */
static FeatureSet everything(void)
{
    FeatureSet s;

    memset(&s, 0xff, sizeof(s));
    return s;
}

typedef struct Ladder {
    const char *model;
    size_t n;
    FeatureSet v[8];
    X86FallbackCandidate c[8];
    char names[8][64];
} Ladder;

static void ladder_finish(Ladder *l)
{
    for (size_t i = 0; i < l->n; i++) {
        snprintf(l->names[i], sizeof(l->names[i]), "%s-v%zu", l->model, i + 1);
        l->c[i] = (X86FallbackCandidate) {
            .name = l->names[i], .version = i + 1, .features = l->v[i].w,
        };
    }
}

/* Cascadelake-Server v1..v5 as target/i386/cpu.c builds them. */
static void cascadelake(Ladder *l)
{
    l->model = "Cascadelake-Server";
    l->n = 5;
    l->v[0] = SET(F_SSE, F_AVX512, F_HLE, F_RTM, F_SPEC_CTRL, F_PCID);
    l->v[1] = with(l->v[0], SET(F_ARCH_CAP, F_RDCTL_NO, F_IBRS_ALL,
                                F_SKIP_L1DFL, F_MDS_NO));
    l->v[2] = without(l->v[1], SET(F_HLE, F_RTM));          /* noTSX */
    l->v[3] = with(l->v[2], SET(F_EPTP_SWITCHING));
    l->v[4] = with(l->v[3], SET(F_XSAVES));
    ladder_finish(l);
}

/* Icelake-Server v1..v7; v7 brings TSX back. */
static void icelake(Ladder *l)
{
    l->model = "Icelake-Server";
    l->n = 7;
    l->v[0] = SET(F_SSE, F_AVX512, F_HLE, F_RTM, F_SPEC_CTRL, F_PCID);
    l->v[1] = without(l->v[0], SET(F_HLE, F_RTM));          /* noTSX */
    l->v[2] = with(l->v[1], SET(F_ARCH_CAP, F_RDCTL_NO, F_IBRS_ALL,
                                F_SKIP_L1DFL, F_MDS_NO, F_PSCHANGE_MC_NO,
                                F_TAA_NO));
    l->v[3] = with(l->v[2], SET(F_SHA_NI, F_RDPID, F_EPTP_SWITCHING));
    l->v[4] = with(l->v[3], SET(F_XSAVES));
    l->v[5] = with(l->v[4], SET(F_PAGE_WALK_5));
    l->v[6] = with(l->v[5], SET(F_HLE, F_RTM));
    ladder_finish(l);
}

/* Westmere v1..v2: v2 adds spec-ctrl (IBRS). */
static void westmere(Ladder *l)
{
    l->model = "Westmere";
    l->n = 2;
    l->v[0] = SET(F_SSE, F_AES);
    l->v[1] = with(l->v[0], SET(F_SPEC_CTRL));
    ladder_finish(l);
}

static void assert_choice(const Ladder *l, X86FallbackChoice c,
                          const char *expected)
{
    const char *actual = c.index >= 0 ? l->c[c.index].name : "(none)";

    if (g_strcmp0(actual, expected)) {
        g_error("expected fallback %s, chose %s", expected, actual);
    }
}

static void test_cascadelake_without_tsx(void)
{
    Ladder l;
    FeatureSet host = without(everything(), SET(F_HLE, F_RTM));
    X86FallbackChoice c;

    cascadelake(&l);
    /* the bare name is v1 */
    c = x86_fallback_choose(l.c, l.n, l.v[0].w, host.w, NWORDS);
    assert_choice(&l, c, "Cascadelake-Server-v3");
    g_assert_cmpuint(c.lost, ==, 2);        /* hle, rtm */
    g_assert_cmpuint(c.added, ==, 5);       /* the v2 vulnerability bits */

    /* v2 asked for: v3 again, losing only TSX, adding nothing */
    c = x86_fallback_choose(l.c, l.n, l.v[1].w, host.w, NWORDS);
    assert_choice(&l, c, "Cascadelake-Server-v3");
    g_assert_cmpuint(c.lost, ==, 2);
    g_assert_cmpuint(c.added, ==, 0);
}

static void test_icelake_without_tsx_not_v7(void)
{
    Ladder l;
    FeatureSet host = without(everything(), SET(F_HLE, F_RTM));
    X86FallbackChoice c;

    icelake(&l);
    c = x86_fallback_choose(l.c, l.n, l.v[0].w, host.w, NWORDS);
    assert_choice(&l, c, "Icelake-Server-v2");
    g_assert_cmpuint(c.added, ==, 0);

    /* v7 asked for: the newest noTSX version, v6, not v7 itself */
    c = x86_fallback_choose(l.c, l.n, l.v[6].w, host.w, NWORDS);
    assert_choice(&l, c, "Icelake-Server-v6");
    g_assert_cmpuint(c.lost, ==, 2);
}

static void test_newest_wins_ties(void)
{
    Ladder l;
    FeatureSet host = without(everything(), SET(F_HLE, F_RTM));
    X86FallbackChoice c;
    FeatureSet request;

    /* v4 and v5 differ by xsaves; a request holding neither ties them */
    cascadelake(&l);
    l.v[3] = l.v[4];
    request = without(l.v[1], SET(F_XSAVES));
    c = x86_fallback_choose(l.c, l.n, request.w, host.w, NWORDS);
    assert_choice(&l, c, "Cascadelake-Server-v3");
    request = with(l.v[4], SET(F_HLE));
    c = x86_fallback_choose(l.c, l.n, request.w, host.w, NWORDS);
    assert_choice(&l, c, "Cascadelake-Server-v5");
}

/* TCG as the host: no spec-ctrl, pcid, hle, rtm, invpcid */
static void test_westmere_under_tcg(void)
{
    Ladder l;
    FeatureSet tcg = without(everything(), SET(F_SPEC_CTRL, F_PCID, F_HLE,
                                               F_RTM, F_INVPCID));
    X86FallbackChoice c;

    westmere(&l);
    g_assert_false(x86_fallback_runnable(l.v[1].w, tcg.w, NWORDS));
    c = x86_fallback_choose(l.c, l.n, l.v[1].w, tcg.w, NWORDS);
    assert_choice(&l, c, "Westmere-v1");
    g_assert_cmpuint(c.lost, ==, 1);
    g_assert_cmpuint(c.added, ==, 0);
}

static void test_no_runnable_version(void)
{
    Ladder l, w, ice;
    FeatureSet tcg = without(everything(), SET(F_SPEC_CTRL, F_PCID, F_HLE,
                                               F_RTM, F_INVPCID));
    X86FallbackCandidate models[16];
    size_t n = 0, out[X86_FALLBACK_MAX_ALTERNATIVES], nalt;
    X86FallbackChoice c;

    cascadelake(&l);
    c = x86_fallback_choose(l.c, l.n, l.v[0].w, tcg.w, NWORDS);
    assert_choice(&l, c, "(none)");

    /* alternatives: the runnable models closest in features */
    westmere(&w);
    icelake(&ice);
    models[n++] = w.c[1];                   /* not runnable: spec-ctrl */
    models[n++] = w.c[0];
    models[n++] = ice.c[2];                 /* not runnable: pcid */
    nalt = x86_fallback_alternatives(models, n, l.v[0].w, tcg.w, NWORDS,
                                     out);
    g_assert_cmpuint(nalt, ==, 1);
    g_assert_cmpstr(models[out[0]].name, ==, "Westmere-v1");
}

static void test_alternatives_ordered_and_capped(void)
{
    FeatureSet req = SET(F_SSE, F_AES, F_SHA_NI, F_RDPID);
    FeatureSet a = SET(F_SSE, F_AES, F_SHA_NI);             /* distance 1 */
    FeatureSet b = SET(F_SSE);                              /* distance 3 */
    FeatureSet c = SET(F_SSE, F_AES, F_SHA_NI, F_RDPID, F_XSAVES, F_AVX512);
    FeatureSet d = SET(F_SSE, F_AES);                       /* distance 2 */
    FeatureSet e = SET(F_SSE, F_AES, F_SHA_NI, F_RDPID, F_PCID);
    FeatureSet host = without(everything(), SET(F_PCID));
    X86FallbackCandidate m[] = {
        { "B", 1, b.w }, { "C", 1, c.w }, { "A", 1, a.w }, { "D", 1, d.w },
        { "E", 1, e.w },
    };
    size_t out[X86_FALLBACK_MAX_ALTERNATIVES];
    size_t n = x86_fallback_alternatives(m, ARRAY_SIZE(m), req.w, host.w,
                                         NWORDS, out);

    g_assert_cmpuint(n, ==, 3);
    /* A (1), then C and D at distance 2: C loses nothing */
    g_assert_cmpstr(m[out[0]].name, ==, "A");
    g_assert_cmpstr(m[out[1]].name, ==, "C");
    g_assert_cmpstr(m[out[2]].name, ==, "D");
}

static void test_runnable_request_needs_nothing(void)
{
    Ladder l;
    FeatureSet host = everything();

    cascadelake(&l);
    g_assert_true(x86_fallback_runnable(l.v[0].w, host.w, NWORDS));
    g_assert_cmpuint(x86_fallback_count_andnot(l.v[1].w, l.v[0].w, NWORDS),
                     ==, 5);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/cpu-fallback/cascadelake-without-tsx",
                    test_cascadelake_without_tsx);
    g_test_add_func("/cpu-fallback/icelake-without-tsx-not-v7",
                    test_icelake_without_tsx_not_v7);
    g_test_add_func("/cpu-fallback/newest-wins-ties", test_newest_wins_ties);
    g_test_add_func("/cpu-fallback/westmere-under-tcg",
                    test_westmere_under_tcg);
    g_test_add_func("/cpu-fallback/no-runnable-version",
                    test_no_runnable_version);
    g_test_add_func("/cpu-fallback/alternatives-ordered-and-capped",
                    test_alternatives_ordered_and_capped);
    g_test_add_func("/cpu-fallback/runnable-request",
                    test_runnable_request_needs_nothing);
    return g_test_run();
}
