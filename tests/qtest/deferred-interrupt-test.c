/*
 * The AMD deferred-error interrupt, programmed as Linux programs it
 *
 * The deferred-interrupt payload reads MSR_CU_DEF_ERR, unmasks the
 * extended LVT entry it names and asks for the interrupt in MCA_CONFIG
 * of bank 9; each action-optional memory error must then interrupt it
 * once, also after a save/restore.  A masked entry, an illegal vector, a
 * bank with the interrupt off, an offset beyond the four entries and a
 * guest that programs nothing get no interrupt and run on.  With
 * x-amd-deferred-interrupt=on: by default (off), also on an upstream
 * machine type, the MSR and the entries are not there.
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qobject/qdict.h"
#include "guest-payload.h"
#include "guest-migration.h"
#include "guest-payload/deferred-interrupt.h"

#define BANK            9
#define VECTOR          31      /* in the kit's IDT; legal for an LVT */
#define CPU_AMD         "qemu64,vendor=AuthenticAMD"
#define DEFERRED_ON     "-global x86_64-cpu.x-amd-deferred-interrupt=on"
#define CU_DEF_ERR_BIOS 0x1020  /* deferred at LVT offset 2, threshold 1 */
#define VERSION_EAS     (1ULL << 31)
#define CONFIG_DEFERRED_INT_SUPPORTED (1ULL << 5)
#define CONFIG_DEFERRED_INT_APIC (1ULL << 37)

typedef struct Setup {
    uint32_t vector;
    bool masked;
    uint32_t int_type;
    uint32_t offset;
    bool program;
} Setup;

static const Setup as_linux = {
    .vector = VECTOR, .int_type = DEFINT_INT_TYPE_APIC, .offset = DEFINT_KEEP,
    .program = true,
};

static uint64_t page(int n)
{
    return 0x4000000ULL + ((uint64_t)n << 12);
}

/* The payload programmed as @s says, running with interrupts on. */
static QTestState *start(GuestPayloadAccel accel, const char *extra,
                         const Setup *s)
{
    QTestState *qts = guest_payload_start(accel, "deferred-interrupt",
                                          "-cpu " CPU_AMD " %s", extra);

    guest_payload_set_input(qts, DEFINT_IN_BANK, BANK);
    guest_payload_set_input(qts, DEFINT_IN_VECTOR, s->vector);
    guest_payload_set_input(qts, DEFINT_IN_MASKED, s->masked);
    guest_payload_set_input(qts, DEFINT_IN_INT_TYPE, s->int_type);
    guest_payload_set_input(qts, DEFINT_IN_OFFSET, s->offset);
    guest_payload_set_input(qts, DEFINT_IN_PROGRAM, s->program);
    qtest_qmp_assert_success(qts, "{'execute': 'cont'}");
    guest_payload_wait_checkpoint(qts, DEFINT_CP_READY);
    return qts;
}

static void inject(QTestState *qts, int n)
{
    qtest_qmp_assert_success(qts, "{'execute': 'x-inject-memory-error',"
                             " 'arguments': {'gpa': %" PRIu64 ","
                             " 'action': 'optional'}}", page(n));
}

/* Tell the running payload to end; its mailbox. */
static void finish(QTestState *qts, GuestPayloadMailbox *mb)
{
    guest_payload_set_input(qts, DEFINT_IN_DONE, 1);
    /* Its reset request stops the VM (guest_payload_start()). */
    qtest_qmp_eventwait(qts, "SHUTDOWN");
    guest_payload_read_mailbox(qts, mb);
    g_assert_cmphex(mb->magic, ==, GUEST_PAYLOAD_MAGIC_DONE);
    g_assert_cmpuint(mb->status, ==, GUEST_PAYLOAD_STATUS_PASS);
    qtest_quit(qts);
}

static const char *accel_args(GuestPayloadAccel accel)
{
    /* Under KVM only QEMU's own APIC has the extended LVT. */
    return accel == GUEST_PAYLOAD_KVM ? "-machine kernel-irqchip=off" : "";
}

/*
 * Under KVM: NULL if it can run QEMU's own APIC, else why not.  A
 * payload that ends at once (cpuid-dump, no leaves) tells.
 */
static char *userspace_apic_unusable(void)
{
    g_autofree char *bios = g_build_filename(GUEST_PAYLOAD_DIR,
                                             "cpuid-dump.bin", NULL);
    const char *argv[] = {
        qtest_qemu_binary(NULL), "-accel", "kvm", "-machine",
        "pc,kernel-irqchip=off", "-nodefaults", "-display", "none",
        "-device", "isa-debug-exit", "-bios", bios, NULL,
    };
    g_autofree char *err = NULL;
    char *line;

    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL,
                               G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                               &err, NULL, NULL));
    line = strstr(err, "KVM does not support userspace APIC");
    return line ? g_strndup(line, strcspn(line, "\n")) : NULL;
}

static QTestState *start_amd(GuestPayloadAccel accel, const char *extra,
                             const Setup *s)
{
    g_autofree char *args = g_strdup_printf("%s %s", accel_args(accel),
                                            extra ? extra : DEFERRED_ON);
    g_autofree char *why = NULL;

    if (accel == GUEST_PAYLOAD_KVM) {
        why = userspace_apic_unusable();
        if (why) {
            g_test_skip(why);
            return NULL;
        }
    }
    /* CPU_AMD names the vendor: an AMD vCPU on Intel and AMD hosts alike */
    return start(accel, args, s);
}

