/*
 * Fuzz the AMD SMCA bank MSR handlers against a model
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * An input is a sequence of operations on vCPU 0: guest RDMSR/WRMSR of
 * random indexes and values, HWCR writes, deferred errors logged in
 * random banks, writes to the legacy MCi_ registers and changes of the
 * bank count.  A model written from the AMD APM (vol. 2, 9.3) predicts
 * each access: #GP or not, the value read, and every register after it.
 * Any difference aborts.  Under the qtest accelerator the handlers keep
 * the legacy registers and HWCR in env, as under TCG.
 */

#include "qemu/osdep.h"
#include "qemu/module.h"
#include "target/i386/cpu.h"
#include "tests/qtest/fuzz/fuzz.h"
#include "fuzz_input.h"

#define SMCA_MSR_SPAN   (MSR_SMCA_BANK_STRIDE * MSR_SMCA_MAX_BANKS)
#define MODEL_WRITABLE_CONFIG   ((1ULL << 32) | (1ULL << 33) | (1ULL << 34) | \
                                 (3ULL << 37))
#define MODEL_READONLY_CONFIG   ((1ULL << 0) | (1ULL << 2) | (1ULL << 5))

/* What one bank holds, by SMCA register number (0x0-0xf). */
typedef struct ModelBank {
    uint64_t reg[16];
} ModelBank;

typedef struct SMCAModel {
    ModelBank bank[MCE_BANKS_DEF];
    uint64_t hwcr;
    unsigned mcg_count;         /* MCG_CAP[7:0] */
    bool umc_ipid;              /* smca=on: bank 9 says UMC */
} SMCAModel;

static SMCAModel model;
static uint64_t saved_mcg_cap;

static bool model_decode(uint32_t msr, unsigned *bank, unsigned *reg)
{
    if (msr < MSR_SMCA_BANK_BASE || msr >= MSR_SMCA_BANK_BASE + SMCA_MSR_SPAN) {
        return false;
    }
    *bank = (msr - MSR_SMCA_BANK_BASE) / MSR_SMCA_BANK_STRIDE;
    *reg = (msr - MSR_SMCA_BANK_BASE) % MSR_SMCA_BANK_STRIDE;
    /* Banks beyond MCG_CAP's count, or beyond what QEMU keeps, are absent. */
    return *bank < model.mcg_count && *bank < MCE_BANKS_DEF;
}

/* Status-like registers take zero, or anything with HWCR.McStatusWrEn. */
static bool model_status_write_ok(uint64_t val)
{
    return val == 0 || (model.hwcr & HWCR_MCSTATUSWREN);
}

static bool model_rdmsr(uint32_t msr, uint64_t *val)
{
    unsigned bank, reg;

    if (!model_decode(msr, &bank, &reg)) {
        return false;
    }
    switch (reg) {
    case SMCA_IPID:
        *val = model.umc_ipid && bank == SMCA_UMC_BANK ? SMCA_IPID_UMC : 0;
        return true;
    case 0x7:                           /* reserved */
        return false;
    case SMCA_MISC1 ... SMCA_MISC4:     /* no extra MISC registers */
        *val = 0;
        return true;
    default:
        *val = model.bank[bank].reg[reg];
        return true;
    }
}

static bool model_wrmsr(uint32_t msr, uint64_t val)
{
    unsigned bank, reg;
    uint64_t *r;

    if (!model_decode(msr, &bank, &reg)) {
        return false;
    }
    r = &model.bank[bank].reg[reg];
    switch (reg) {
    case SMCA_CTL:      /* MCi_CTL: all or nothing, the rest ignored */
        if (val == 0 || val == ~0ULL) {
            *r = val;
        }
        return true;
    case SMCA_STATUS:
    case SMCA_SYND:
    case SMCA_DESTAT:
    case SMCA_SYND1:
    case SMCA_SYND2:
        if (!model_status_write_ok(val)) {
            return false;
        }
        *r = val;
        return true;
    case SMCA_CONFIG:
        if (val & ~(MODEL_WRITABLE_CONFIG | MODEL_READONLY_CONFIG)) {
            return false;
        }
        *r = val & MODEL_WRITABLE_CONFIG;
        return true;
    case SMCA_IPID:     /* read-only */
    case 0x7:
        return false;
    case SMCA_MISC1 ... SMCA_MISC4:
        return true;
    default:            /* ADDR, MISC0, DEADDR */
        *r = val;
        return true;
    }
}

static void model_log_error(int bank, uint64_t status, uint64_t addr)
{
    if (bank >= 0 && bank < MCE_BANKS_DEF && (status & MCI_STATUS_DEFERRED)) {
        model.bank[bank].reg[SMCA_DESTAT] = status;
        model.bank[bank].reg[SMCA_DEADDR] = addr;
    }
}

