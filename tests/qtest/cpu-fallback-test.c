/*
 * CPU-model fallback with TCG as the host that lacks features
 *
 * TCG cannot provide spec-ctrl, pcid, hle, rtm, invpcid and more, so
 * Westmere-v1 runs under TCG and Westmere-v2 (which adds spec-ctrl)
 * does not, and no version of Skylake-Client does.  Each scenario checks
 * what QEMU says (exit status, warning, QOM properties) and what the
 * guest sees (CPUID, from the cpuid-dump payload).
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "qobject/qstring.h"
#include "guest-payload.h"
#include "guest-payload/cpuid-dump.h"
#include "qemu-cli.h"

#define CPUID_7_0_EDX_SPEC_CTRL (1u << 26)
#define CPUID_1_ECX_MOVBE       (1u << 22)
#define CPUID_1_ECX_AES         (1u << 25)

/* TCG tests start QEMU with -cpu; the payload is just a guest to ask. */
static const char tcg_base[] = "-machine q35 -accel tcg -nodefaults";

static QDict *qom_get(QTestState *qts, const char *path, const char *prop)
{
    return qtest_qmp(qts, "{'execute': 'qom-get', 'arguments':"
                     " {'path': %s, 'property': %s}}", path, prop);
}

static char *qom_str(QTestState *qts, const char *path, const char *prop)
{
    QDict *rsp = qom_get(qts, path, prop);
    char *value = g_strdup(qdict_get_str(rsp, "return"));

    qobject_unref(rsp);
    return value;
}

/* The list property as "a,b,c". */
static char *qom_strlist(QTestState *qts, const char *path, const char *prop)
{
    QDict *rsp = qom_get(qts, path, prop);
    QList *list = qdict_get_qlist(rsp, "return");
    GString *s = g_string_new(NULL);
    QListEntry *e;

    QLIST_FOREACH_ENTRY(list, e) {
        g_string_append_printf(s, "%s%s", s->len ? "," : "",
                               qstring_get_str(qobject_to(QString,
                                                          e->value)));
    }
    qobject_unref(rsp);
    return g_string_free(s, false);
}

static void cpuid_of(const char *cpu, uint32_t *leaf1_ecx,
                     uint32_t *leaf7_edx, char **fallback_model,
                     char **vanished)
{
    GuestPayloadMailbox mb;
    QTestState *qts;
    g_autofree char *path = NULL;

    qts = guest_payload_start(GUEST_PAYLOAD_TCG, "cpuid-dump", "-cpu %s",
                              cpu);
    guest_payload_set_input(qts, CPUID_DUMP_IN_COUNT, 2);
    guest_payload_set_input(qts, CPUID_DUMP_IN_LEAF0,
                            CPUID_DUMP_LEAF(1, 0));
    guest_payload_set_input(qts, CPUID_DUMP_IN_LEAF0 + 1,
                            CPUID_DUMP_LEAF(7, 0));
    path = guest_payload_cpu_path(qts);
    *fallback_model = qom_str(qts, path, "x-fallback-model");
    *vanished = qom_strlist(qts, path, "x-vanished-features");
    guest_payload_run(qts, &mb);
    g_assert_cmpuint(mb.status, ==, GUEST_PAYLOAD_STATUS_PASS);
    *leaf1_ecx = mb.values[CPUID_DUMP_OUT(0, CPUID_DUMP_ECX)];
    *leaf7_edx = mb.values[CPUID_DUMP_OUT(1, CPUID_DUMP_EDX)];
    qtest_quit(qts);
}

/* Westmere-v2 needs spec-ctrl: with fallback it runs as Westmere-v1. */
static void test_westmere_v2_runs_as_v1(void)
{
    g_autofree char *model = NULL;
    g_autofree char *vanished = NULL;
    uint32_t ecx, edx;

    cpuid_of("Westmere-v2,x-fallback=on,enforce", &ecx, &edx, &model,
             &vanished);
    g_assert_cmpstr(model, ==, "Westmere-v1");
    g_assert_cmpstr(vanished, ==, "spec-ctrl");
    g_assert_cmphex(edx & CPUID_7_0_EDX_SPEC_CTRL, ==, 0);
    g_assert_cmphex(ecx & CPUID_1_ECX_AES, ==, CPUID_1_ECX_AES);
}

/* A runnable model needs no fallback and says so: empty properties. */
static void test_runnable_model_untouched(void)
{
    g_autofree char *model = NULL;
    g_autofree char *vanished = NULL;
    uint32_t ecx, edx;

    cpuid_of("Westmere-v1,x-fallback=on,enforce", &ecx, &edx, &model,
             &vanished);
    g_assert_cmpstr(model, ==, "");
    g_assert_cmpstr(vanished, ==, "");
}