static void test_delivered(GuestPayloadAccel accel)
{
    QTestState *qts = start_amd(accel, NULL, &as_linux);
    GuestPayloadMailbox mb;

    if (!qts) {
        return;
    }
    guest_payload_read_mailbox(qts, &mb);
    g_assert_cmphex(mb.values[DEFINT_OUT_CU_DEF_ERR], ==, CU_DEF_ERR_BIOS);
    g_assert_cmphex(mb.values[DEFINT_OUT_EXT_FEATURE], ==, 4 << 16);
    g_assert_cmphex(mb.values[DEFINT_OUT_VERSION] & VERSION_EAS, ==,
                    VERSION_EAS);
    g_assert_cmphex(mb.values[DEFINT_OUT_LVT], ==, VECTOR);
    g_assert_cmphex(mb.values[DEFINT_OUT_CONFIG] &
                    (CONFIG_DEFERRED_INT_SUPPORTED | 3ULL << 37), ==,
                    CONFIG_DEFERRED_INT_SUPPORTED | CONFIG_DEFERRED_INT_APIC);

    /* Once per error. */
    for (int n = 1; n <= 3; n++) {
        inject(qts, n);
        guest_payload_wait_exceptions(qts, VECTOR, n);
    }
    finish(qts, &mb);
    g_assert_cmpuint(mb.values[DEFINT_OUT_INTERRUPTS], ==, 3);
    g_assert_cmpuint(mb.exception_count[VECTOR], ==, 3);
}

/* The programmed entry and bank survive a save and restore. */
static void test_migrates(GuestPayloadAccel accel)
{
    g_autofree char *path = g_strdup_printf("%s/defint-%d.mig",
                                            g_get_tmp_dir(), getpid());
    g_autofree char *uri = g_strdup_printf("file:%s", path);
    g_autofree char *args = NULL;
    g_autofree char *status = NULL;
    QTestState *src = start_amd(accel, NULL, &as_linux), *dst;
    GuestPayloadMailbox mb;

    if (!src) {
        return;
    }
    guest_migration_enable_events(src);
    qtest_qmp_assert_success(src, "{'execute': 'migrate',"
                             " 'arguments': {'uri': %s}}", uri);
    g_free(guest_migration_wait_end(src));
    qtest_quit(src);

    args = g_strdup_printf("-cpu " CPU_AMD " %s " DEFERRED_ON
                           " -incoming defer", accel_args(accel));
    dst = guest_payload_start(accel, "deferred-interrupt", "%s", args);
    guest_migration_enable_events(dst);
    guest_migration_incoming(dst, uri);
    status = guest_migration_wait_end(dst);
    g_assert_cmpstr(status, ==, "completed");
    unlink(path);
    qtest_qmp_assert_success(dst, "{'execute': 'cont'}");
    inject(dst, 1);
    guest_payload_wait_exceptions(dst, VECTOR, 1);
    finish(dst, &mb);
    g_assert_cmpuint(mb.values[DEFINT_OUT_INTERRUPTS], ==, 1);
}

/* What must not interrupt: the error is logged, the guest runs on. */
static void test_not_delivered(GuestPayloadAccel accel)
{
    static const struct {
        const char *what;
        Setup s;
    } cases[] = {
        { "masked", { VECTOR, true, 1, DEFINT_KEEP, true } },
        { "vector 15", { 15, false, 1, DEFINT_KEEP, true } },
        { "bank interrupt off", { VECTOR, false, 0, DEFINT_KEEP, true } },
        { "offset 5", { VECTOR, false, 1, 5, true } },
        { "nothing programmed", { VECTOR, false, 1, DEFINT_KEEP, false } },
    };

    for (int i = 0; i < ARRAY_SIZE(cases); i++) {
        QTestState *qts = start_amd(accel, NULL, &cases[i].s);
        GuestPayloadMailbox mb;

        if (!qts) {
            return;
        }
        g_test_message("%s", cases[i].what);
        inject(qts, 1);
        inject(qts, 2);
        finish(qts, &mb);
        g_assert_cmpuint(mb.values[DEFINT_OUT_INTERRUPTS], ==, 0);
        g_assert_cmpuint(mb.nr_exceptions, ==, 0);
    }
}

/* By default, and on upstream machine types: no MSR, no extended space */
static void test_absent(GuestPayloadAccel accel)
{
    static const char *const configs[] = {
        "", "-machine pc-i440fx-10.2",
    };

    for (int i = 0; i < ARRAY_SIZE(configs); i++) {
        QTestState *qts = start_amd(accel, configs[i], &as_linux);
        GuestPayloadMailbox mb;

        if (!qts) {
            return;
        }
        g_test_message("%s", configs[i]);
        guest_payload_read_mailbox(qts, &mb);
        /* What vanilla gives: TCG reads unknown MSRs as 0, KVM #GPs */
        g_assert_cmphex(mb.values[DEFINT_OUT_CU_DEF_ERR], ==,
                        accel == GUEST_PAYLOAD_TCG ? 0 : ~0ULL);
        g_assert_cmphex(mb.values[DEFINT_OUT_EXT_FEATURE], ==, 0);
        g_assert_cmphex(mb.values[DEFINT_OUT_VERSION] & VERSION_EAS, ==, 0);
        inject(qts, 1);
        finish(qts, &mb);
        g_assert_cmpuint(mb.values[DEFINT_OUT_INTERRUPTS], ==, 0);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    guest_payload_add_test("/x86/deferred-interrupt/delivered",
                           test_delivered);
    guest_payload_add_test("/x86/deferred-interrupt/migrates", test_migrates);
    guest_payload_add_test("/x86/deferred-interrupt/not-delivered",
                           test_not_delivered);
    guest_payload_add_test("/x86/deferred-interrupt/absent", test_absent);
    return g_test_run();
}
