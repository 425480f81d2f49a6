/*
 * Host memory errors in guest RAM, end to end, without root
 *
 * x-inject-memory-error raises the SIGBUS the host kernel would (under
 * KVM; under TCG it injects the same machine check directly), and the
 * memory-error payload receives it as a guest kernel would: AMD action
 * optional by polling bank 9 (a deferred error, no #MC) and clearing
 * MCA_DESTAT, the rest as #MC.  Each case checks the guest's view (bank
 * contents, MCG_STATUS, handler runs) and QEMU's (MEMORY_FAILURE events).
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qobject/qdict.h"
#include "guest-payload.h"
#include "guest-payload/memory-error.h"
#include "guest-payload/x86-arch.h"

#define BANK            9
#define NO_FAULT        0xffffffffu

#define MCI_COMMON      (MCI_VAL | MCI_EN | MCI_MISCV | MCI_ADDRV)
#define MISC_PHYS_LSB12 0x8c

#define CPU_AMD         "qemu64,vendor=AuthenticAMD"
#define CPU_INTEL       "qemu64,vendor=GenuineIntel"

static uint64_t random_page(void)
{
    /* A page in guest RAM (128 MiB by default), above the payload. */
    return (uint64_t)g_test_rand_int_range(0x400, 0x7000) << 12;
}

static QTestState *start(GuestPayloadAccel accel, const char *cpu,
                         uint32_t mode)
{
    QTestState *qts = guest_payload_start(accel, "memory-error", "-cpu %s",
                                          cpu);

    guest_payload_set_input(qts, MEMERR_IN_MODE, mode);
    guest_payload_set_input(qts, MEMERR_IN_BANK, BANK);
    qtest_qmp_assert_success(qts, "{'execute': 'cont'}");
    guest_payload_wait_checkpoint(qts, MEMERR_CP_READY);
    return qts;
}

/* An AO error, or an AR error raised now on vCPU 0 ('immediate'). */
static void inject(QTestState *qts, uint64_t gpa, bool ar)
{
    qtest_qmp_assert_success(qts, "{'execute': 'x-inject-memory-error',"
                             " 'arguments': {'gpa': %" PRIu64 ","
                             " 'action': %s, 'immediate': %i}}",
                             gpa, ar ? "required" : "optional", ar);
}

/* Poison @gpa's page for access: the vCPU that next touches it gets #MC. */
static void poison(QTestState *qts, uint64_t gpa)
{
    qtest_qmp_assert_success(qts, "{'execute': 'x-inject-memory-error',"
                             " 'arguments': {'gpa': %" PRIu64 ","
                             " 'action': 'required'}}", gpa);
}

/* The MEMORY_FAILURE event for the guest, and its action. */
static void expect_guest_event(QTestState *qts, const char *action, bool ar,
                               bool recursive)
{
    QDict *ev = qtest_qmp_eventwait_ref(qts, "MEMORY_FAILURE");
    QDict *data = qdict_get_qdict(ev, "data");
    QDict *flags = qdict_get_qdict(data, "flags");

    g_assert_cmpstr(qdict_get_str(data, "recipient"), ==, "guest");
    g_assert_cmpstr(qdict_get_str(data, "action"), ==, action);
    g_assert_cmpint(qdict_get_bool(flags, "action-required"), ==, ar);
    g_assert_cmpint(qdict_get_bool(flags, "recursive"), ==, recursive);
    qobject_unref(ev);
}

/* Let the payload finish (the VM is running) and read its results. */
static void finish(QTestState *qts, GuestPayloadMailbox *mb)
{
    QDict *ev = qtest_qmp_eventwait_ref(qts, "SHUTDOWN");

    qobject_unref(ev);
    guest_payload_read_mailbox(qts, mb);
    g_assert_cmphex(mb->magic, ==, GUEST_PAYLOAD_MAGIC_DONE);
    g_assert_cmpuint(mb->status, ==, GUEST_PAYLOAD_STATUS_PASS);
}

