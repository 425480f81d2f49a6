/*
 * Moving a payload's VM between QEMU processes: saved to a file and
 * restored, or live-migrated over loopback TCP
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef QTEST_GUEST_MIGRATION_H
#define QTEST_GUEST_MIGRATION_H

#include "libqtest.h"

/* Ask for MIGRATION events, which the helpers below wait on. */
void guest_migration_enable_events(QTestState *qts);

/* Wait for the MIGRATION event that ends a migration: its status. */
char *guest_migration_wait_end(QTestState *qts);

/* A string member of query-migrate's answer ("error-desc"), or NULL. */
char *guest_migration_query_str(QTestState *qts, const char *key);

/* migrate-incoming @uri, keeping the destination up if it fails. */
void guest_migration_incoming(QTestState *dst, const char *uri);

/* After migrate-incoming "tcp:127.0.0.1:0": the URI it listens on. */
char *guest_migration_incoming_tcp_uri(QTestState *dst);

#endif
