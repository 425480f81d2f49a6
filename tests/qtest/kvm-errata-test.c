/*
 * KVM host errata: x-query-kvm-errata and info kvm-errata, start-up
 * warnings, and the report when KVM fails to run a vCPU
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Fixture hosts (tests/data/kvm-errata/, -accel kvm,x-host-facts=DIR)
 * make the expected errata known; the real host is checked against an
 * independent observation (what CPUID a guest sees).  The detectors
 * themselves are tested in tests/unit/test-kvm-errata.c.
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "qobject/qstring.h"
#include "guest-payload.h"
#include "guest-payload/cpuid-dump.h"
#include "guest-payload/emulation-failure.h"
#include "qemu-cli.h"

#ifndef KVM_ERRATA_FIXTURES
#error KVM_ERRATA_FIXTURES must name tests/data/kvm-errata
#endif

#define CPUID_1_ECX_PNI (1u << 0)

static bool need_kvm(void)
{
    const char *reason;

    if (!guest_payload_accel_usable(GUEST_PAYLOAD_KVM, &reason)) {
        g_test_skip(reason);
        return false;
    }
    return true;
}

typedef struct Run {
    QTestState *qts;
    char *dir;
    char *errfile;
} Run;

static void run_start(Run *r, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* QEMU stopped, no payload, with -accel in @fmt; stderr kept. */
static void run_start(Run *r, const char *fmt, ...)
{
    g_autofree char *extra = NULL;
    va_list ap;

    va_start(ap, fmt);
    extra = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    r->dir = g_dir_make_tmp("kvm-errata-test-XXXXXX", NULL);
    r->errfile = g_build_filename(r->dir, "stderr", NULL);
    r->qts = qtest_initf("%s -machine q35 -nodefaults -display none -S "
                         "2>%s", extra, r->errfile);
}

static char *run_stderr(Run *r)
{
    char *log = NULL;

    g_assert_true(g_file_get_contents(r->errfile, &log, NULL, NULL));
    return log;
}

static void run_end(Run *r)
{
    qtest_quit(r->qts);
    unlink(r->errfile);
    rmdir(r->dir);
    g_free(r->errfile);
    g_free(r->dir);
}

static QList *query_errata(QTestState *qts)
{
    QDict *rsp = qtest_qmp(qts, "{'execute': 'x-query-kvm-errata'}");
    QList *list;

    g_assert(qdict_haskey(rsp, "return"));
    list = qdict_get_qlist(rsp, "return");
    qobject_ref(list);
    qobject_unref(rsp);
    return list;
}

static QDict *find_erratum(QList *list, const char *id)
{
    QListEntry *e;

    QLIST_FOREACH_ENTRY(list, e) {
        QDict *d = qobject_to(QDict, e->value);

        if (!strcmp(qdict_get_str(d, "id"), id)) {
            return d;
        }
    }
    g_test_message("erratum %s missing from x-query-kvm-errata", id);
    g_assert_not_reached();
}

/* The evidence of @d, joined with "; " */
static char *evidence_of(QDict *d)
{
    GString *s = g_string_new(NULL);
    QListEntry *e;

    QLIST_FOREACH_ENTRY(qdict_get_qlist(d, "evidence"), e) {
        g_string_append_printf(s, "%s%s", s->len ? "; " : "",
                               qstring_get_str(qobject_to(QString,
                                                          e->value)));
    }
    return g_string_free(s, false);
}

static char *fixture(const char *host)
{
    return g_build_filename(KVM_ERRATA_FIXTURES, host, NULL);
}

/* The ids of the errata start-up warned about, as "a,b". */
static char *warned_ids(const char *log)
{
    static const char marker[] = "warning: KVM host erratum ";
    GString *s = g_string_new(NULL);

    for (const char *p = strstr(log, marker); p;
         p = strstr(p + 1, marker)) {
        const char *id = p + strlen(marker);

        g_string_append_printf(s, "%s%.*s", s->len ? "," : "",
                               (int)strcspn(id, ":"), id);
    }
    return g_string_free(s, false);
}

