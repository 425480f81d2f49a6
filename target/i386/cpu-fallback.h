/*
 * CPU-model fallback: run the closest runnable version of a model
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TARGET_I386_CPU_FALLBACK_H
#define TARGET_I386_CPU_FALLBACK_H

#include "cpu-qom.h"

/* Per-vCPU state, in X86CPU as 'fallback'. */
typedef struct X86CPUFallback {
    bool enabled;           /* 'x-fallback' */
    char *model;            /* 'x-fallback-model': the version chosen */
    struct strList *vanished;   /* 'x-vanished-features' */
} X86CPUFallback;

/* What cpu.c tells about the model behind a CPU class. */
typedef struct X86CPUModelVersionInfo {
    const char *base;       /* "Cascadelake-Server" */
    const char *vendor;     /* the model's own vendor string */
    int version;            /* the version the class resolves to */
    int last_version;
    bool is_alias;          /* not a "<base>-vN" class itself */
} X86CPUModelVersionInfo;

/* Implemented in cpu.c: false for classes without a model (host, max). */
bool x86_cpu_class_model_version(X86CPUClass *xcc,
                                 X86CPUModelVersionInfo *info);

void x86_cpu_fallback_class_init(ObjectClass *oc);
void x86_cpu_fallback_finalize(Object *obj);
/* Before the features are expanded and filtered. */
bool x86_cpu_fallback_realize(X86CPU *cpu, Error **errp);

#endif
