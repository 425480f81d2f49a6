/*
 * query-cpu-model-comparison and query-cpu-model-baseline on x86
 *
 * Pairs of models whose difference is known from their definitions in
 * target/i386/cpu.c (Westmere-v2 adds spec-ctrl to v1; Cascadelake-
 * Server-v3 drops TSX from v2, which adds the ARCH_CAPABILITIES bits to
 * v1), models against the accelerator's maximum, baselines checked
 * by comparing them back, and bad input.
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "qobject/qstring.h"
#include "qobject/qjson.h"
#include "qapi/error.h"

typedef struct Comparison {
    char *result;
    char *responsible;      /* "a,b,c" */
} Comparison;

static void comparison_free(Comparison *c)
{
    g_free(c->result);
    g_free(c->responsible);
}

/* Run @cmd on CpuModelInfo objects @a and @b, given as JSON. */
static QDict *qmp_two_models(QTestState *qts, const char *cmd,
                             const char *a, const char *b)
{
    return qtest_qmp(qts, "{'execute': %s, 'arguments':"
                     " {'modela': %p, 'modelb': %p}}", cmd,
                     qobject_from_json(a, &error_abort),
                     qobject_from_json(b, &error_abort));
}

static Comparison compare(QTestState *qts, const char *a, const char *b)
{
    QDict *rsp = qmp_two_models(qts, "query-cpu-model-comparison", a, b);
    QDict *ret = qdict_get_qdict(rsp, "return");
    GString *s = g_string_new(NULL);
    QListEntry *e;
    Comparison c;

    if (!ret) {
        g_error("%s vs %s: %s", a, b,
                qdict_get_str(qdict_get_qdict(rsp, "error"), "desc"));
    }
    QLIST_FOREACH_ENTRY(qdict_get_qlist(ret, "responsible-properties"), e) {
        g_string_append_printf(s, "%s%s", s->len ? "," : "",
                               qstring_get_str(qobject_to(QString,
                                                          e->value)));
    }
    c.result = g_strdup(qdict_get_str(ret, "result"));
    c.responsible = g_string_free(s, false);
    qobject_unref(rsp);
    return c;
}

static void assert_compare(QTestState *qts, const char *a, const char *b,
                           const char *result, const char *responsible)
{
    Comparison c = compare(qts, a, b);

    if (strcmp(c.result, result) ||
        (responsible && strcmp(c.responsible, responsible))) {
        g_error("%s vs %s: expected %s [%s], got %s [%s]", a, b, result,
                responsible ?: "...", c.result, c.responsible);
    }
    comparison_free(&c);
}

static bool list_has(const char *csv, const char *name)
{
    g_auto(GStrv) names = g_strsplit(csv, ",", -1);

    return g_strv_contains((const char * const *)names, name);
}

static void test_model_pairs(void)
{
    QTestState *qts = qtest_init("-machine none -accel tcg");
    Comparison c;

    assert_compare(qts, "{'name': 'Westmere-v1'}", "{'name': 'Westmere-v2'}",
                   "subset", "spec-ctrl");
    assert_compare(qts, "{'name': 'Westmere-v2'}", "{'name': 'Westmere-v1'}",
                   "superset", "spec-ctrl");
    assert_compare(qts, "{'name': 'Westmere-v1'}", "{'name': 'Westmere-v1'}",
                   "identical", "");
    /* an alias is its version */
    assert_compare(qts, "{'name': 'Cascadelake-Server-noTSX'}",
                   "{'name': 'Cascadelake-Server-v3'}", "identical", "");
    /* properties count: v2 without spec-ctrl is v1 */
    assert_compare(qts, "{'name': 'Westmere-v2',"
                   " 'props': {'spec-ctrl': false}}",
                   "{'name': 'Westmere-v1'}", "identical", "");

    /* noTSX v3 against v1: each has what the other lacks */
    c = compare(qts, "{'name': 'Cascadelake-Server-v3'}",
                "{'name': 'Cascadelake-Server-v1'}");
    g_assert_cmpstr(c.result, ==, "incompatible");
    g_assert_true(list_has(c.responsible, "hle"));
    g_assert_true(list_has(c.responsible, "rtm"));
    g_assert_true(list_has(c.responsible, "arch-capabilities"));
    g_assert_true(list_has(c.responsible, "mds-no"));
    g_assert_false(list_has(c.responsible, "avx512f"));
    comparison_free(&c);
    qtest_quit(qts);
}

/* "Will this model run here?" with TCG: compare against max. */
static void test_model_against_max(void)
{
    QTestState *qts = qtest_init("-machine none -accel tcg");
    Comparison c;

    c = compare(qts, "{'name': 'Westmere-v1'}", "{'name': 'max'}");
    g_assert_cmpstr(c.result, ==, "subset");
    comparison_free(&c);

    /* the features in the way come first */
    c = compare(qts, "{'name': 'Westmere-v2'}", "{'name': 'max'}");
    g_assert_cmpstr(c.result, ==, "incompatible");
    g_assert_true(g_str_has_prefix(c.responsible, "spec-ctrl,"));
    comparison_free(&c);

    c = compare(qts, "{'name': 'Skylake-Client-v1'}", "{'name': 'max'}");
    g_assert_cmpstr(c.result, ==, "incompatible");
    g_assert_true(list_has(c.responsible, "hle"));
    g_assert_true(list_has(c.responsible, "rtm"));
    g_assert_true(list_has(c.responsible, "pcid"));
    comparison_free(&c);
    qtest_quit(qts);
}