/* AMD, action optional: a deferred error the guest polls for; no #MC. */
static void test_amd_optional(GuestPayloadAccel accel)
{
    QTestState *qts = start(accel, CPU_AMD, MEMERR_MODE_POLL);
    uint64_t gpa = random_page();
    const uint64_t status = MCI_COMMON | MCI_DEFERRED | MCI_POISON;
    GuestPayloadMailbox mb;

    inject(qts, gpa, false);
    expect_guest_event(qts, "inject", false, false);
    finish(qts, &mb);

    g_assert_cmphex(mb.values[MEMERR_OUT_STATUS], ==, status);
    g_assert_cmphex(mb.values[MEMERR_OUT_ADDR], ==, gpa);
    g_assert_cmphex(mb.values[MEMERR_OUT_MISC], ==, MISC_PHYS_LSB12);
    g_assert_cmphex(mb.values[MEMERR_OUT_DESTAT], ==, status);
    g_assert_cmphex(mb.values[MEMERR_OUT_DEADDR], ==, gpa);
    /* Clearing MCA_DESTAT no longer raises #GP: the guest survives. */
    g_assert_cmphex(mb.values[MEMERR_OUT_CLEAR_VECTOR], ==, NO_FAULT);
    g_assert_cmpuint(mb.exception_count[VECTOR_MC], ==, 0);
    g_assert_cmpuint(mb.nr_exceptions, ==, 0);
    qtest_quit(qts);
}

static void check_mc(QTestState *qts, uint64_t gpa, uint64_t status,
                     uint64_t mcg_status)
{
    GuestPayloadMailbox mb;

    finish(qts, &mb);
    g_assert_cmpuint(mb.exception_count[VECTOR_MC], ==, 1);
    g_assert_cmpuint(mb.values[MEMERR_OUT_MC_COUNT], ==, 1);
    g_assert_cmphex(mb.values[MEMERR_OUT_STATUS], ==, status);
    g_assert_cmphex(mb.values[MEMERR_OUT_ADDR], ==, gpa);
    g_assert_cmphex(mb.values[MEMERR_OUT_MISC], ==, MISC_PHYS_LSB12);
    g_assert_cmphex(mb.values[MEMERR_OUT_MCG_STATUS], ==, mcg_status);
}

/* AMD, action required: #MC with UC|POISON, RIPV|EIPV; the event says AR. */
static void test_amd_required(GuestPayloadAccel accel)
{
    QTestState *qts = start(accel, CPU_AMD, MEMERR_MODE_MC);
    uint64_t gpa = random_page();

    inject(qts, gpa, true);
    expect_guest_event(qts, "inject", true, false);
    check_mc(qts, gpa, MCI_COMMON | MCI_UC | MCI_POISON,
             MCG_MCIP | MCG_RIPV | MCG_EIPV);
    qtest_quit(qts);
}

/*
 * AMD, a second action-required error while the first #MC is in progress
 * (MCIP set): the guest ends, as hardware shuts down; upstream QEMU read
 * AMD's AR errors as action optional and ignored this one.
 */
static void test_amd_required_nested(GuestPayloadAccel accel)
{
    QTestState *qts = start(accel, CPU_AMD, MEMERR_MODE_MC_NESTED);
    GuestPayloadMailbox mb;
    QDict *ev;

    inject(qts, random_page(), true);
    expect_guest_event(qts, "inject", true, false);
    guest_payload_wait_checkpoint(qts, MEMERR_CP_IN_HANDLER);
    inject(qts, random_page(), true);
    expect_guest_event(qts, "reset", true, true);

    ev = qtest_qmp_eventwait_ref(qts, "SHUTDOWN");
    g_assert_cmpstr(qdict_get_str(qdict_get_qdict(ev, "data"), "reason"),
                    ==, "guest-reset");
    qobject_unref(ev);
    guest_payload_read_mailbox(qts, &mb);
    g_assert_cmphex(mb.magic, ==, GUEST_PAYLOAD_MAGIC_RUNNING);
    g_assert_cmpuint(mb.exception_count[VECTOR_MC], ==, 1);
    qtest_quit(qts);
}

/*
 * Action required, on access: the page is poisoned and nothing happens
 * until the guest reads it; that read raises #MC, which the guest takes
 * at the reading instruction (TCG), or right after it (KVM completes the
 * access, which exited to QEMU as MMIO, before the vCPU stops).
 */
