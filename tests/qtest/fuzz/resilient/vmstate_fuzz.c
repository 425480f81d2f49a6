/*
 * Fuzz the loading of qemu-resilient's migration state
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * An input is the body of vCPU 0's "cpu" section, as the migration stream
 * carries it with the fork's subsections (cpu/x-resilient-smca,
 * cpu/interrupt_shadow) and the exception-state checks of its load, or,
 * when its first byte is odd, the body of a "resilient-cpuid" section, or,
 * when it is 2 modulo 4, the body of a "resilient-poisoned-memory"
 * section.  The migration code loads it into vCPU 0 (stopped, under TCG)
 * or into the machine's list of poisoned pages.  A load either fails
 * with an error or leaves a vCPU that the monitor can report and that
 * saves again (and pages that x-query-memory-errors lists).  vCPU 0 gets
 * its original state back after each input, the machine no poisoned
 * page.
 *
 * RESILIENT_FUZZ_WRITE_SEEDS=DIR writes the seed corpus (sections saved
 * from this vCPU, with and without the fork's subsections) and exits.
 */

#include "qemu/osdep.h"
#include "qemu/module.h"
#include "target/i386/cpu.h"
#include "io/channel-buffer.h"
#include "migration/vmstate.h"
#include "migration/qemu-file.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-memory-error.h"
#include "qapi/qapi-commands-vcpu-events.h"
#include "memory-poison.h"
#include "tests/qtest/fuzz/fuzz.h"

static GByteArray *pristine_cpu;

/* A section body saved from @opaque, after the selector byte. */
static GByteArray *save_section(void *opaque, const VMStateDescription *vmsd,
                                uint8_t selector)
{
    QIOChannelBuffer *bioc = qio_channel_buffer_new(4096);
    QEMUFile *f = qemu_file_new_output(QIO_CHANNEL(bioc));
    GByteArray *out = g_byte_array_new();

    g_byte_array_append(out, &selector, 1);
    g_assert_cmpint(vmstate_save_state(f, vmsd, opaque, NULL, &error_abort),
                    ==, 0);
    g_assert_cmpint(qemu_fflush(f), ==, 0);
    g_byte_array_append(out, bioc->data, bioc->usage);
    qemu_fclose(f);
    object_unref(OBJECT(bioc));
    return out;
}

static int load_section(X86CPU *cpu, const uint8_t *data, size_t size,
                        Error **errp)
{
    const VMStateDescription *vmsd = &vmstate_x86_cpu;
    void *opaque = cpu;
    QIOChannelBuffer *bioc = qio_channel_buffer_new(size);
    QEMUFile *f;
    int ret;

    if (size > 1) {
        qio_channel_write_all(QIO_CHANNEL(bioc), (const char *)data + 1,
                              size - 1, &error_abort);
        qio_channel_io_seek(QIO_CHANNEL(bioc), 0, SEEK_SET, &error_abort);
    }
    if (size && (data[0] & 1)) {
        vmsd = &vmstate_x86_cpuid_guard;
    } else if (size && (data[0] & 3) == 2) {
        vmsd = &vmstate_x86_poisoned_memory;
        opaque = x86_memory_poison_stream();
    }
    f = qemu_file_new_input(QIO_CHANNEL(bioc));
    object_unref(OBJECT(bioc));
    ret = vmstate_load_state(f, vmsd, opaque, vmsd->version_id, errp);
    qemu_fclose(f);
    return ret;
}

static void vmstate_fuzz(QTestState *s, const unsigned char *data,
                         size_t size)
{
    X86CPU *cpu = X86_CPU(first_cpu);
    Error *err = NULL;

    if (load_section(cpu, data, size, &err) == 0) {
        /* What was accepted must be reportable and savable again. */
        qapi_free_X86VCPUEventsList(qmp_x_query_vcpu_events(&error_abort));
        g_byte_array_unref(save_section(cpu, &vmstate_x86_cpu, 0));
        qapi_free_MemoryErrorPageList(qmp_x_query_memory_errors(
                                          &error_abort));
    }
    error_free(err);
    x86_memory_poison_forget();
    g_assert_cmpint(load_section(cpu, pristine_cpu->data, pristine_cpu->len,
                                 &error_abort), ==, 0);
}

static void write_seed(const char *dir, const char *name, GByteArray *seed)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);

    g_assert_true(g_file_set_contents(path, (const char *)seed->data,
                                      seed->len, NULL));
    g_byte_array_unref(seed);
}

/*
 * The fork's subsections are sent only when they hold something: give
 * vCPU 0 a deferred error in SMCA bank 9, an STI shadow (as KVM reports
 * it) and a pending #PF with its payload and error code.
 */
static void write_seeds(X86CPU *cpu, const char *dir)
{
    CPUX86State *env = &cpu->env;

    write_seed(dir, "cpu-vanilla", save_section(cpu, &vmstate_x86_cpu, 0));
    write_seed(dir, "cpuid-guard",
               save_section(cpu, &vmstate_x86_cpuid_guard, 1));
    x86_memory_poison_record(0x400000, false, false);
    x86_memory_poison_record(0x401000, true, false);
    g_assert_true(x86_memory_poison_page(0x402000, &error_abort));
    write_seed(dir, "poisoned-memory",
               save_section(x86_memory_poison_stream(),
                            &vmstate_x86_poisoned_memory, 2));
    x86_memory_poison_forget();
    env->smca.banks[SMCA_UMC_BANK].config = 1ULL << 32;
    env->smca.banks[SMCA_UMC_BANK].destat = MCI_STATUS_VAL |
        MCI_STATUS_DEFERRED | MCI_STATUS_ADDRV;
    env->smca.banks[SMCA_UMC_BANK].deaddr = 0x123000;
    env->interrupt_shadow = X86_INTERRUPT_SHADOW_STI;
    env->exception_nr = EXCP0E_PAGE;
    env->exception_pending = 1;
    env->has_error_code = 1;
    env->error_code = 2;
    env->exception_has_payload = 1;
    env->exception_payload = 0xdead000;
    write_seed(dir, "cpu-resilient", save_section(cpu, &vmstate_x86_cpu, 0));
    _exit(0);           /* not exit(): libFuzzer would call that a crash */
}

static void vmstate_pre_fuzz(QTestState *s)
{
    X86CPU *cpu = X86_CPU(first_cpu);
    const char *seeds = getenv("RESILIENT_FUZZ_WRITE_SEEDS");

    if (seeds) {
        write_seeds(cpu, seeds);
    }
    pristine_cpu = save_section(cpu, &vmstate_x86_cpu, 0);
}

static GString *vmstate_cmdline(FuzzTarget *t)
{
    return g_string_new(TARGET_NAME " -machine q35 -accel tcg -S "
                        "-nodefaults -cpu qemu64,vendor=AuthenticAMD,smca=on");
}

static void register_vmstate_fuzz_target(void)
{
    fuzz_add_target(&(FuzzTarget) {
        .name = "resilient-vmstate",
        .description = "Fuzz the loading of the vCPU section with the "
                       "fork's subsections, of its CPUID section and of "
                       "its list of poisoned pages",
        .get_init_cmdline = vmstate_cmdline,
        .pre_fuzz = vmstate_pre_fuzz,
        .fuzz = vmstate_fuzz,
    });
}

fuzz_target_init(register_vmstate_fuzz_target);