static QDict *baseline(QTestState *qts, const char *a, const char *b)
{
    QDict *rsp = qmp_two_models(qts, "query-cpu-model-baseline", a, b);
    QDict *model = qdict_get_qdict(qdict_get_qdict(rsp, "return"), "model");

    g_assert_nonnull(model);
    qobject_ref(model);
    qobject_unref(rsp);
    return model;
}

static void test_baseline(void)
{
    QTestState *qts = qtest_init("-machine none -accel tcg");
    QDict *model = baseline(qts, "{'name': 'Westmere-v1'}",
                            "{'name': 'Nehalem-v1'}");
    QDict *props = qdict_get_qdict(model, "props");
    g_autoptr(GString) json = NULL;

    g_assert_cmpstr(qdict_get_str(model, "name"), ==, "base");
    /* Westmere has AES and PCLMULQDQ, Nehalem has not; both have SSE4.2 */
    g_assert_false(qdict_get_bool(props, "aes"));
    g_assert_false(qdict_get_bool(props, "pclmulqdq"));
    g_assert_true(qdict_get_bool(props, "sse4.2"));

    /* the baseline runs wherever either does: Nehalem-v1 is it */
    json = qobject_to_json(QOBJECT(model));
    assert_compare(qts, json->str, "{'name': 'Nehalem-v1'}", "identical",
                   "");
    assert_compare(qts, json->str, "{'name': 'Westmere-v1'}", "subset",
                   NULL);
    qobject_unref(model);
    qtest_quit(qts);
}

static void assert_error(QTestState *qts, const char *cmd, const char *a,
                         const char *b, const char *expected)
{
    QDict *error = qtest_qmp_assert_failure_ref(qts,
                     "{'execute': %s, 'arguments':"
                     " {'modela': %p, 'modelb': %p}}", cmd,
                     qobject_from_json(a, &error_abort),
                     qobject_from_json(b, &error_abort));
    const char *desc = qdict_get_str(error, "desc");

    if (!strstr(desc, expected)) {
        g_error("%s %s %s: expected an error with '%s', got '%s'", cmd, a, b,
                expected, desc);
    }
    qobject_unref(error);
}

static void test_bad_input(void)
{
    QTestState *qts = qtest_init("-machine none -accel tcg");
    const char *cmds[] = {
        "query-cpu-model-comparison", "query-cpu-model-baseline",
    };

    for (int i = 0; i < ARRAY_SIZE(cmds); i++) {
        assert_error(qts, cmds[i], "{'name': 'Nosuchmodel'}",
                     "{'name': 'max'}",
                     "modela: CPU model 'Nosuchmodel' not found");
        assert_error(qts, cmds[i], "{'name': 'max'}",
                     "{'name': 'Westmere-v1', 'props': 3}",
                     "modelb: 'props' must be an object");
        assert_error(qts, cmds[i], "{'name': 'max'}",
                     "{'name': 'Westmere-v1', 'props': {'nofeat': true}}",
                     "modelb: Property 'Westmere-v1-x86_64-cpu.nofeat' not "
                     "found");
        assert_error(qts, cmds[i], "{'name': 'max'}",
                     "{'name': 'Westmere-v1', 'props': {'aes': 'yes'}}",
                     "modelb: ");
        assert_error(qts, cmds[i], "{'name': 'host'}", "{'name': 'max'}",
                     "modela: CPU model 'host' needs an accelerator that "
                     "uses the host's CPUID (KVM)");
        assert_error(qts, cmds[i], "{'name': 'max'}", "{'props': {}}",
                     "'modelb.name'");
    }
    /* still answering */
    assert_compare(qts, "{'name': 'max'}", "{'name': 'max'}", "identical",
                   "");
    qtest_quit(qts);
}

/* Under KVM "host" is the model to compare against. */
static void test_host_under_kvm(void)
{
    QTestState *qts;
    Comparison c;

    if (access("/dev/kvm", R_OK | W_OK)) {
        g_test_skip("no usable /dev/kvm");
        return;
    }
    qts = qtest_init("-machine none -accel kvm");
    if (!qtest_has_accel("kvm")) {
        g_test_skip("QEMU built without KVM");
        qtest_quit(qts);
        return;
    }
    c = compare(qts, "{'name': 'host'}", "{'name': 'host'}");
    g_assert_cmpstr(c.result, ==, "identical");
    comparison_free(&c);
    /* host with a feature taken away is a subset of host */
    c = compare(qts, "{'name': 'host', 'props': {'sse2': false}}",
                "{'name': 'host'}");
    g_assert_cmpstr(c.result, ==, "subset");
    g_assert_cmpstr(c.responsible, ==, "sse2");
    comparison_free(&c);
    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/x86/cpu-model-compare/model-pairs", test_model_pairs);
    qtest_add_func("/x86/cpu-model-compare/model-against-max",
                   test_model_against_max);
    qtest_add_func("/x86/cpu-model-compare/baseline", test_baseline);
    qtest_add_func("/x86/cpu-model-compare/bad-input", test_bad_input);
    qtest_add_func("/x86/cpu-model-compare/host-under-kvm",
                   test_host_under_kvm);
    return g_test_run();
}