static void required_on_access(GuestPayloadAccel accel, const char *cpu,
                               uint64_t status)
{
    QTestState *qts = start(accel, cpu, MEMERR_MODE_TOUCH);
    uint64_t gpa = random_page();
    GuestPayloadMailbox mb;
    uint64_t eip, want;

    guest_payload_set_input(qts, MEMERR_IN_TOUCH_GPA, gpa + 0x40);
    poison(qts, gpa);
    guest_payload_set_input(qts, MEMERR_IN_GO, 1);
    /* Without the #MC this waits until meson's timeout fails the test. */
    expect_guest_event(qts, "inject", true, false);
    finish(qts, &mb);

    g_assert_cmpuint(mb.exception_count[VECTOR_MC], ==, 1);
    g_assert_cmphex(mb.values[MEMERR_OUT_STATUS], ==, status);
    g_assert_cmphex(mb.values[MEMERR_OUT_ADDR], ==, gpa);
    g_assert_cmphex(mb.values[MEMERR_OUT_MCG_STATUS], ==,
                    MCG_MCIP | MCG_RIPV | MCG_EIPV);
    eip = mb.values[MEMERR_OUT_MC_EIP];
    want = accel == GUEST_PAYLOAD_TCG ? mb.values[MEMERR_OUT_TOUCH_EIP]
                                      : mb.values[MEMERR_OUT_AFTER_EIP];
    if (eip != want) {
        g_test_message("#MC at 0x%" PRIx64 ", the read at 0x%" PRIx64
                       ", after it 0x%" PRIx64, eip,
                       mb.values[MEMERR_OUT_TOUCH_EIP],
                       mb.values[MEMERR_OUT_AFTER_EIP]);
    }
    g_assert_cmphex(eip, ==, want);
    qtest_quit(qts);
}

static void test_amd_required_on_access(GuestPayloadAccel accel)
{
    required_on_access(accel, CPU_AMD, MCI_COMMON | MCI_UC | MCI_POISON);
}

static void test_intel_required_on_access(GuestPayloadAccel accel)
{
    required_on_access(accel, CPU_INTEL,
                       MCI_COMMON | MCI_S | MCI_UC | MCI_AR | 0x134);
}

/* Intel, action optional: SRAO, signaled with #MC. */
static void test_intel_optional(GuestPayloadAccel accel)
{
    QTestState *qts = start(accel, CPU_INTEL, MEMERR_MODE_MC);
    uint64_t gpa = random_page();

    inject(qts, gpa, false);
    expect_guest_event(qts, "inject", false, false);
    check_mc(qts, gpa, MCI_COMMON | MCI_S | MCI_UC | 0xc0,
             MCG_MCIP | MCG_RIPV);
    qtest_quit(qts);
}

/* Intel, action required: SRAR. */
static void test_intel_required(GuestPayloadAccel accel)
{
    QTestState *qts = start(accel, CPU_INTEL, MEMERR_MODE_MC);
    uint64_t gpa = random_page();

    inject(qts, gpa, true);
    expect_guest_event(qts, "inject", true, false);
    check_mc(qts, gpa, MCI_COMMON | MCI_S | MCI_UC | MCI_AR | 0x134,
             MCG_MCIP | MCG_RIPV | MCG_EIPV);
    qtest_quit(qts);
}

/*
 * On an upstream machine type a poisoned page blocks migration, with
 * upstream's message, until a reset remaps it (fresh, zeroed memory).
 * (The fork's own types migrate it: memory-error-migration-test.c.)
 */
static void test_poison_blocks_migration(GuestPayloadAccel accel)
{
    g_autofree char *uri = g_strdup_printf("file:%s/memerr-%d.mig",
                                           g_get_tmp_dir(), getpid());
    uint64_t gpa = random_page();
    QTestState *qts;

    qts = start(accel, CPU_AMD " -machine pc-i440fx-10.2", MEMERR_MODE_POLL);
    qtest_writeq(qts, gpa, 0x5a5a5a5a5a5a5a5aULL);
    inject(qts, gpa, false);
    expect_guest_event(qts, "inject", false, false);

    guest_payload_qmp_refused(qts, "poisoned",
                              "{'execute': 'migrate',"
                              " 'arguments': {'uri': %s}}", uri);

    /* The VM is still there and still runs its payload to the end. */
    qtest_qmp_eventwait(qts, "SHUTDOWN");
    g_assert_cmphex(qtest_readq(qts, gpa), ==, 0x5a5a5a5a5a5a5a5aULL);

    qtest_qmp_assert_success(qts, "{'execute': 'set-action',"
                             " 'arguments': {'reboot': 'reset'}}");
    qtest_qmp_assert_success(qts, "{'execute': 'system_reset'}");
    qtest_qmp_eventwait(qts, "RESET");
    g_assert_cmphex(qtest_readq(qts, gpa), ==, 0);
    qtest_quit(qts);
}

