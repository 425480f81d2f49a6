/*
 * Monitor commands for machine checks and memory errors: bad input is a
 * clear error and the VM runs on; x-query-gpa2hpa answers like HMP
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qobject/qdict.h"
#include "libqtest.h"
#include "guest-payload.h"
#include "guest-payload/memory-error.h"
#include "guest-payload/x86-arch.h"

static void assert_inject_error(QTestState *qts, int64_t cpu, int64_t bank,
                                uint64_t status, bool broadcast,
                                const char *expected)
{
    guest_payload_qmp_refused(qts, expected,
                              "{'execute': 'x-inject-mce', 'arguments': {"
                              " 'cpu-index': %" PRId64 ", 'bank': %" PRId64
                              ", 'status': %" PRIu64 ", 'mcg-status': 0,"
                              " 'addr': 0, 'misc': 0, 'broadcast': %i}}",
                              cpu, bank, status, broadcast);
}

static void assert_running(QTestState *qts)
{
    QDict *rsp = qtest_qmp(qts, "{'execute': 'query-status'}");

    g_assert_cmpstr(qdict_get_str(qdict_get_qdict(rsp, "return"), "status"),
                    ==, "running");
    qobject_unref(rsp);
}

static void test_bad_input(void)
{
    QTestState *qts = qtest_init("-accel tcg -cpu qemu64,vendor=AuthenticAMD "
                                 "-nodefaults");
    const uint64_t status = MCI_VAL | MCI_EN;
    g_autofree char *out = NULL;

    assert_inject_error(qts, 1, 9, status, false, "no vCPU with index 1");
    assert_inject_error(qts, -1, 9, status, false, "no vCPU with index -1");
    assert_inject_error(qts, 0, 10, status, false,
                        "has MCA banks 0 to 9, not 10");
    assert_inject_error(qts, 0, -1, status, false,
                        "has MCA banks 0 to 9, not -1");
    assert_inject_error(qts, 0, 9, MCI_EN, false, "lacks VAL");
    assert_inject_error(qts, 0, 9, status | MCI_UC, true,
                        "does not support MCA broadcast");
    assert_running(qts);

    /* HMP mce used to ignore an unknown vCPU silently. */
    out = qtest_hmp(qts, "mce 1 9 0x9000000000000000 0 0 0");
    if (!strstr(out, "no vCPU with index 1")) {
        g_test_message("HMP said '%s'", out);
    }
    g_assert(strstr(out, "no vCPU with index 1"));
    assert_running(qts);

    qtest_quit(qts);
}

/* x-inject-memory-error of @gpa must fail, saying @expected. */
static void memory_error_refused(QTestState *qts, uint64_t gpa,
                                 const char *action, const char *expected)
{
    guest_payload_qmp_refused(qts, expected,
                              "{'execute': 'x-inject-memory-error',"
                              " 'arguments': {'gpa': %" PRIu64 ","
                              " 'action': %s}}", gpa, action);
}

static void test_memory_error_bad_input(void)
{
    QTestState *qts = qtest_init("-accel tcg -m 128M -nodefaults");
    char *out;

    memory_error_refused(qts, 0xfec00000, "optional",
                         "not RAM");
    memory_error_refused(qts, 0xfffff000, "optional",
                         "is in pc.bios, not guest RAM");
    memory_error_refused(qts, 0x100000000ULL, "required",
                         "No memory is mapped at address 0x100000000");
    memory_error_refused(qts, 0x100000, "sometimes",
                         "'sometimes'");
    guest_payload_qmp_refused(qts, "'immediate' goes with action 'required'",
                              "{'execute': 'x-inject-memory-error',"
                              " 'arguments':"
                              " {'gpa': 1048576, 'action': 'optional',"
                              " 'immediate': true}}");
    guest_payload_qmp_refused(qts, "'cpu-index' goes with 'immediate'",
                              "{'execute': 'x-inject-memory-error',"
                              " 'arguments':"
                              " {'gpa': 1048576, 'action': 'required',"
                              " 'cpu-index': 0}}");
    guest_payload_qmp_refused(qts, "no vCPU with index 3",
                              "{'execute': 'x-inject-memory-error',"
                              " 'arguments':"
                              " {'gpa': 1048576, 'action': 'required',"
                              " 'immediate': true, 'cpu-index': 3}}");
    /* A page poisoned once is refused the second time, VM running. */
    qtest_qmp_assert_success(qts,
                     "{'execute': 'x-inject-memory-error', 'arguments':"
                     " {'gpa': 2097152, 'action': 'required'}}");
    guest_payload_qmp_refused(qts, "the page at 0x200000 is already poisoned",
                              "{'execute': 'x-inject-memory-error',"
                              " 'arguments':"
                              " {'gpa': 2097216, 'action': 'required'}}");
    /* A reset gives the guest that page back: it can be poisoned anew. */
    qtest_qmp_assert_success(qts, "{'execute': 'system_reset'}");
    qtest_qmp_eventwait(qts, "RESET");
    qtest_qmp_assert_success(qts,
                     "{'execute': 'x-inject-memory-error', 'arguments':"
                     " {'gpa': 2097216, 'action': 'required'}}");
    assert_running(qts);

    /* The HMP twin says the same. */
    out = qtest_hmp(qts, "inject-memory-error 0xfec00000 optional");
    g_assert(strstr(out, "not RAM"));
    g_free(out);
    out = qtest_hmp(qts, "inject-memory-error 0x100000 sometimes");
    g_assert(strstr(out, "invalid parameter value: sometimes"));
    g_free(out);
    out = qtest_hmp(qts, "inject-memory-error -i 0x100000 required 3");
    g_assert(strstr(out, "no vCPU with index 3"));
    g_free(out);
    assert_running(qts);
    qtest_quit(qts);
}