/* Every register QEMU keeps must be what the model says. */
static void check_state(X86CPU *cpu)
{
    CPUX86State *env = &cpu->env;

    for (int b = 0; b < MCE_BANKS_DEF; b++) {
        const uint64_t *m = model.bank[b].reg;
        const X86SMCABank *q = &env->smca.banks[b];

        for (int r = SMCA_CTL; r <= SMCA_MISC0; r++) {
            g_assert_cmphex(env->mce_banks[4 * b + r], ==, m[r]);
        }
        g_assert_cmphex(q->config, ==, m[SMCA_CONFIG]);
        g_assert_cmphex(q->synd, ==, m[SMCA_SYND]);
        g_assert_cmphex(q->destat, ==, m[SMCA_DESTAT]);
        g_assert_cmphex(q->deaddr, ==, m[SMCA_DEADDR]);
        g_assert_cmphex(q->synd1, ==, m[SMCA_SYND1]);
        g_assert_cmphex(q->synd2, ==, m[SMCA_SYND2]);
    }
}

static uint32_t pick_msr(FuzzInput *in)
{
    if (fuzz_input_u8(in) & 0x80) {
        return fuzz_input_u32(in);
    }
    /* The range and one bank's worth either side of it. */
    return MSR_SMCA_BANK_BASE - MSR_SMCA_BANK_STRIDE +
           fuzz_input_bytes(in, 2) % (SMCA_MSR_SPAN + 2 * MSR_SMCA_BANK_STRIDE);
}

static uint64_t pick_value(FuzzInput *in)
{
    switch (fuzz_input_u8(in) % 4) {
    case 0:
        return 0;
    case 1:
        return ~0ULL;
    case 2:
        return 1ULL << (fuzz_input_u8(in) % 64);
    default:
        return fuzz_input_u64(in);
    }
}

static void smca_msr_fuzz(QTestState *s, const unsigned char *data,
                          size_t size)
{
    X86CPU *cpu = X86_CPU(first_cpu);
    CPUX86State *env = &cpu->env;
    FuzzInput in = { .data = data, .size = size };

    memset(&model, 0, sizeof(model));
    memset(env->mce_banks, 0, sizeof(env->mce_banks));
    memset(&env->smca, 0, sizeof(env->smca));
    env->msr_hwcr = 0;
    env->mcg_cap = saved_mcg_cap;
    model.mcg_count = saved_mcg_cap & 0xff;
    model.umc_ipid = x86_smca_advertised(cpu);

    for (int ops = 0; !fuzz_input_done(&in) && ops < 256; ops++) {
        uint32_t msr;
        uint64_t val, want = 0, got = 0;
        bool want_ok, ok;
        int bank;

        switch (fuzz_input_u8(&in) % 6) {
        case 0:
            msr = pick_msr(&in);
            want_ok = model_rdmsr(msr, &want);
            ok = x86_smca_rdmsr(cpu, msr, &got);
            g_assert_cmpint(ok, ==, want_ok);
            if (ok) {
                g_assert_cmphex(got, ==, want);
            }
            break;
        case 1:
            msr = pick_msr(&in);
            val = pick_value(&in);
            want_ok = model_wrmsr(msr, val);
            g_assert_cmpint(x86_smca_wrmsr(cpu, msr, val), ==, want_ok);
            break;
        case 2:
            val = pick_value(&in);
            env->msr_hwcr = model.hwcr = val;
            break;
        case 3:
            bank = (int8_t)fuzz_input_u8(&in);
            val = pick_value(&in);
            if (fuzz_input_u8(&in) & 1) {
                val |= MCI_STATUS_DEFERRED;
            }
            got = pick_value(&in);
            model_log_error(bank, val, got);
            x86_smca_log_error(cpu, bank, val, got);
            break;
        case 4:
            bank = fuzz_input_u8(&in) % (4 * MCE_BANKS_DEF);
            val = pick_value(&in);
            env->mce_banks[bank] = val;
            model.bank[bank / 4].reg[bank % 4] = val;
            break;
        default:
            model.mcg_count = fuzz_input_u8(&in);
            env->mcg_cap = (env->mcg_cap & ~0xffULL) | model.mcg_count;
            break;
        }
        check_state(cpu);
    }
    env->mcg_cap = saved_mcg_cap;
}

static void smca_msr_pre_fuzz(QTestState *s)
{
    X86CPU *cpu = X86_CPU(first_cpu);

    g_assert_true(x86_smca_msrs_enabled(cpu));
    saved_mcg_cap = cpu->env.mcg_cap;
}

static GString *smca_msr_cmdline(FuzzTarget *t)
{
    return g_string_new(TARGET_NAME " -machine q35,accel=qtest "
                        "-nodefaults -cpu qemu64,vendor=AuthenticAMD,smca=on");
}

static void register_smca_msr_fuzz_target(void)
{
    fuzz_add_target(&(FuzzTarget) {
        .name = "resilient-smca-msr",
        .description = "Fuzz the AMD SMCA bank MSR handlers with random "
                       "index/value sequences against a model",
        .get_init_cmdline = smca_msr_cmdline,
        .pre_fuzz = smca_msr_pre_fuzz,
        .fuzz = smca_msr_fuzz,
    });
}

fuzz_target_init(register_smca_msr_fuzz_target);
