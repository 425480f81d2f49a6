/*
 * query-cpu-model-comparison and query-cpu-model-baseline for x86
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * "Will this model run here, and which features are in the way?" is
 * what management software asks before it starts or moves a guest;
 * upstream answers it only for s390x, and libvirt answers it for x86
 * with its own CPU map.  Both commands work on the static expansion of
 * each model (the "base" model plus one boolean property per feature),
 * so they see exactly what query-cpu-model-expansion shows, "host" and
 * "max" included.  Models are compared by their CPUID features, which
 * is what decides whether one runs where the other does; vendor and
 * family/model/stepping do not (KVM gives the guest the host's vendor).
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-machine.h"
#include "qobject/qbool.h"
#include "qobject/qdict.h"
#include "qemu/accel.h"
#include "system/qtest.h"
#include "system/tcg.h"
#include "cpu.h"
#include "trace.h"

/* As cpu.c decides whether "host" can be used. */
static bool uses_host_cpuid(void)
{
    return !tcg_enabled() && !qtest_enabled();
}

/* The static expansion of @info's model: base + properties. */
static QDict *expand_static(CpuModelInfo *info, const char *which,
                            Error **errp)
{
    g_autoptr(CpuModelExpansionInfo) exp = NULL;
    ObjectClass *oc;
    QDict *props;

    oc = cpu_class_by_name(TYPE_X86_CPU, info->name);
    if (!oc) {
        error_setg(errp, "%s: CPU model '%s' not found", which, info->name);
        return NULL;
    }
    if (X86_CPU_CLASS(oc)->host_cpuid_required && !uses_host_cpuid()) {
        error_setg(errp, "%s: CPU model '%s' needs an accelerator that uses "
                   "the host's CPUID (KVM); use 'max' with %s", which,
                   info->name, current_accel_name());
        return NULL;
    }
    if (info->props && qobject_type(info->props) != QTYPE_QDICT) {
        error_setg(errp, "%s: 'props' must be an object of CPU properties",
                   which);
        return NULL;
    }
    exp = qmp_query_cpu_model_expansion(CPU_MODEL_EXPANSION_TYPE_STATIC,
                                        info, errp);
    if (!exp) {
        error_prepend(errp, "%s: ", which);
        return NULL;
    }
    props = qobject_to(QDict, exp->model->props);
    return qobject_ref(props);
}

/* Both models' static expansions, or false with @errp set. */
static bool expand_both(CpuModelInfo *infoa, CpuModelInfo *infob,
                        QDict **a, QDict **b, Error **errp)
{
    *a = expand_static(infoa, "modela", errp);
    if (!*a) {
        return false;
    }
    *b = expand_static(infob, "modelb", errp);
    if (!*b) {
        qobject_unref(*a);
        *a = NULL;
        return false;
    }
    return true;
}

static bool feature_on(QDict *props, const char *name)
{
    QBool *b = qobject_to(QBool, qdict_get(props, name));

    return b && qbool_get_bool(b);
}

/* The features on in @a and not in @b, in @a's order, onto @tail. */
static strList **list_andnot(QDict *a, QDict *b, strList **tail)
{
    for (const QDictEntry *e = qdict_first(a); e; e = qdict_next(a, e)) {
        const char *name = qdict_entry_key(e);

        if (qobject_type(qdict_entry_value(e)) == QTYPE_QBOOL &&
            feature_on(a, name) && !feature_on(b, name)) {
            QAPI_LIST_APPEND(tail, g_strdup(name));
        }
    }
    return tail;
}

CpuModelCompareInfo *qmp_query_cpu_model_comparison(CpuModelInfo *infoa,
                                                     CpuModelInfo *infob,
                                                     Error **errp)
{
    g_autoptr(QDict) a = NULL;
    g_autoptr(QDict) b = NULL;
    CpuModelCompareInfo *info;
    strList **tail, **mid;
    bool a_has_more, b_has_more;

    if (!expand_both(infoa, infob, &a, &b, errp)) {
        return NULL;
    }

    info = g_new0(CpuModelCompareInfo, 1);
    tail = &info->responsible_properties;
    /* features of A that B lacks first: those are the ones in the way */
    mid = list_andnot(a, b, tail);
    a_has_more = mid != tail;
    b_has_more = list_andnot(b, a, mid) != mid;

    if (!a_has_more && !b_has_more) {
        info->result = CPU_MODEL_COMPARE_RESULT_IDENTICAL;
    } else if (!a_has_more) {
        info->result = CPU_MODEL_COMPARE_RESULT_SUBSET;
    } else if (!b_has_more) {
        info->result = CPU_MODEL_COMPARE_RESULT_SUPERSET;
    } else {
        info->result = CPU_MODEL_COMPARE_RESULT_INCOMPATIBLE;
    }
    trace_x86_cpu_model_compare(infoa->name, infob->name,
                                CpuModelCompareResult_str(info->result));
    return info;
}

CpuModelBaselineInfo *qmp_query_cpu_model_baseline(CpuModelInfo *infoa,
                                                    CpuModelInfo *infob,
                                                    Error **errp)
{
    g_autoptr(QDict) a = NULL;
    g_autoptr(QDict) b = NULL;
    CpuModelBaselineInfo *info;
    QDict *props;

    if (!expand_both(infoa, infob, &a, &b, errp)) {
        return NULL;
    }

    /* model A's scalar properties, and the features both have */
    props = qdict_clone_shallow(a);
    for (const QDictEntry *e = qdict_first(a); e; e = qdict_next(a, e)) {
        const char *name = qdict_entry_key(e);

        if (qobject_type(qdict_entry_value(e)) == QTYPE_QBOOL) {
            qdict_put_bool(props, name,
                           feature_on(a, name) && feature_on(b, name));
        }
    }
    info = g_new0(CpuModelBaselineInfo, 1);
    info->model = g_new0(CpuModelInfo, 1);
    info->model->name = g_strdup("base");
    info->model->props = QOBJECT(props);
    trace_x86_cpu_model_baseline(infoa->name, infob->name);
    return info;
}