/* An action-required error raised now ('immediate') on @qts's vCPU 0 */
static void raise_now_refused(QTestState *qts, const char *expected)
{
    guest_payload_qmp_refused(qts, expected,
                              "{'execute': 'x-inject-memory-error',"
                              " 'arguments': {'gpa': 16777216,"
                              " 'action': 'required', 'immediate': true}}");
}

/*
 * What the vCPU cannot take is refused, not raised: under KVM the host's
 * SIGBUS for an error a vCPU without MCA cannot take ended QEMU
 * (exit(1)), and so did a second one while the VM was paused, before the
 * vCPU had taken the first; under TCG nothing happened and QMP said
 * nothing.
 */
static void test_raise_now_refused(GuestPayloadAccel accel)
{
    QTestState *qts = guest_payload_start(accel, "memory-error",
                                          "-cpu qemu64,vendor=GenuineIntel,"
                                          "-mca");
    g_autofree char *status = NULL;

    guest_payload_set_input(qts, MEMERR_IN_MODE, MEMERR_MODE_TOUCH);
    qtest_qmp_assert_success(qts, "{'execute': 'cont'}");
    guest_payload_wait_checkpoint(qts, MEMERR_CP_READY);
    raise_now_refused(qts, "vCPU 0 has no machine-check architecture");
    assert_running(qts);
    qtest_quit(qts);

    qts = guest_payload_start(accel, "memory-error",
                              "-cpu qemu64,vendor=GenuineIntel");
    if (accel == GUEST_PAYLOAD_KVM) {
        for (int i = 0; i < 2; i++) {
            raise_now_refused(qts, "the VM is not running");
        }
    } else {
        /* TCG raises it at once, paused or not: nothing waits */
        qtest_qmp_assert_success(qts, "{'execute': 'x-inject-memory-error',"
                                 " 'arguments': {'gpa': 16777216,"
                                 " 'action': 'required',"
                                 " 'immediate': true}}");
    }
    status = guest_payload_run_status(qts);
    g_assert_cmpstr(status, ==, "prelaunch");
    qtest_quit(qts);
}

/*
 * Pages poisoned for access are bounded (each is a memory region of its
 * own): the one past the bound is refused, naming it, the VM running on.
 * QEMU used to abort in phys_section_add() before 3,000.
 */
static void test_on_access_bound(void)
{
    QTestState *qts = qtest_init("-accel tcg -m 128M -nodefaults");
    /* Non-adjacent pages from 16 MiB, as the report had them */
    const uint64_t base = 16 << 20, stride = 2 << 12;
    unsigned n;

    for (n = 0; ; n++) {
        QDict *rsp = qtest_qmp(qts, "{'execute': 'x-inject-memory-error',"
                               " 'arguments': {'gpa': %" PRIu64 ","
                               " 'action': 'required'}}", base + n * stride);
        bool refused = qdict_haskey(rsp, "error");

        if (refused) {
            const char *desc = qdict_get_str(qdict_get_qdict(rsp, "error"),
                                             "desc");
            g_test_message("page %u refused: %s", n, desc);
            g_assert(strstr(desc, "as many as QEMU keeps"));
        }
        qobject_unref(rsp);
        if (refused) {
            break;
        }
        g_assert_cmpuint(n, <, 100000);
    }
    g_assert_cmpuint(n, >=, 1000);
    assert_running(qts);

    /* A reset gives the pages back: the bound is for pages poisoned now */
    qtest_qmp_assert_success(qts, "{'execute': 'system_reset'}");
    qtest_qmp_eventwait(qts, "RESET");
    qtest_qmp_assert_success(qts, "{'execute': 'x-inject-memory-error',"
                             " 'arguments': {'gpa': %" PRIu64 ","
                             " 'action': 'required'}}", base + n * stride);
    assert_running(qts);
    qtest_quit(qts);
}

