/*
 * Fuzz the arguments of qemu-resilient's QMP and HMP commands
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * An input is a sequence of commands.  A byte picks the command; the
 * bytes after it pick, for each argument, whether it is there, whether it
 * has the right JSON type, and its value, boundary values being likely.
 * Sometimes an argument the command does not have is added.  HMP twins
 * get a command line of numbers and words.  Each request goes through
 * qmp_dispatch() as from a QMP monitor, so QAPI's checks and the
 * handlers' own both run; every request must get a return value or an
 * error with a description.  The machine (TCG, stopped) is reset after
 * each input that changed it.
 */

#include "qemu/osdep.h"
#include "qemu/module.h"
#include "qobject/qbool.h"
#include "qobject/qdict.h"
#include "qobject/qnum.h"
#include "qobject/qstring.h"
#include "qobject/qjson.h"
#include "qapi/qmp-registry.h"
#include "monitor/monitor-internal.h"
#include "system/runstate.h"
#include "tests/qtest/fuzz/fuzz.h"
#include "fuzz_input.h"

#define RAM_SIZE        (128 * MiB)

typedef enum ArgType {
    ARG_INT,            /* a cpu-index, a bank, a vector */
    ARG_UINT64,         /* an address or an MCA register */
    ARG_UINT32,
    ARG_BOOL,
    ARG_ACTION,         /* MemoryErrorKind */
    ARG_MODEL,          /* CpuModelInfo */
    ARG_HMP,            /* a command line */
} ArgType;

typedef struct FuzzArg {
    const char *name;
    ArgType type;
} FuzzArg;

typedef struct FuzzCommand {
    const char *name;
    FuzzArg args[8];
} FuzzCommand;

static const FuzzCommand commands[] = {
    { "x-inject-mce", {
        { "cpu-index", ARG_INT }, { "bank", ARG_INT },
        { "status", ARG_UINT64 }, { "mcg-status", ARG_UINT64 },
        { "addr", ARG_UINT64 }, { "misc", ARG_UINT64 },
        { "broadcast", ARG_BOOL } } },
    { "x-inject-memory-error", {
        { "gpa", ARG_UINT64 }, { "action", ARG_ACTION },
        { "immediate", ARG_BOOL }, { "cpu-index", ARG_INT } } },
    { "x-query-gpa2hpa", { { "gpa", ARG_UINT64 } } },
    { "x-query-vcpu-events", { } },
    { "x-inject-exception", {
        { "cpu-index", ARG_INT }, { "vector", ARG_INT },
        { "error-code", ARG_UINT32 }, { "payload", ARG_UINT64 },
        { "unchecked", ARG_BOOL } } },
    { "x-inject-triple-fault", { { "cpu-index", ARG_INT } } },
    { "x-query-kvm-errata", { } },
    { "query-cpu-model-comparison", {
        { "modela", ARG_MODEL }, { "modelb", ARG_MODEL } } },
    { "human-monitor-command", { { "command-line", ARG_HMP } } },
};

static const char *const hmp_commands[] = {
    "mce", "inject-memory-error", "inject-exception", "inject-triple-fault",
    "info vcpu-events", "info kvm-errata", "gpa2hpa",
};

static const char *const words[] = {
    "optional", "required", "-1", "0x", "on", "", "9999999999999999999999",
    "\"", "\\", "%s",
};

static const char *const models[] = {
    "EPYC-Genoa", "Cascadelake-Server-noTSX", "Skylake-Server-v4", "qemu64",
    "max", "base", "host", "Penryn", "no-such-model",
};

static const char *const features[] = {
    "hle", "rtm", "mca", "mce", "avx512f", "x-amd-smca", "x-amd-smca-msrs",
    "x-fallback", "x-migrate-cpuid", "x-migrate-cpuid-check", "vendor",
    "level", "xlevel", "family",
};

static int64_t pick_int(FuzzInput *in)
{
    static const int64_t edges[] = {
        0, 1, -1, 2, 8, 9, 10, 31, 32, 255, 256, INT32_MAX, INT64_MAX,
        INT64_MIN,
    };
    uint8_t sel = fuzz_input_u8(in);

    return sel & 0x80 ? (int64_t)fuzz_input_u64(in)
                      : edges[sel % ARRAY_SIZE(edges)];
}

static uint64_t pick_u64(FuzzInput *in)
{
    /* Guest RAM, its edges, the hole below 4 GiB, MCA status bits. */
    static const uint64_t edges[] = {
        0, 0x1000, 0x9f000, 0xa0000, 0xfffff, RAM_SIZE - 8, RAM_SIZE,
        RAM_SIZE - 1, 0xfffc0000, 0xfffffff8, UINT32_MAX, UINT64_MAX,
        1ULL << 63, 0xbd80000000100134ULL, 0xfd00000000000000ULL,
    };
    uint8_t sel = fuzz_input_u8(in);

    if (sel & 0x80) {
        return fuzz_input_u64(in);
    }
    if (sel & 0x40) {
        return edges[sel % ARRAY_SIZE(edges)] + (int8_t)fuzz_input_u8(in);
    }
    return edges[sel % ARRAY_SIZE(edges)];
}