/* Under TCG nothing is relevant and what only KVM tells is unknown. */
static void test_query_tcg(void)
{
    const char *reason;
    g_autoptr(QList) list = NULL;
    g_autofree char *hmp = NULL;
    g_autofree char *evidence = NULL;
    QListEntry *e;
    QDict *cpuid;
    Run r = {};

    if (!guest_payload_accel_usable(GUEST_PAYLOAD_TCG, &reason)) {
        g_test_skip(reason);
        return;
    }
    run_start(&r, "-accel tcg");
    list = query_errata(r.qts);
    g_assert_cmpint(qlist_size(list), >=, 8);
    QLIST_FOREACH_ENTRY(list, e) {
        QDict *d = qobject_to(QDict, e->value);

        g_assert_false(qdict_get_bool(d, "relevant"));
        g_assert_cmpstr(qdict_get_str(d, "advice"), !=, "");
    }
    cpuid = find_erratum(list, "cpuid-not-virtualized");
    g_assert_cmpstr(qdict_get_str(cpuid, "status"), ==, "unknown");
    evidence = evidence_of(cpuid);
    g_assert_nonnull(strstr(evidence, "not run: this VM does not use KVM"));

    hmp = qtest_hmp(r.qts, "info kvm-errata");
    g_assert_nonnull(strstr(hmp, "This VM does not use KVM"));
    g_assert_nonnull(strstr(hmp, "cpuid-not-virtualized: unknown"));
    g_assert_null(strstr(hmp, "matters to this VM"));
    run_end(&r);
}

/*
 * The probe says what a guest sees: CPUID with a feature turned off
 * by -cpu, from the cpuid-dump payload, is the independent answer.
 */
static void test_probe_real_host(void)
{
    GuestPayloadMailbox mb;
    QTestState *qts;
    g_autoptr(QList) list = NULL;
    g_autofree char *evidence = NULL;
    QDict *cpuid;
    bool virtualized;

    if (!need_kvm()) {
        return;
    }
    qts = guest_payload_start(GUEST_PAYLOAD_KVM, "cpuid-dump",
                              "-cpu max,-pni 2>/dev/null");
    guest_payload_set_input(qts, CPUID_DUMP_IN_COUNT, 1);
    guest_payload_set_input(qts, CPUID_DUMP_IN_LEAF0, CPUID_DUMP_LEAF(1, 0));
    list = query_errata(qts);
    guest_payload_run(qts, &mb);
    virtualized = !(mb.values[CPUID_DUMP_OUT(0, CPUID_DUMP_ECX)] &
                    CPUID_1_ECX_PNI);

    cpuid = find_erratum(list, "cpuid-not-virtualized");
    evidence = evidence_of(cpuid);
    g_test_message("guest CPUID 1 ECX 0x%08" PRIx64 " with -cpu max,-pni; "
                   "probe: %s", mb.values[CPUID_DUMP_OUT(0, CPUID_DUMP_ECX)],
                   evidence);
    g_assert_cmpstr(qdict_get_str(cpuid, "status"), ==,
                    virtualized ? "not-affected" : "affected");
    g_assert_true(qdict_get_bool(cpuid, "relevant"));
    g_assert_nonnull(strstr(evidence, "probe VM: CPUID 1 returned"));
    qtest_quit(qts);
}

typedef struct ProbeRun {
    char *log;          /* stderr, with the probe's trace events */
    char *status;       /* of cpuid-not-virtualized */
    char *evidence;
    char *warned;
} ProbeRun;

static void probe_run_free(ProbeRun *p)
{
    g_free(p->log);
    g_free(p->status);
    g_free(p->evidence);
    g_free(p->warned);
}

/* A KVM start on the real host, the probe's trace events on stderr. */
static void probe_run(ProbeRun *p)
{
    g_autoptr(QList) list = NULL;
    QDict *cpuid;
    Run r = {};

    run_start(&r, "-accel kvm -cpu qemu64 -trace kvm_cpuid_probe_run "
              "-trace kvm_cpuid_probe_kept");
    list = query_errata(r.qts);
    cpuid = find_erratum(list, "cpuid-not-virtualized");
    p->status = g_strdup(qdict_get_str(cpuid, "status"));
    p->evidence = evidence_of(cpuid);
    p->log = run_stderr(&r);
    p->warned = warned_ids(p->log);
    run_end(&r);
}

