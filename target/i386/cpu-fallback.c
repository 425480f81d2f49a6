/*
 * CPU-model fallback: run the closest runnable version of a model
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * A microcode or kernel update can take features away from the host
 * (TSX: hle, rtm).  A VM whose CPU model needs them then no longer
 * starts with 'enforce', or starts with them silently filtered.  With
 * x-fallback=on the vCPU takes instead the runnable version of the same
 * model closest to the one asked for (cpu-fallback-resolver.c), keeps
 * the features the user named on top, and says what it did.
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "qapi/qapi-builtin-visit.h"
#include "qom/qom-qobject.h"
#include "qobject/qobject.h"
#include "qemu/error-report.h"
#include "qemu/accel.h"
#include "hw/qdev-properties.h"
#include "cpu.h"
#include "cpu-internal.h"
#include "cpu-fallback-resolver.h"
#include "trace.h"

/* Properties a model version may set besides feature bits. */
static const char *const version_scalar_props[] = {
    "min-level", "min-xlevel", "family", "model", "stepping", "model-id",
    "avx10-version",
};

typedef struct ModelVersion {
    char *name;
    X86CPU *cpu;            /* unrealized, for its loaded model */
    FeatureWordArray features;
} ModelVersion;

/*
 * An unrealized vCPU of model version @name, its features expanded as
 * query-cpu-definitions does, so that "runnable" means the same here
 * as in its unavailable-features.
 */
static X86CPU *model_version_new(const char *name)
{
    g_autofree char *type = g_strdup_printf(X86_CPU_TYPE_NAME("%s"), name);
    ObjectClass *oc = object_class_by_name(type);
    X86CPU *model;
    Error *err = NULL;

    if (!oc) {
        return NULL;
    }
    model = X86_CPU(object_new_with_class(oc));
    x86_cpu_expand_features(model, &err);
    if (err) {
        error_free(err);
        object_unref(OBJECT(model));
        return NULL;
    }
    return model;
}

/* A model's own feature bits: what the user set is not its doing. */
static void model_features(const uint64_t *model, X86CPU *cpu,
                           uint64_t *out)
{
    for (FeatureWord w = 0; w < FEATURE_WORDS; w++) {
        out[w] = model[w] & ~cpu->env.user_features[w];
    }
}

/* "a, b, c" for messages, "none" for no name at all. */
static char *join_names(const strList *names)
{
    GString *s = g_string_new(NULL);

    for (; names; names = names->next) {
        g_string_append_printf(s, "%s%s", s->len ? ", " : "",
                               names->value ?: "(unnamed)");
    }
    if (!s->len) {
        g_string_append(s, "none");
    }
    return g_string_free(s, false);
}

static char *feature_names(uint64_t *set)
{
    g_autoptr(strList) names = NULL;

    x86_cpu_list_feature_names(set, &names);
    return join_names(names);
}

static void andnot(uint64_t *out, const uint64_t *a, const uint64_t *b)
{
    for (FeatureWord w = 0; w < FEATURE_WORDS; w++) {
        out[w] = a[w] & ~b[w];
    }
}

/* Say it once per distinct outcome, not once per vCPU. */
static void warn_once_per_text(const char *text)
{
    static GHashTable *said;

    if (!said) {
        said = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    }
    if (g_hash_table_add(said, g_strdup(text))) {
        warn_report("%s", text);
    }
}

/*
 * Take the chosen version: its feature bits where it differs from the
 * requested one and the user did not set the bit, and its scalar
 * properties (model-id, stepping...) unless the user set them.
 */
static void apply_version(X86CPU *cpu, const ModelVersion *req,
                          const ModelVersion *chosen)
{
    CPUX86State *env = &cpu->env;

    for (FeatureWord w = 0; w < FEATURE_WORDS; w++) {
        uint64_t mask = (req->features[w] ^ chosen->features[w]) &
                        ~env->user_features[w];

        env->features[w] = (env->features[w] & ~mask) |
                           (chosen->features[w] & mask);
    }
    for (size_t i = 0; i < ARRAY_SIZE(version_scalar_props); i++) {
        const char *prop = version_scalar_props[i];
        QObject *want, *had;

        if (qdev_find_global_prop(OBJECT(cpu), prop)) {
            continue;
        }
        want = object_property_get_qobject(OBJECT(chosen->cpu), prop,
                                           &error_abort);
        had = object_property_get_qobject(OBJECT(req->cpu), prop,
                                          &error_abort);
        if (!qobject_is_equal(want, had)) {
            object_property_set_qobject(OBJECT(cpu), prop, want,
                                        &error_abort);
        }
        qobject_unref(want);
        qobject_unref(had);
    }
}

