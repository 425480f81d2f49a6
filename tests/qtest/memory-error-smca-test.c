/*
 * AMD SMCA bank MSRs: a deferred memory error, as an AMD guest sees it
 *
 * QEMU logs an action-optional memory error for an AMD guest as a
 * deferred error in bank 9; Linux guests then read it through the SMCA
 * MSRs and clear MCA_DESTAT.  Without the fork's emulation those
 * accesses raise #GP under KVM (and the guest panics); under TCG they
 * read zero and ignore writes.  The smca-msrs payload makes the accesses
 * and this test checks each one's vector and value, with the emulation on
 * (AMD), off (x-amd-smca-msrs=off: what vanilla gives on that
 * accelerator), off with KVM's #GP under TCG too (x-amd-smca-msrs-gp=on)
 * and not applicable (Intel vCPU).
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "guest-payload.h"
#include "guest-payload/smca-msrs.h"
#include "guest-payload/x86-arch.h"

#define NO_FAULT        0xffffffffu

#define BANK            9
/* What QEMU logs for an action-optional memory error on AMD */
#define AMD_AO_STATUS   (MCI_VAL | MCI_EN | MCI_MISCV | MCI_ADDRV | \
                         MCI_DEFERRED | MCI_POISON)
#define AMD_AO_MISC     0x8c    /* physical address, LSB 12 */

typedef struct SmcaResult {
    GuestPayloadMailbox mb;
} SmcaResult;

static uint32_t step_vector(const SmcaResult *r, unsigned step)
{
    return r->mb.values[2 * step];
}

static uint64_t step_value(const SmcaResult *r, unsigned step)
{
    return r->mb.values[2 * step + 1];
}

static void assert_step_ok(const SmcaResult *r, unsigned step)
{
    if (step_vector(r, step) != NO_FAULT) {
        g_test_message("step %u raised vector %u", step,
                       step_vector(r, step));
    }
    g_assert_cmphex(step_vector(r, step), ==, NO_FAULT);
}

static void assert_step_gp(const SmcaResult *r, unsigned step)
{
    if (step_vector(r, step) != VECTOR_GP) {
        g_test_message("step %u: expected #GP, vector 0x%x", step,
                       step_vector(r, step));
    }
    g_assert_cmphex(step_vector(r, step), ==, VECTOR_GP);
}

static void inject_deferred(QTestState *qts, uint64_t addr)
{
    QDict *ev, *data;

    qtest_qmp_assert_success(qts,
        "{'execute': 'x-inject-mce', 'arguments': {"
        " 'cpu-index': 0, 'bank': %d, 'status': %" PRIu64 ","
        " 'mcg-status': 0, 'addr': %" PRIu64 ", 'misc': %d}}",
        BANK, (uint64_t)AMD_AO_STATUS, addr, AMD_AO_MISC);

    ev = qtest_qmp_eventwait_ref(qts, "MEMORY_FAILURE");
    data = qdict_get_qdict(ev, "data");
    g_assert_cmpstr(qdict_get_str(data, "recipient"), ==, "guest");
    g_assert_cmpstr(qdict_get_str(data, "action"), ==, "inject");
    g_assert_false(qdict_get_bool(qdict_get_qdict(data, "flags"),
                                  "action-required"));
    qobject_unref(ev);
}

static QTestState *start_smca_payload(GuestPayloadAccel accel,
                                      const char *cpu, const char *extra)
{
    QTestState *qts = guest_payload_start(accel, "smca-msrs", "-cpu %s %s",
                                          cpu, extra);

    guest_payload_set_input(qts, SMCA_MSRS_IN_BANK, BANK);
    guest_payload_set_input(qts, SMCA_MSRS_IN_VALUE,
                            g_test_rand_int_range(1, INT32_MAX));
    return qts;
}

static void finish_smca_payload(QTestState *qts, SmcaResult *r)
{
    guest_payload_run(qts, &r->mb);
    g_assert_cmpuint(r->mb.status, ==, GUEST_PAYLOAD_STATUS_PASS);
    qtest_quit(qts);
}

/* Log a deferred error in BANK at @addr, run the payload. */
static void run_smca_payload_on(GuestPayloadAccel accel, const char *machine,
                                const char *cpu, uint64_t addr, SmcaResult *r)
{
    QTestState *qts = start_smca_payload(accel, cpu, machine);

    inject_deferred(qts, addr);
    finish_smca_payload(qts, r);
}

static void run_smca_payload(GuestPayloadAccel accel, const char *cpu,
                             uint64_t addr, SmcaResult *r)
{
    run_smca_payload_on(accel, "", cpu, addr, r);
}