static bool probe_ran(ProbeRun *p)
{
    return strstr(p->log, "kvm_cpuid_probe_run result") != NULL;
}

static bool probe_kept(ProbeRun *p)
{
    return strstr(p->log, "kvm_cpuid_probe_kept result") != NULL;
}

/*
 * The probe VM runs once per host boot and configuration: a second QEMU
 * takes its answer from the runtime directory, warns the same, and a kept
 * answer is used only under its own key (boot, kernel, CPU and microcode,
 * KVM's module parameters).
 */
static void test_probe_kept(void)
{
    g_autofree char *runtime = NULL;
    g_autofree char *path = NULL;
    g_autofree char *kept = NULL;
    g_autofree char *old_env = g_strdup(g_getenv("XDG_RUNTIME_DIR"));
    g_auto(GStrv) lines = NULL;
    g_autofree char *flipped = NULL;
    g_autofree char *other = NULL;
    const char *flipped_status;
    ProbeRun first = {}, second = {}, third = {}, fourth = {};

    if (!need_kvm()) {
        return;
    }
    runtime = g_dir_make_tmp("kvm-cpuid-probe-XXXXXX", NULL);
    path = g_build_filename(runtime, "qemu-resilient-kvm-cpuid-probe", NULL);
    g_setenv("XDG_RUNTIME_DIR", runtime, true);

    /* Nothing kept: the probe VM runs and its answer is kept. */
    probe_run(&first);
    g_assert_true(probe_ran(&first));
    g_assert_false(probe_kept(&first));
    g_assert_true(g_file_get_contents(path, &kept, NULL, NULL));
    lines = g_strsplit(kept, "\n", 4);
    g_assert_cmpuint(g_strv_length(lines), >=, 3);
    g_assert_cmpstr(lines[1], ==,
                    !strcmp(first.status, "affected") ? "failed" : "passed");

    /* Kept: no probe VM, the same answer and warnings. */
    probe_run(&second);
    g_assert_false(probe_ran(&second));
    g_assert_true(probe_kept(&second));
    g_assert_cmpstr(second.status, ==, first.status);
    g_assert_cmpstr(second.evidence, ==, first.evidence);
    g_assert_cmpstr(second.warned, ==, first.warned);

    /* The kept answer is what counts: flipped, the status flips. */
    flipped_status = !strcmp(first.status, "affected") ? "not-affected"
                                                        : "affected";
    flipped = g_strdup_printf("%s\n%s\nCPUID flipped by the test\n",
                              lines[0], !strcmp(lines[1], "failed") ?
                              "passed" : "failed");
    g_assert_true(g_file_set_contents(path, flipped, -1, NULL));
    probe_run(&third);
    g_assert_false(probe_ran(&third));
    g_assert_cmpstr(third.status, ==, flipped_status);
    g_assert_nonnull(strstr(third.evidence, "CPUID flipped by the test"));

    /* Under another key (another boot, kernel...): probed again. */
    other = g_strdup_printf("0000\n%s\nCPUID flipped by the test\n",
                            !strcmp(lines[1], "failed") ? "passed" : "failed");
    g_assert_true(g_file_set_contents(path, other, -1, NULL));
    probe_run(&fourth);
    g_assert_true(probe_ran(&fourth));
    g_assert_cmpstr(fourth.status, ==, first.status);
    g_free(kept);
    g_assert_true(g_file_get_contents(path, &kept, NULL, NULL));
    g_assert_true(g_str_has_prefix(kept, lines[0]));

    probe_run_free(&first);
    probe_run_free(&second);
    probe_run_free(&third);
    probe_run_free(&fourth);
    if (old_env) {
        g_setenv("XDG_RUNTIME_DIR", old_env, true);
    } else {
        g_unsetenv("XDG_RUNTIME_DIR");
    }
    unlink(path);
    rmdir(runtime);
}

