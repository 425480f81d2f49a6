/*
 * Start QEMU for its command line alone: did it start, what did it say
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef QTEST_QEMU_CLI_H
#define QTEST_QEMU_CLI_H

/*
 * Run $QTEST_QEMU_BINARY with @args (read by /bin/sh) plus a QMP
 * monitor on stdio that quits at once, so that a
 * QEMU which starts exits 0 and one which refuses its command line exits
 * non-zero.  Returns the exit status; *@err gets what it wrote to stderr.
 */
int qemu_cli_run(const char *args, char **err);

/* How many times @needle occurs in @haystack. */
unsigned qemu_cli_count(const char *haystack, const char *needle);

#endif