/*
 * A vCPU that does not signal the error -- uncorrected error reporting
 * off in the bank's MCi_CTL or in MCG_CTL, or no MCA at all -- reads a
 * poisoned page as hardware then does: the read completes (all ones, as
 * under KVM) and raises nothing.  Under TCG it used to run again, and
 * fail again, for ever.
 */
static void reporting_off(GuestPayloadAccel accel, const char *cpu,
                          uint32_t reporting)
{
    QTestState *qts = start(accel, cpu, MEMERR_MODE_TOUCH);
    uint64_t gpa = random_page();
    GuestPayloadMailbox mb;

    guest_payload_set_input(qts, MEMERR_IN_TOUCH_GPA, gpa);
    guest_payload_set_input(qts, MEMERR_IN_REPORTING, reporting);
    poison(qts, gpa);
    guest_payload_set_input(qts, MEMERR_IN_GO, 1);
    /* Without the fix, under TCG, this waits until meson's timeout. */
    finish(qts, &mb);
    g_assert_cmpuint(mb.exception_count[VECTOR_MC], ==, 0);
    g_assert_cmphex(mb.values[MEMERR_OUT_TOUCH_VALUE], ==, 0xffffffffu);
    qtest_quit(qts);
}

static void test_bank_reporting_off(GuestPayloadAccel accel)
{
    reporting_off(accel, CPU_INTEL, MEMERR_REPORT_BANK_OFF);
}

static void test_mcg_reporting_off(GuestPayloadAccel accel)
{
    reporting_off(accel, CPU_AMD, MEMERR_REPORT_MCG_OFF);
}

static void test_no_mca(GuestPayloadAccel accel)
{
    reporting_off(accel, CPU_INTEL ",-mca", MEMERR_REPORT_NO_MCA);
}

/*
 * A guest that reads a poisoned page again and again (its #MC handler
 * returns past the read) takes a machine check each time; QEMU's
 * MEMORY_FAILURE events for them are rate-limited as other events a
 * guest can repeat are: the first at once, then at most one a second.
 */