/* One warning per affected, relevant erratum, however often queried. */
static void test_warnings(void)
{
    g_autofree char *dir = fixture("restricted-kvm");
    g_autofree char *log = NULL;
    g_autofree char *ids = NULL;
    g_autofree char *hmp = NULL;
    g_autoptr(QList) list = NULL;
    Run r = {};

    if (!need_kvm()) {
        return;
    }
    run_start(&r, "-accel kvm,x-host-facts=%s -cpu qemu64", dir);
    list = query_errata(r.qts);
    qobject_unref(query_errata(r.qts));
    hmp = qtest_hmp(r.qts, "info kvm-errata");
    g_assert_nonnull(strstr(hmp, "cpuid-not-virtualized: affected, "
                                 "matters to this VM"));
    qtest_qmp_assert_success(r.qts, "{'execute': 'cont'}");
    log = run_stderr(&r);
    ids = warned_ids(log);
    g_assert_cmpstr(ids, ==, "cpuid-not-virtualized");
    g_assert_nonnull(strstr(log, "run such guests with -accel tcg"));
    g_assert_cmpstr(qdict_get_str(find_erratum(list, "cpuid-not-virtualized"),
                                  "status"), ==, "affected");
    run_end(&r);
}

static void test_warnings_off(void)
{
    g_autofree char *dir = fixture("restricted-kvm");
    g_autofree char *log = NULL;
    g_autoptr(QList) list = NULL;
    Run r = {};

    if (!need_kvm()) {
        return;
    }
    run_start(&r, "-accel kvm,x-host-facts=%s,x-errata-warnings=off "
              "-cpu qemu64", dir);
    list = query_errata(r.qts);
    log = run_stderr(&r);
    g_assert_null(strstr(log, "KVM host erratum"));
    g_assert_cmpstr(qdict_get_str(find_erratum(list, "cpuid-not-virtualized"),
                                  "status"), ==, "affected");
    run_end(&r);
}

/* What the VM is configured with decides which errata warn. */
static void check_relevance(const char *cpu, const char *expect_warned)
{
    g_autofree char *dir = fixture("haswell-5.15");
    g_autofree char *log = NULL;
    g_autofree char *ids = NULL;
    g_autoptr(QList) list = NULL;
    g_autoptr(GString) relevant = g_string_new(NULL);
    QListEntry *e;
    Run r = {};

    run_start(&r, "-accel kvm,x-host-facts=%s -cpu %s", dir, cpu);
    list = query_errata(r.qts);
    QLIST_FOREACH_ENTRY(list, e) {
        QDict *d = qobject_to(QDict, e->value);

        if (qdict_get_bool(d, "relevant") &&
            !strcmp(qdict_get_str(d, "status"), "affected")) {
            g_string_append_printf(relevant, "%s%s", relevant->len ? "," : "",
                                   qdict_get_str(d, "id"));
        }
    }
    log = run_stderr(&r);
    ids = warned_ids(log);
    g_assert_cmpstr(ids, ==, expect_warned);
    g_assert_cmpstr(relevant->str, ==, expect_warned);
    run_end(&r);
}

static void test_relevance_default(void)
{
    if (need_kvm()) {
        check_relevance("qemu64", "tdp-mmu-old-cpu");
    }
}

static void test_relevance_configured(void)
{
    if (need_kvm()) {
        check_relevance("qemu64,+hle,+rtm,x-sanitize-vcpu-events=off,"
                        "x-x87-errata-bits=off",
                        "tdp-mmu-old-cpu,tsx-removed,vcpu-events-error-code,"
                        "x87-fdp-fcs-fds");
    }
}

/* Bad input: the VM does not start, and says why. */
static void test_bad_facts_dir(void)
{
    g_autofree char *err = NULL;

    if (!need_kvm()) {
        return;
    }
    g_assert_cmpint(qemu_cli_run("-accel kvm,x-host-facts=/nonexistent "
                                 "-machine q35 -nodefaults -display none",
                                 &err), !=, 0);
    g_assert_nonnull(strstr(err, "x-host-facts: '/nonexistent' is not a "
                                 "directory"));
}

/*
 * The emulation-failure payload stops the VM with a KVM internal
 * error; the report follows upstream's message and the event says the
 * same.
 */
