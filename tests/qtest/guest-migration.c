/*
 * Moving a payload's VM between QEMU processes, on upstream's migration
 * test helpers (tests/qtest/migration/)
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qobject/qdict.h"
#include "migration/migration-qmp.h"
#include "migration/migration-util.h"
#include "guest-migration.h"

void guest_migration_enable_events(QTestState *qts)
{
    migrate_set_capability(qts, "events", true);
}

/*
 * Upstream's waiters assert the outcome they wait for; the fork's tests
 * look at a migration that may end either way.
 */
char *guest_migration_wait_end(QTestState *qts)
{
    for (;;) {
        QDict *ev = qtest_qmp_eventwait_ref(qts, "MIGRATION");
        const char *status = qdict_get_str(qdict_get_qdict(ev, "data"),
                                           "status");
        char *ret = NULL;

        if (!strcmp(status, "completed") || !strcmp(status, "failed")) {
            ret = g_strdup(status);
        }
        qobject_unref(ev);
        if (ret) {
            return ret;
        }
    }
}

char *guest_migration_query_str(QTestState *qts, const char *key)
{
    QDict *ret = migrate_query(qts);
    char *value = g_strdup(qdict_get_try_str(ret, key));

    qobject_unref(ret);
    return value;
}

void guest_migration_incoming(QTestState *dst, const char *uri)
{
    migrate_incoming_qmp(dst, uri, NULL, "{'exit-on-error': false}");
}

char *guest_migration_incoming_tcp_uri(QTestState *dst)
{
    return migrate_get_connect_uri(dst);
}