static void test_gpa2hpa(void)
{
    QTestState *qts = qtest_init("-accel tcg -m 128M -nodefaults");
    g_autofree char *out = NULL;

    guest_payload_qmp_refused(qts, "not RAM",
                              "{'execute': 'x-query-gpa2hpa',"
                              " 'arguments': {'gpa': 4273995776}}");
    guest_payload_qmp_refused(qts, "No memory is mapped",
                              "{'execute': 'x-query-gpa2hpa',"
                              " 'arguments': {'gpa': 4294967296}}");

    /* Present on the host: see test_gpa2hpa_hidden() */
    qtest_writeb(qts, 0x101000, 0x5a);
    if (geteuid() != 0) {
        /* The kernel hides physical addresses from the unprivileged. */
        guest_payload_qmp_refused(qts, "CAP_SYS_ADMIN",
                                  "{'execute': 'x-query-gpa2hpa',"
                                  " 'arguments': {'gpa': 1052672}}");
    } else {
        QDict *ret = qtest_qmp_assert_success_ref(qts,
                         "{'execute': 'x-query-gpa2hpa',"
                         " 'arguments': {'gpa': 1052672}}");
        g_autofree char *expected = NULL;

        g_assert_cmpstr(qdict_get_str(ret, "memory-region"), ==, "pc.ram");
        g_assert_cmphex(qdict_get_uint(ret, "hpa") & 0xfff, ==, 0x000);
        g_assert_cmphex(qdict_get_uint(ret, "hpa"), !=, 0);
        /* HMP says the same (the page stays where it is). */
        out = qtest_hmp(qts, "gpa2hpa 0x101000");
        expected = g_strdup_printf("Host physical address for 0x101000 "
                                   "(pc.ram) is 0x%" PRIx64,
                                   qdict_get_uint(ret, "hpa"));
        g_assert(strstr(out, expected));
        qobject_unref(ret);
    }
    assert_running(qts);
    qtest_quit(qts);
}

/* smca=on on a vCPU that cannot have it: QEMU refuses to start. */
static void test_smca_bad_config(void)
{
    static const struct {
        const char *cpu;
        const char *error;
    } cases[] = {
        { "qemu64,vendor=GenuineIntel,smca=on",
          "smca needs an AMD-vendor vCPU" },
        { "qemu64,vendor=AuthenticAMD,smca=on,x-amd-smca-msrs=off",
          "smca needs the SMCA bank MSRs" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const char *argv[] = {
            qtest_qemu_binary(NULL), "-accel", "tcg", "-nodefaults",
            "-display", "none", "-S", "-cpu", cases[i].cpu, NULL
        };
        g_autofree char *err = NULL;
        int status;

        g_assert(g_spawn_sync(NULL, (char **)argv, NULL,
                              G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                              &err, &status, NULL));
        g_assert_false(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        if (!strstr(err, cases[i].error)) {
            g_test_message("QEMU said '%s'", err);
        }
        g_assert(strstr(err, cases[i].error));
    }
}

/*
 * Without CAP_SYS_ADMIN, Linux reads every PFN in pagemap as 0: both
 * commands say so instead of an address made of PFN 0.  QEMU runs here
 * under setpriv without the capability, whoever runs the test.
 */
static void test_gpa2hpa_hidden(void)
{
    g_autofree char *setpriv = g_find_program_in_path("setpriv");
    g_autofree char *qemu = g_strdup(qtest_qemu_binary(NULL));
    g_autofree char *wrapped = NULL;
    g_autofree char *out = NULL;
    QTestState *qts;

    if (!setpriv) {
        g_test_skip("setpriv (util-linux) missing: cannot drop "
                    "CAP_SYS_ADMIN");
        return;
    }
    wrapped = g_strdup_printf("%s --inh-caps=-sys_admin "
                              "--bounding-set=-sys_admin %s", setpriv, qemu);
    g_setenv("QTEST_QEMU_BINARY", wrapped, true);
    qts = qtest_init("-accel tcg -m 128M -nodefaults");
    g_setenv("QTEST_QEMU_BINARY", qemu, true);
    /*
     * Present on the host first: the lookup's own write to the page (an
     * atomic add of 0) is optimized away by clang, which leaves a page
     * the guest has not touched absent ("Page not present").
     */
    qtest_writeb(qts, 0x101000, 0x5a);

    guest_payload_qmp_refused(qts, "reading them needs CAP_SYS_ADMIN",
                              "{'execute': 'x-query-gpa2hpa',"
                              " 'arguments': {'gpa': 1052672}}");
    out = qtest_hmp(qts, "gpa2hpa 0x101000");
    g_assert_nonnull(strstr(out, "reading them needs CAP_SYS_ADMIN"));
    g_assert_null(strstr(out, "Host physical address"));
    assert_running(qts);
    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (!qtest_has_accel("tcg")) {
        g_test_skip("QEMU built without TCG");
        return g_test_run();
    }
    qtest_add_func("/x86/memory-error/inject-mce/bad-input", test_bad_input);
    qtest_add_func("/x86/memory-error/inject-memory-error/bad-input",
                   test_memory_error_bad_input);
    qtest_add_func("/x86/memory-error/gpa2hpa", test_gpa2hpa);
    qtest_add_func("/x86/memory-error/gpa2hpa/hidden", test_gpa2hpa_hidden);
    qtest_add_func("/x86/memory-error/smca/bad-config", test_smca_bad_config);
    qtest_add_func("/x86/memory-error/inject-memory-error/on-access-bound",
                   test_on_access_bound);
    guest_payload_add_test("/x86/memory-error/inject-memory-error/"
                           "raise-now-refused", test_raise_now_refused);
    return g_test_run();
}