static void wait_migration_completed(QTestState *qts)
{
    for (;;) {
        QDict *ev = qtest_qmp_eventwait_ref(qts, "MIGRATION");
        const char *status = qdict_get_str(qdict_get_qdict(ev, "data"),
                                           "status");
        bool done = !strcmp(status, "completed");

        g_assert_cmpstr(status, !=, "failed");
        qobject_unref(ev);
        if (done) {
            return;
        }
    }
}

static void enable_migration_events(QTestState *qts)
{
    qtest_qmp_assert_success(qts,
        "{'execute': 'migrate-set-capabilities', 'arguments': {"
        " 'capabilities': [{'capability': 'events', 'state': true}]}}");
}

/* The payload read the deferred error logged at @addr, both ways. */
static void assert_deferred_error_seen(const SmcaResult *r, uint64_t addr)
{
    /* The legacy registers, read through their SMCA numbers */
    assert_step_ok(r, SMCA_STEP_READ_STATUS);
    g_assert_cmphex(step_value(r, SMCA_STEP_READ_STATUS), ==, AMD_AO_STATUS);
    assert_step_ok(r, SMCA_STEP_READ_ADDR);
    g_assert_cmphex(step_value(r, SMCA_STEP_READ_ADDR), ==, addr);

    /* The deferred error, in DESTAT/DEADDR too */
    assert_step_ok(r, SMCA_STEP_READ_DESTAT);
    g_assert_cmphex(step_value(r, SMCA_STEP_READ_DESTAT), ==, AMD_AO_STATUS);
    assert_step_ok(r, SMCA_STEP_READ_DEADDR);
    g_assert_cmphex(step_value(r, SMCA_STEP_READ_DEADDR), ==, addr);
}

static uint64_t random_gpa(void)
{
    /* A page in the first 64 MiB of guest RAM, above the payload. */
    return (uint64_t)g_test_rand_int_range(0x400, 0x4000) << 12;
}

static void test_amd_deferred(GuestPayloadAccel accel)
{
    uint64_t addr = random_gpa();
    SmcaResult r;

    run_smca_payload(accel, "qemu64,vendor=AuthenticAMD", addr, &r);
    assert_deferred_error_seen(&r, addr);
    assert_step_ok(&r, SMCA_STEP_READ_IPID);
    g_assert_cmphex(step_value(&r, SMCA_STEP_READ_IPID), ==, 0);
    /* The MSRs work; CPUID does not claim SMCA without smca=on. */
    g_assert_cmphex(r.mb.values[SMCA_MSRS_OUT_CPUID_EBX] &
                    SMCA_MSRS_CPUID_SMCA, ==, 0);

    /* Non-zero needs HWCR.McStatusWrEn; zero clears, as Linux does */
    assert_step_gp(&r, SMCA_STEP_WRITE_DESTAT_VALUE);
    assert_step_ok(&r, SMCA_STEP_CLEAR_DESTAT);
    assert_step_ok(&r, SMCA_STEP_READ_DESTAT_CLEARED);
    g_assert_cmphex(step_value(&r, SMCA_STEP_READ_DESTAT_CLEARED), ==, 0);
    assert_step_ok(&r, SMCA_STEP_CLEAR_MCI_STATUS);
    assert_step_ok(&r, SMCA_STEP_READ_STATUS_CLEARED);
    g_assert_cmphex(step_value(&r, SMCA_STEP_READ_STATUS_CLEARED), ==, 0);

    /* MCA_CONFIG keeps its defined bits; the rest of the range #GPs */
    assert_step_ok(&r, SMCA_STEP_WRITE_CONFIG);
    assert_step_ok(&r, SMCA_STEP_READ_CONFIG);
    g_assert_cmphex(step_value(&r, SMCA_STEP_READ_CONFIG), ==,
                    SMCA_MSRS_CONFIG_MCAXEN);
    assert_step_gp(&r, SMCA_STEP_WRITE_CONFIG_RESERVED);
    assert_step_gp(&r, SMCA_STEP_READ_RESERVED_REG);
    g_assert_cmpuint(r.mb.values[SMCA_MSRS_OUT_NBANKS], >, BANK);
    assert_step_gp(&r, SMCA_STEP_READ_BEYOND_BANKS);

    /* SYND1 and SYND2 read zero: the injected error carries no syndrome */
    assert_step_ok(&r, SMCA_STEP_READ_SYND1);
    g_assert_cmphex(step_value(&r, SMCA_STEP_READ_SYND1), ==, 0);
    assert_step_ok(&r, SMCA_STEP_READ_SYND2);
    g_assert_cmphex(step_value(&r, SMCA_STEP_READ_SYND2), ==, 0);
    assert_step_ok(&r, SMCA_STEP_CLEAR_SYND1);
}