/* What the user named on the command line stays on top of the choice. */
static void test_user_features_kept(void)
{
    g_autofree char *model = NULL;
    g_autofree char *vanished = NULL;
    uint32_t ecx, edx;

    cpuid_of("Westmere-v2,x-fallback=on,enforce,+movbe,aes=off", &ecx, &edx,
             &model, &vanished);
    g_assert_cmpstr(model, ==, "Westmere-v1");
    g_assert_cmphex(ecx & CPUID_1_ECX_MOVBE, ==, CPUID_1_ECX_MOVBE);
    g_assert_cmphex(ecx & CPUID_1_ECX_AES, ==, 0);
}

/* Removing the missing feature by hand makes the request runnable. */
static void test_user_removal_needs_no_fallback(void)
{
    g_autofree char *model = NULL;
    g_autofree char *vanished = NULL;
    uint32_t ecx, edx;

    cpuid_of("Westmere-v2,x-fallback=on,enforce,-spec-ctrl", &ecx, &edx,
             &model, &vanished);
    g_assert_cmpstr(model, ==, "");
    g_assert_cmphex(edx & CPUID_7_0_EDX_SPEC_CTRL, ==, 0);
}

static char *cli(const char *cpu_and_more, int expected_status)
{
    g_autofree char *args = g_strdup_printf("%s -smp 2 -cpu %s", tcg_base,
                                            cpu_and_more);
    char *err = NULL;
    int status = qemu_cli_run(args, &err);

    if (status != expected_status) {
        g_error("-cpu %s: expected exit status %d, got %d; stderr:\n%s",
                cpu_and_more, expected_status, status, err);
    }
    return err;
}

/* One warning for the whole VM, naming both versions and the changes. */
static void test_warning_once(void)
{
    g_autofree char *err = cli("Westmere-v2,x-fallback=on,enforce", 0);

    g_assert_cmpuint(qemu_cli_count(err, "warning:"), ==, 1);
    g_assert_nonnull(strstr(err, "CPU model Westmere-v2 needs spec-ctrl, "
                            "which tcg cannot provide; running Westmere-v1 "
                            "instead (dropped: spec-ctrl; added: none)"));
}

/* Without fallback the same start fails naming spec-ctrl. */
static void test_without_fallback_fails(void)
{
    g_autofree char *err = cli("Westmere-v2,enforce", 1);

    g_assert_nonnull(strstr(err, "spec-ctrl"));
}

/* No runnable version: the missing features and the alternatives. */
static void test_no_runnable_version(void)
{
    g_autofree char *err = cli("Skylake-Client-v1,x-fallback=on,enforce", 1);

    g_assert_nonnull(strstr(err, "CPU model Skylake-Client-v1 needs "));
    g_assert_nonnull(strstr(err, "hle"));
    g_assert_nonnull(strstr(err, "rtm"));
    g_assert_nonnull(strstr(err, "no version of Skylake-Client can run "
                            "here"));
    g_assert_nonnull(strstr(err, "Runnable GenuineIntel models closest to "
                            "it: "));
}

/* Without enforce the same request starts, with a warning. */
static void test_no_runnable_version_warns(void)
{
    g_autofree char *err = cli("Skylake-Client-v1,x-fallback=on", 0);

    g_assert_nonnull(strstr(err, "no version of Skylake-Client can run "
                            "here; those features are left out"));
}

static void test_bad_input(void)
{
    g_autofree char *e1 = cli("max,x-fallback=on", 1);
    g_autofree char *e2 = cli("qemu64,x-fallback=on", 1);
    g_autofree char *e3 = cli("Nosuchmodel,x-fallback=on", 1);

    g_assert_nonnull(strstr(e1, "x-fallback=on needs a versioned CPU "
                            "model"));
    g_assert_nonnull(strstr(e2, "CPU model 'qemu64' has a single version"));
    g_assert_nonnull(strstr(e3, "Nosuchmodel"));
}

int main(int argc, char **argv)
{
    const char *reason;

    g_test_init(&argc, &argv, NULL);
    if (!guest_payload_accel_usable(GUEST_PAYLOAD_TCG, &reason)) {
        g_test_skip(reason);
        return g_test_run();
    }
    qtest_add_func("/x86/cpu-fallback/tcg/westmere-v2-runs-as-v1",
                   test_westmere_v2_runs_as_v1);
    qtest_add_func("/x86/cpu-fallback/tcg/runnable-model-untouched",
                   test_runnable_model_untouched);
    qtest_add_func("/x86/cpu-fallback/tcg/user-features-kept",
                   test_user_features_kept);
    qtest_add_func("/x86/cpu-fallback/tcg/user-removal-needs-no-fallback",
                   test_user_removal_needs_no_fallback);
    qtest_add_func("/x86/cpu-fallback/tcg/warning-once", test_warning_once);
    qtest_add_func("/x86/cpu-fallback/tcg/without-fallback-fails",
                   test_without_fallback_fails);
    qtest_add_func("/x86/cpu-fallback/tcg/no-runnable-version",
                   test_no_runnable_version);
    qtest_add_func("/x86/cpu-fallback/tcg/no-runnable-version-warns",
                   test_no_runnable_version_warns);
    qtest_add_func("/x86/cpu-fallback/bad-input", test_bad_input);
    return g_test_run();
}