static QObject *pick_model(FuzzInput *in)
{
    QDict *m = qdict_new();
    QDict *props = qdict_new();
    unsigned n = fuzz_input_u8(in) % 4;

    qdict_put_str(m, "name", models[fuzz_input_u8(in) % ARRAY_SIZE(models)]);
    for (unsigned i = 0; i < n; i++) {
        const char *f = features[fuzz_input_u8(in) % ARRAY_SIZE(features)];

        switch (fuzz_input_u8(in) % 3) {
        case 0:
            qdict_put_bool(props, f, fuzz_input_u8(in) & 1);
            break;
        case 1:
            qdict_put_int(props, f, pick_int(in));
            break;
        default:
            qdict_put_str(props, f, words[fuzz_input_u8(in) %
                                          ARRAY_SIZE(words)]);
            break;
        }
    }
    qdict_put(m, "props", props);
    return QOBJECT(m);
}

static QObject *pick_hmp(FuzzInput *in)
{
    GString *line = g_string_new(hmp_commands[fuzz_input_u8(in) %
                                              ARRAY_SIZE(hmp_commands)]);
    unsigned n = fuzz_input_u8(in) % 7;

    for (unsigned i = 0; i < n; i++) {
        switch (fuzz_input_u8(in) % 4) {
        case 0:
            g_string_append_printf(line, " %" PRId64, pick_int(in));
            break;
        case 1:
            g_string_append_printf(line, " 0x%" PRIx64, pick_u64(in));
            break;
        default:
            g_string_append_printf(line, " %s",
                words[fuzz_input_u8(in) % ARRAY_SIZE(words)]);
            break;
        }
    }
    return QOBJECT(qstring_from_gstring(line));
}

/* A value of @type, or with bit 7 of the selector, one of the wrong type. */
static QObject *pick_value(FuzzInput *in, ArgType type)
{
    uint8_t sel = fuzz_input_u8(in);

    if (sel & 0x80) {
        switch (sel % 3) {
        case 0:
            return QOBJECT(qstring_from_str(words[sel % ARRAY_SIZE(words)]));
        case 1:
            return QOBJECT(qbool_from_bool(sel & 8));
        default:
            return QOBJECT(qnum_from_double(-0.5));
        }
    }
    switch (type) {
    case ARG_INT:
        return QOBJECT(qnum_from_int(pick_int(in)));
    case ARG_UINT64:
        return QOBJECT(qnum_from_uint(pick_u64(in)));
    case ARG_UINT32:
        return QOBJECT(qnum_from_uint(sel & 0x40 ? pick_u64(in)
                                                  : fuzz_input_u32(in)));
    case ARG_BOOL:
        return QOBJECT(qbool_from_bool(sel & 1));
    case ARG_ACTION:
        return QOBJECT(qstring_from_str(words[sel % 3]));
    case ARG_MODEL:
        return pick_model(in);
    default:
        return pick_hmp(in);
    }
}

/* Whether a successful @cmd may have changed the machine. */
static bool changes_state(const char *cmd)
{
    return g_str_has_prefix(cmd, "x-inject-") ||
           g_str_equal(cmd, "human-monitor-command");
}

static QDict *pick_request(FuzzInput *in)
{
    const FuzzCommand *cmd = &commands[fuzz_input_u8(in) %
                                       ARRAY_SIZE(commands)];
    QDict *args = qdict_new();
    QDict *req = qdict_new();

    for (const FuzzArg *a = cmd->args; a->name; a++) {
        /* Mostly there: a missing argument stops QAPI before the handler. */
        if (fuzz_input_u8(in) % 8) {
            qdict_put_obj(args, a->name, pick_value(in, a->type));
        }
    }
    if (fuzz_input_u8(in) % 16 == 0) {
        qdict_put_int(args, "no-such-argument", 1);
    }
    qdict_put_str(req, "execute", cmd->name);
    qdict_put(req, "arguments", args);
    return req;
}

static void qmp_fuzz(QTestState *s, const unsigned char *data, size_t size)
{
    FuzzInput in = { .data = data, .size = size };
    bool dirty = false;

    for (int n = 0; !fuzz_input_done(&in) && n < 16; n++) {
        QDict *req = pick_request(&in);
        QDict *rsp = qmp_dispatch(&qmp_commands, QOBJECT(req), false, NULL);
        QDict *error = qdict_get_qdict(rsp, "error");

        /* Every request is answered: a return value, or a described error. */
        if (error) {
            const char *desc = qdict_get_try_str(error, "desc");

            g_assert_nonnull(desc);
            g_assert_cmpstr(desc, !=, "");
        } else {
            g_assert_true(qdict_haskey(rsp, "return"));
            dirty |= changes_state(qdict_get_str(req, "execute"));
        }
        qobject_unref(rsp);
        qobject_unref(req);
    }
    /* Undo what the input did; a reset is slow, so only when needed. */
    if (dirty) {
        fuzz_reset(s);
    }
}

static GString *qmp_cmdline(FuzzTarget *t)
{
    return g_string_new(TARGET_NAME " -machine q35 -accel tcg -S -m 128M "
                        "-smp 2 -nodefaults -display none -cpu qemu64,vendor=AuthenticAMD,smca=on");
}

static void register_qmp_fuzz_target(void)
{
    fuzz_add_target(&(FuzzTarget) {
        .name = "resilient-qmp",
        .description = "Fuzz the arguments of the fork's QMP commands and "
                       "their HMP twins",
        .get_init_cmdline = qmp_cmdline,
        .fuzz = qmp_fuzz,
    });
}

fuzz_target_init(register_qmp_fuzz_target);