/* Every SMCA access #GPs, as under KVM without the emulation. */
static void assert_smca_gp(const SmcaResult *r)
{
    for (unsigned step = 0; step < SMCA_STEP_NR; step++) {
        if (step == SMCA_STEP_CLEAR_MCI_STATUS) {
            assert_step_ok(r, step);
        } else {
            assert_step_gp(r, step);
        }
    }
}

/* Every SMCA access reads zero or is ignored, as vanilla TCG does. */
static void assert_smca_ignored(const SmcaResult *r)
{
    for (unsigned step = 0; step < SMCA_STEP_NR; step++) {
        assert_step_ok(r, step);
        g_assert_cmphex(step_value(r, step), ==, 0);
    }
}

/* Without the emulation: what vanilla does on the same accelerator. */
static void assert_no_smca(GuestPayloadAccel accel, const SmcaResult *r)
{
    if (accel == GUEST_PAYLOAD_KVM) {
        assert_smca_gp(r);
    } else {
        assert_smca_ignored(r);
    }
}

static void test_amd_smca_off(GuestPayloadAccel accel)
{
    SmcaResult r;

    run_smca_payload(accel, "qemu64,vendor=AuthenticAMD,x-amd-smca-msrs=off",
                     random_gpa(), &r);
    assert_no_smca(accel, &r);
}

/* x-amd-smca-msrs-gp=on: KVM's #GP on either accelerator. */
static void test_amd_smca_gp(GuestPayloadAccel accel)
{
    SmcaResult r;

    run_smca_payload(accel, "qemu64,vendor=AuthenticAMD,x-amd-smca-msrs=off,"
                     "x-amd-smca-msrs-gp=on", random_gpa(), &r);
    assert_smca_gp(&r);
}

/* Machine types before 10.2 keep upstream's behaviour unless asked. */
static void test_amd_machine_10_1(GuestPayloadAccel accel)
{
    SmcaResult r;

    run_smca_payload_on(accel, "-M pc-i440fx-10.1",
                        "qemu64,vendor=AuthenticAMD", random_gpa(), &r);
    assert_no_smca(accel, &r);
    run_smca_payload_on(accel, "-M pc-i440fx-10.1",
                        "qemu64,vendor=AuthenticAMD,x-amd-smca-msrs=on",
                        random_gpa(), &r);
    assert_step_ok(&r, SMCA_STEP_READ_DESTAT);
    g_assert_cmphex(step_value(&r, SMCA_STEP_READ_DESTAT), ==,
                    AMD_AO_STATUS);
}

/* smca=on: CPUID says SMCA, bank 9 says "memory controller". */
static void test_amd_smca_cpuid(GuestPayloadAccel accel)
{
    SmcaResult r;

    run_smca_payload(accel, "qemu64,vendor=AuthenticAMD,smca=on",
                     random_gpa(), &r);
    g_assert_cmphex(r.mb.values[SMCA_MSRS_OUT_CPUID_EBX] &
                    SMCA_MSRS_CPUID_SMCA, ==, SMCA_MSRS_CPUID_SMCA);
    assert_step_ok(&r, SMCA_STEP_READ_IPID);
    g_assert_cmphex(step_value(&r, SMCA_STEP_READ_IPID), ==, 0x96ULL << 32);
}

static void test_intel(GuestPayloadAccel accel)
{
    SmcaResult r;

    run_smca_payload(accel, "qemu64,vendor=GenuineIntel", random_gpa(), &r);
    assert_no_smca(accel, &r);
}

/* The bank's DESTAT/DEADDR survive migrate-to-file and restore. */
static void test_amd_deferred_migrates(GuestPayloadAccel accel)
{
    const char *cpu = "qemu64,vendor=AuthenticAMD";
    g_autofree char *path = g_strdup_printf("%s/smca-%d.mig",
                                            g_get_tmp_dir(), getpid());
    g_autofree char *uri = g_strdup_printf("file:%s", path);
    uint64_t addr = random_gpa();
    QTestState *src, *dst;
    SmcaResult r;

    src = start_smca_payload(accel, cpu, "");
    inject_deferred(src, addr);
    enable_migration_events(src);
    qtest_qmp_assert_success(src, "{'execute': 'migrate', 'arguments': {"
                             " 'uri': %s}}", uri);
    wait_migration_completed(src);
    qtest_quit(src);

    dst = guest_payload_start(accel, "smca-msrs", "-cpu %s -incoming defer",
                              cpu);
    enable_migration_events(dst);
    qtest_qmp_assert_success(dst, "{'execute': 'migrate-incoming',"
                             " 'arguments': {'uri': %s}}", uri);
    wait_migration_completed(dst);
    finish_smca_payload(dst, &r);
    unlink(path);

    assert_deferred_error_seen(&r, addr);
}