/* A versioned model, expanded, among which to look for alternatives. */
typedef struct KnownModel {
    char *name;
    int version;
    const char *vendor;             /* the model definition's own */
    FeatureWordArray features;
} KnownModel;

/*
 * Every "<model>-vN", expanded: the same for every vCPU of the process
 * (same accelerator, same options), so built once, when first needed.
 */
static GArray *known_models(void)
{
    static GArray *models;
    GSList *classes;

    if (models) {
        return models;
    }
    models = g_array_new(false, false, sizeof(KnownModel));
    classes = object_class_get_list(TYPE_X86_CPU, false);
    for (GSList *l = classes; l; l = l->next) {
        X86CPUModelVersionInfo info;
        KnownModel m;
        X86CPU *model;

        if (!x86_cpu_class_model_version(l->data, &info) || info.is_alias) {
            continue;
        }
        m.name = g_strdup_printf("%s-v%d", info.base, info.version);
        model = model_version_new(m.name);
        if (!model) {
            g_free(m.name);
            continue;
        }
        m.version = info.version;
        m.vendor = info.vendor;
        memcpy(m.features, model->env.features, sizeof(m.features));
        object_unref(OBJECT(model));
        g_array_append_val(models, m);
    }
    g_slist_free(classes);
    return models;
}

/* Runnable models of @vendor closest to @wanted, for the error text. */
static char *closest_runnable_models(X86CPU *cpu, const char *vendor,
                                     const uint64_t *wanted,
                                     const uint64_t *available)
{
    GArray *models = known_models();
    g_autofree X86FallbackCandidate *cands =
        g_new(X86FallbackCandidate, models->len);
    g_autofree uint64_t *feats = g_new(uint64_t,
                                       models->len * FEATURE_WORDS);
    size_t out[X86_FALLBACK_MAX_ALTERNATIVES], nalt, n = 0;
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < models->len; i++) {
        const KnownModel *m = &g_array_index(models, KnownModel, i);
        uint64_t *f = feats + n * FEATURE_WORDS;

        if (strcmp(m->vendor, vendor)) {
            continue;
        }
        model_features(m->features, cpu, f);
        cands[n++] = (X86FallbackCandidate) {
            .name = m->name, .version = m->version, .features = f,
        };
    }
    nalt = x86_fallback_alternatives(cands, n, wanted, available,
                                     FEATURE_WORDS, out);
    for (size_t i = 0; i < nalt; i++) {
        g_string_append_printf(s, "%s%s", i ? ", " : "", cands[out[i]].name);
    }
    if (!nalt) {
        g_string_append(s, "none");
    }
    return g_string_free(s, false);
}

