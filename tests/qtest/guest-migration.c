/*
 * Moving a payload's VM between QEMU processes
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "guest-migration.h"

void guest_migration_enable_events(QTestState *qts)
{
    qtest_qmp_assert_success(qts, "{'execute': 'migrate-set-capabilities',"
                             " 'arguments': {'capabilities': [{"
                             " 'capability': 'events', 'state': true}]}}");
}

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
    QDict *rsp = qtest_qmp(qts, "{'execute': 'query-migrate'}");
    QDict *ret = qdict_get_qdict(rsp, "return");
    char *value = g_strdup(qdict_get_try_str(ret, key));

    qobject_unref(rsp);
    return value;
}

void guest_migration_incoming(QTestState *dst, const char *uri)
{
    qtest_qmp_assert_success(dst, "{'execute': 'migrate-incoming',"
                             " 'arguments': {'uri': %s,"
                             " 'exit-on-error': false}}", uri);
}

char *guest_migration_incoming_tcp_uri(QTestState *dst)
{
    QDict *rsp = qtest_qmp(dst, "{'execute': 'query-migrate'}");
    QList *addrs = qdict_get_qlist(qdict_get_qdict(rsp, "return"),
                                   "socket-address");
    QDict *addr = qobject_to(QDict, qlist_peek(addrs));
    char *uri = g_strdup_printf("tcp:127.0.0.1:%s",
                                qdict_get_str(addr, "port"));

    qobject_unref(rsp);
    return uri;
}