/* system_reset clears DESTAT/DEADDR. */
static void test_amd_deferred_reset(GuestPayloadAccel accel)
{
    QTestState *qts = start_smca_payload(accel, "qemu64,vendor=AuthenticAMD",
                                         "");
    SmcaResult r;

    inject_deferred(qts, random_gpa());
    /* The harness turns resets into the end of a run: a real one here. */
    qtest_qmp_assert_success(qts, "{'execute': 'set-action',"
                             " 'arguments': {'reboot': 'reset'}}");
    qtest_qmp_assert_success(qts, "{'execute': 'system_reset'}");
    qtest_qmp_eventwait(qts, "RESET");
    qtest_qmp_assert_success(qts, "{'execute': 'set-action',"
                             " 'arguments': {'reboot': 'shutdown'}}");
    finish_smca_payload(qts, &r);

    assert_step_ok(&r, SMCA_STEP_READ_DESTAT);
    g_assert_cmphex(step_value(&r, SMCA_STEP_READ_DESTAT), ==, 0);
    assert_step_ok(&r, SMCA_STEP_READ_DEADDR);
    g_assert_cmphex(step_value(&r, SMCA_STEP_READ_DEADDR), ==, 0);
}

/* Whether query-cpu-model-expansion (full) of @model says smca=@smca. */
static bool expansion_says_smca(QTestState *qts, const char *model,
                                bool ask)
{
    QDict *resp, *props;
    bool smca;

    if (ask) {
        resp = qtest_qmp(qts, "{ 'execute': 'query-cpu-model-expansion',"
                         "  'arguments': { 'type': 'full', 'model':"
                         "    { 'name': %s, 'props': { 'smca': true } } } }",
                         model);
    } else {
        resp = qtest_qmp(qts, "{ 'execute': 'query-cpu-model-expansion',"
                         "  'arguments': { 'type': 'full', 'model':"
                         "    { 'name': %s } } }", model);
    }
    g_assert(qdict_haskey(resp, "return"));
    props = qdict_get_qdict(qdict_get_qdict(qdict_get_qdict(resp, "return"),
                                            "model"), "props");
    g_assert(qdict_haskey(props, "smca"));
    smca = qdict_get_bool(props, "smca");
    qobject_unref(resp);
    return smca;
}

/*
 * smca is a named CPUID feature: "+smca" works, the expansion names it,
 * a model has it only when asked, and "max" does not turn it on.
 */
static void test_smca_feature(void)
{
    QTestState *qts = qtest_init("-accel tcg -nodefaults "
                                 "-cpu EPYC-v4,+smca");
    QDict *resp, *cpu0;

    resp = qtest_qmp(qts, "{ 'execute': 'query-cpus-fast' }");
    cpu0 = qobject_to(QDict, qlist_peek(qdict_get_qlist(resp, "return")));
    g_assert_true(qtest_qom_get_bool(qts, qdict_get_str(cpu0, "qom-path"),
                                     "smca"));
    qobject_unref(resp);

    qtest_quit(qts);

    /* No -cpu here: its options would be global properties of the model */
    qts = qtest_init("-accel tcg -nodefaults -machine none");
    g_assert_true(expansion_says_smca(qts, "EPYC-v4", true));
    g_assert_false(expansion_says_smca(qts, "EPYC-v4", false));
    g_assert_false(expansion_says_smca(qts, "max", false));
    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/x86/memory-error/smca/feature", test_smca_feature);
    guest_payload_add_test("/x86/memory-error/smca/amd-deferred",
                           test_amd_deferred);
    guest_payload_add_test("/x86/memory-error/smca/amd-deferred-migrates",
                           test_amd_deferred_migrates);
    guest_payload_add_test("/x86/memory-error/smca/amd-deferred-reset",
                           test_amd_deferred_reset);
    guest_payload_add_test("/x86/memory-error/smca/amd-smca-msrs-off",
                           test_amd_smca_off);
    guest_payload_add_test("/x86/memory-error/smca/amd-smca-msrs-gp",
                           test_amd_smca_gp);
    guest_payload_add_test("/x86/memory-error/smca/amd-machine-10.1",
                           test_amd_machine_10_1);
    guest_payload_add_test("/x86/memory-error/smca/amd-smca-cpuid",
                           test_amd_smca_cpuid);
    guest_payload_add_test("/x86/memory-error/smca/intel", test_intel);
    return g_test_run();
}