bool x86_cpu_fallback_realize(X86CPU *cpu, Error **errp)
{
    X86CPUClass *xcc = X86_CPU_GET_CLASS(cpu);
    X86CPUModelVersionInfo info;
    FeatureWordArray available, wanted, missing, lost, added;
    g_autofree X86FallbackCandidate *cands = NULL;
    g_autofree ModelVersion *versions = NULL;
    g_autofree char *requested = NULL;
    g_autofree char *missing_s = NULL;
    g_autofree char *text = NULL;
    X86FallbackChoice choice;
    int req_index = -1;
    bool ok = false;

    if (!cpu->fallback.enabled) {
        return true;
    }
    if (!x86_cpu_class_model_version(xcc, &info)) {
        error_setg(errp, "x-fallback=on needs a versioned CPU model; "
                   "'%s' has no versions to fall back to",
                   object_class_get_name(OBJECT_CLASS(xcc)));
        return false;
    }
    if (info.last_version < 2) {
        error_setg(errp, "x-fallback=on: CPU model '%s' has a single "
                   "version, there is nothing to fall back to", info.base);
        return false;
    }
    if (!x86_cpu_apply_feature_flags(cpu, errp)) {
        return false;
    }

    requested = g_strdup_printf("%s-v%d", info.base, info.version);
    versions = g_new0(ModelVersion, info.last_version);
    cands = g_new0(X86FallbackCandidate, info.last_version);
    for (int v = 1; v <= info.last_version; v++) {
        ModelVersion *mv = &versions[v - 1];

        mv->name = g_strdup_printf("%s-v%d", info.base, v);
        mv->cpu = model_version_new(mv->name);
        if (!mv->cpu) {
            error_setg(errp, "x-fallback: CPU model version '%s' not found",
                       mv->name);
            goto out;
        }
        model_features(mv->cpu->env.features, cpu, mv->features);
        cands[v - 1] = (X86FallbackCandidate) {
            .name = mv->name, .version = v, .features = mv->features,
        };
    }
    req_index = info.version - 1;
    assert(req_index >= 0 && req_index < info.last_version);

    for (FeatureWord w = 0; w < FEATURE_WORDS; w++) {
        available[w] = x86_cpu_get_supported_feature_word(NULL, w);
        wanted[w] = versions[req_index].features[w];
    }
    if (x86_fallback_runnable(wanted, available, FEATURE_WORDS)) {
        trace_x86_cpu_fallback_runnable(requested);
        ok = true;
        goto out;
    }
    andnot(missing, wanted, available);
    missing_s = feature_names(missing);

    choice = x86_fallback_choose(cands, info.last_version, wanted, available,
                                 FEATURE_WORDS);
    if (choice.index < 0) {
        g_autofree char *alternatives =
            closest_runnable_models(cpu, info.vendor, wanted, available);

        x86_cpu_list_feature_names(missing, &cpu->fallback.vanished);
        trace_x86_cpu_fallback_none(requested, missing_s);
        if (cpu->enforce_cpuid) {
            error_setg(errp, "CPU model %s needs %s, which %s cannot "
                       "provide, and no version of %s can run here",
                       requested, missing_s, current_accel_name(), info.base);
            error_append_hint(errp, "Runnable %s models closest to it: %s\n",
                              info.vendor, alternatives);
            goto out;
        }
        text = g_strdup_printf(
            "CPU model %s needs %s, which %s cannot provide, and no version "
            "of %s can run here; those features are left out. Runnable %s "
            "models closest to it: %s", requested, missing_s,
            current_accel_name(), info.base, info.vendor, alternatives);
        warn_once_per_text(text);
        ok = true;
        goto out;
    }

    andnot(lost, wanted, versions[choice.index].features);
    andnot(added, versions[choice.index].features, wanted);
    apply_version(cpu, &versions[req_index], &versions[choice.index]);
    cpu->fallback.model = g_strdup(versions[choice.index].name);
    x86_cpu_list_feature_names(lost, &cpu->fallback.vanished);
    {
        g_autofree char *lost_s = join_names(cpu->fallback.vanished);
        g_autofree char *added_s = feature_names(added);

        text = g_strdup_printf(
            "CPU model %s needs %s, which %s cannot provide; running %s "
            "instead (dropped: %s; added: %s)", requested, missing_s,
            current_accel_name(), cpu->fallback.model, lost_s, added_s);
        trace_x86_cpu_fallback_chosen(requested, cpu->fallback.model,
                                      choice.lost, choice.added);
        warn_once_per_text(text);
    }
    ok = true;

out:
    for (int v = 0; versions && v < info.last_version; v++) {
        g_free(versions[v].name);
        if (versions[v].cpu) {
            object_unref(OBJECT(versions[v].cpu));
        }
    }
    return ok;
}

static void fallback_get_model(Object *obj, Visitor *v, const char *name,
                               void *opaque, Error **errp)
{
    X86CPU *cpu = X86_CPU(obj);
    char *value = cpu->fallback.model ?: (char *)"";

    visit_type_str(v, name, &value, errp);
}

static void fallback_get_vanished(Object *obj, Visitor *v, const char *name,
                                  void *opaque, Error **errp)
{
    X86CPU *cpu = X86_CPU(obj);

    /* an output visitor only reads the list */
    visit_type_strList(v, name, &cpu->fallback.vanished, errp);
}

void x86_cpu_fallback_class_init(ObjectClass *oc)
{
    object_class_property_add(oc, "x-fallback-model", "str",
                              fallback_get_model, NULL, NULL, NULL);
    object_class_property_set_description(oc, "x-fallback-model",
        "The model version x-fallback chose, empty if none was needed");
    object_class_property_add(oc, "x-vanished-features", "strList",
                              fallback_get_vanished, NULL, NULL, NULL);
    object_class_property_set_description(oc, "x-vanished-features",
        "Features of the requested CPU model this vCPU runs without");
}

void x86_cpu_fallback_finalize(Object *obj)
{
    X86CPU *cpu = X86_CPU(obj);

    g_clear_pointer(&cpu->fallback.model, g_free);
    g_clear_pointer(&cpu->fallback.vanished, qapi_free_strList);
}