static void test_repeated_touch(GuestPayloadAccel accel)
{
    const unsigned touches = 200;
    QTestState *qts = start(accel, CPU_AMD, MEMERR_MODE_TOUCH);
    uint64_t gpa = random_page();
    GuestPayloadMailbox mb;
    unsigned events = 0, most;
    gint64 start_us, elapsed_us;
    QDict *ev;

    guest_payload_set_input(qts, MEMERR_IN_TOUCH_GPA, gpa);
    guest_payload_set_input(qts, MEMERR_IN_TOUCHES, touches);
    poison(qts, gpa);
    start_us = g_get_monotonic_time();
    guest_payload_set_input(qts, MEMERR_IN_GO, 1);
    /* Count the events up to SHUTDOWN: the payload is done then. */
    for (bool done = false; !done;) {
        ev = qtest_qmp_receive_dict(qts);
        if (qdict_haskey(ev, "event")) {
            events += !strcmp(qdict_get_str(ev, "event"), "MEMORY_FAILURE");
            done = !strcmp(qdict_get_str(ev, "event"), "SHUTDOWN");
        }
        qobject_unref(ev);
    }
    elapsed_us = g_get_monotonic_time() - start_us;
    guest_payload_read_mailbox(qts, &mb);
    g_assert_cmphex(mb.magic, ==, GUEST_PAYLOAD_MAGIC_DONE);
    g_assert_cmpuint(mb.status, ==, GUEST_PAYLOAD_STATUS_PASS);
    g_assert_cmpuint(mb.values[MEMERR_OUT_MC_COUNT], ==, touches);

    most = 1 + (elapsed_us + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC;
    g_test_message("%u MEMORY_FAILURE events for %u machine checks in "
                   "%" PRId64 " us; at most %u expected", events, touches,
                   elapsed_us, most);
    if (most >= touches) {
        g_test_skip("the guest took too long to tell a rate limit");
    } else {
        g_assert_cmpuint(events, >=, 1);
        g_assert_cmpuint(events, <=, most);
    }
    qtest_quit(qts);
}

/*
 * Under KVM x-inject-memory-error raises a real SIGBUS, but the page is
 * intact: a reset gives the guest the page zeroed, as for every page a
 * memory error took, without replacing it in its backend.  Upstream's
 * remap of host-poisoned pages punched a hole in a shared file there
 * (and where that fails, as on device DAX, QEMU exited).
 */
static void test_reset_keeps_backend(GuestPayloadAccel accel)
{
    g_autofree char *path = g_strdup_printf("/dev/shm/resilient-ram-%d",
                                            getpid());
    QTestState *qts;
    uint64_t gpa = random_page();
    off_t data;
    int fd;

    if (accel != GUEST_PAYLOAD_KVM) {
        g_test_skip("only KVM's memory errors come as SIGBUS");
        return;
    }
    qts = guest_payload_start(accel, "memory-error",
                              "-cpu " CPU_AMD " -m 128M -object "
                              "memory-backend-file,id=ram,size=128M,"
                              "mem-path=%s,share=on "
                              "-machine memory-backend=ram "
                              "-action reboot=reset", path);
    /* Kept open, gone from /dev/shm whatever happens next */
    fd = open(path, O_RDONLY);
    g_assert_cmpint(fd, >=, 0);
    unlink(path);
    /* The payload waits (the guest's view of the error is not the point) */
    guest_payload_set_input(qts, MEMERR_IN_MODE, MEMERR_MODE_TOUCH);
    guest_payload_set_input(qts, MEMERR_IN_BANK, BANK);
    qtest_writeq(qts, gpa, 0x5a5a5a5a5a5a5a5aULL);
    qtest_qmp_assert_success(qts, "{'execute': 'cont'}");
    guest_payload_wait_checkpoint(qts, MEMERR_CP_READY);
    inject(qts, gpa, false);
    qtest_qmp_eventwait(qts, "MEMORY_FAILURE");

    qtest_qmp_assert_success(qts, "{'execute': 'system_reset'}");
    qtest_qmp_eventwait(qts, "RESET");
    /* RAM's file at the page: data, not a hole (before a read fills it) */
    data = lseek(fd, gpa, SEEK_DATA);
    close(fd);
    g_assert_cmpint(data, ==, gpa);
    g_assert_cmphex(qtest_readq(qts, gpa), ==, 0);
    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    guest_payload_add_test("/x86/memory-error/amd/optional",
                           test_amd_optional);
    guest_payload_add_test("/x86/memory-error/amd/required",
                           test_amd_required);
    guest_payload_add_test("/x86/memory-error/amd/required-nested",
                           test_amd_required_nested);
    guest_payload_add_test("/x86/memory-error/intel/optional",
                           test_intel_optional);
    guest_payload_add_test("/x86/memory-error/intel/required",
                           test_intel_required);
    guest_payload_add_test("/x86/memory-error/amd/required-on-access",
                           test_amd_required_on_access);
    guest_payload_add_test("/x86/memory-error/intel/required-on-access",
                           test_intel_required_on_access);
    guest_payload_add_test("/x86/memory-error/poison-blocks-migration",
                           test_poison_blocks_migration);
    guest_payload_add_test("/x86/memory-error/repeated-touch",
                           test_repeated_touch);
    guest_payload_add_test("/x86/memory-error/reporting-off/bank",
                           test_bank_reporting_off);
    guest_payload_add_test("/x86/memory-error/reporting-off/mcg",
                           test_mcg_reporting_off);
    guest_payload_add_test("/x86/memory-error/reporting-off/no-mca",
                           test_no_mca);
    guest_payload_add_test("/x86/memory-error/reset-keeps-backend",
                           test_reset_keeps_backend);
    return g_test_run();
}