static void check_failure(const char *host, const char *expect_errata,
                          const char *expect_text)
{
    g_autofree char *dir = fixture(host);
    g_autofree char *errfile = NULL;
    g_autofree char *opts = NULL;
    g_autofree char *log = NULL;
    g_autofree char *status = NULL;
    g_autoptr(GString) ids = g_string_new(NULL);
    const char *upstream, *ours;
    QTestState *qts;
    QDict *ev, *data, *events;
    QListEntry *e;
    int fd;

    fd = g_file_open_tmp("kvm-errata-failure-XXXXXX", &errfile, NULL);
    g_assert_cmpint(fd, >=, 0);
    close(fd);
    opts = g_strdup_printf("x-host-facts=%s,x-errata-warnings=off", dir);
    qts = guest_payload_start_accel_opts(GUEST_PAYLOAD_KVM, opts,
                                         "emulation-failure",
                                         "-cpu qemu64 2>%s", errfile);
    /* The VM stops after the report: wait for that, not the report. */
    ev = guest_payload_cont_until_stop(qts, "X_KVM_FAILURE");
    g_assert_nonnull(ev);
    data = qdict_get_qdict(ev, "data");
    g_assert_cmpint(qdict_get_int(data, "cpu-index"), ==, 0);
    g_assert_cmpstr(qdict_get_str(data, "kind"), ==, "internal-error");
    g_assert_cmpint(qdict_get_int(data, "code"), ==, 1);
    g_assert_cmpstr(qdict_get_str(data, "tdp-mmu"), ==,
                    !strcmp(host, "restricted-kvm") ? "N" : "Y");
    events = qdict_get_qdict(data, "vcpu-events");
    g_assert_cmpint(qdict_get_int(events, "cpu-index"), ==, 0);
    g_assert_true(qdict_haskey(events, "nmi"));
    QLIST_FOREACH_ENTRY(qdict_get_qlist(data, "errata"), e) {
        QDict *d = qobject_to(QDict, e->value);

        g_assert_cmpstr(qdict_get_str(d, "status"), ==, "affected");
        g_string_append_printf(ids, "%s%s", ids->len ? "," : "",
                               qdict_get_str(d, "id"));
    }
    g_assert_cmpstr(ids->str, ==, expect_errata);
    qobject_unref(ev);

    status = guest_payload_run_status(qts);
    g_assert_cmpstr(status, ==, "internal-error");
    qtest_quit(qts);

    g_assert_true(g_file_get_contents(errfile, &log, NULL, NULL));
    unlink(errfile);
    upstream = strstr(log, "KVM internal error. Suberror: 1\n");
    ours = strstr(log, expect_text);
    if (!upstream || !ours || ours < upstream) {
        g_test_message("stderr: %s", log);
    }
    g_assert_nonnull(upstream);
    g_assert_nonnull(ours);
    g_assert_true(ours > upstream);
    g_assert_nonnull(strstr(ours, "kvm.tdp_mmu: "));
    g_assert_nonnull(strstr(ours, "vCPU 0 ("));
    g_assert_nonnull(strstr(ours, "exception: "));
}

static void test_failure_report(void)
{
    if (need_kvm()) {
        check_failure("restricted-kvm", "cpuid-not-virtualized",
                      "known KVM host errata that cause this failure and "
                      "match this host:\n"
                      "  cpuid-not-virtualized: KVM does not virtualize "
                      "CPUID");
    }
}

static void test_failure_report_no_match(void)
{
    if (need_kvm()) {
        check_failure("haswell-5.15", "",
                      "no known KVM host erratum that causes this failure "
                      "matches this host");
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/kvm-errata/query/tcg", test_query_tcg);
    qtest_add_func("/kvm-errata/probe/kvm", test_probe_real_host);
    qtest_add_func("/kvm-errata/probe-kept/kvm", test_probe_kept);
    qtest_add_func("/kvm-errata/warnings/kvm", test_warnings);
    qtest_add_func("/kvm-errata/warnings-off/kvm", test_warnings_off);
    qtest_add_func("/kvm-errata/relevance/default/kvm",
                   test_relevance_default);
    qtest_add_func("/kvm-errata/relevance/configured/kvm",
                   test_relevance_configured);
    qtest_add_func("/kvm-errata/bad-facts-dir/kvm", test_bad_facts_dir);
    qtest_add_func("/kvm-errata/failure-report/kvm", test_failure_report);
    qtest_add_func("/kvm-errata/failure-report/no-match/kvm",
                   test_failure_report_no_match);
    return g_test_run();
}
