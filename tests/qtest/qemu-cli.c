/*
 * Start QEMU for its command line alone: did it start, what did it say
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu-cli.h"

int qemu_cli_run(const char *args, char **err)
{
    const char *qemu = g_getenv("QTEST_QEMU_BINARY");
    g_autofree char *cmd = NULL;
    g_autofree char *out = NULL;
    g_autoptr(GError) gerr = NULL;
    const char *argv[] = { "/bin/sh", "-c", NULL, NULL };
    int status;

    g_assert(qemu);
    /* QMP on stdin: capabilities, then quit */
    cmd = g_strdup_printf("printf '%%s\n' '{\"execute\": \"qmp_capabilities\"}' "
                          "'{\"execute\": \"quit\"}' | "
                          "exec %s %s -display none -qmp stdio", qemu, args);
    argv[2] = cmd;
    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                      &out, err, &status, &gerr)) {
        g_error("cannot run %s: %s", qemu, gerr->message);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

unsigned qemu_cli_count(const char *haystack, const char *needle)
{
    unsigned n = 0;

    for (const char *p = haystack; (p = strstr(p, needle)); p++) {
        n++;
    }
    return n;
}
