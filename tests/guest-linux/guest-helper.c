/*
 * guest-helper: what a test needs from a process in the Linux guests of
 * tests/guest-linux, where busybox's shell cannot do it.
 *
 *   guest-helper poison    map and touch one page, ask for early kill,
 *                          print its guest-physical address, then read it
 *                          again on every line from stdin; a SIGBUS is
 *                          reported with its code and address
 *   guest-helper poison-kernel
 *                          the same, but the kernel reads the page for it
 *                          (through /proc/self/mem: a plain kernel copy)
 *   guest-helper poison-shared
 *                          a page shared by two processes pinned to CPUs
 *                          0 and 1: print its guest-physical address; on
 *                          the first line from stdin both read it at
 *                          once; each child's SIGBUS (or clean end) and
 *                          exit status are reported
 *   guest-helper aes N     run AES-NI rounds for N seconds, printing a
 *                          progress line every second
 *
 * Lines start with "helper:" so that the test finds them among the
 * kernel's console messages.  Built static: the initramfs has no libc.
 *
 * Copyright (c) 2026 qemu-resilient authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>
#include <wmmintrin.h>

#define PAGE_SIZE_X86           4096    /* the guests are x86 */
#define PAGEMAP_PFN_MASK        ((1ULL << 55) - 1)
#define PAGEMAP_PRESENT         (1ULL << 63)

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs("helper: ", stdout);
    vprintf(fmt, ap);
    putchar('\n');
    fflush(stdout);
    va_end(ap);
}

static const char *bus_code_name(int code)
{
    switch (code) {
    case BUS_MCEERR_AR:
        return "BUS_MCEERR_AR";
    case BUS_MCEERR_AO:
        return "BUS_MCEERR_AO";
    default:
        return "other";
    }
}

/* Only async-signal-safe calls: the report is built by hand. */
static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
    char buf[96];
    int n;

    (void)sig;
    (void)uc;
    n = snprintf(buf, sizeof(buf), "helper: SIGBUS %s code=%d addr=%p\n",
                 bus_code_name(si->si_code), si->si_code, si->si_addr);
    if (write(STDOUT_FILENO, buf, n) < 0) {
        _exit(2);
    }
    _exit(si->si_code == BUS_MCEERR_AR ? 10 : 11);
}

static uint64_t page_gpa(void *addr)
{
    long psize = PAGE_SIZE_X86;
    uint64_t entry;
    int fd = open("/proc/self/pagemap", O_RDONLY);

    if (fd < 0 ||
        pread(fd, &entry, sizeof(entry),
              (uintptr_t)addr / psize * sizeof(entry)) != sizeof(entry)) {
        perror("helper: pagemap");
        exit(1);
    }
    close(fd);
    if (!(entry & PAGEMAP_PRESENT) || !(entry & PAGEMAP_PFN_MASK)) {
        say("page not present, or no PFN (not root?)");
        exit(1);
    }
    return (entry & PAGEMAP_PFN_MASK) * psize;
}

static int poison(bool by_kernel)
{
    long psize = PAGE_SIZE_X86;
    struct sigaction sa = { .sa_sigaction = on_sigbus,
                            .sa_flags = SA_SIGINFO };
    /* volatile: every read must reach the page, for the poison to hit */
    volatile uint8_t *page;
    char line[64];
    unsigned sum = 0;

    sigaction(SIGBUS, &sa, NULL);
    if (prctl(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_EARLY, 0, 0) < 0) {
        perror("helper: PR_MCE_KILL");
        return 1;
    }
    page = mmap(NULL, psize, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (page == MAP_FAILED || mlock((void *)page, psize) < 0) {
        perror("helper: mmap/mlock");
        return 1;
    }
    memset((void *)page, 0x5a, psize);
    say("page %p gpa=0x%llx pid=%d", (void *)page,
        (unsigned long long)page_gpa((void *)page), getpid());
    while (fgets(line, sizeof(line), stdin)) {
        if (by_kernel) {
            uint8_t buf[64];
            int fd = open("/proc/self/mem", O_RDONLY);

            if (fd < 0 ||
                pread(fd, buf, sizeof(buf), (uintptr_t)page) != sizeof(buf)) {
                say("kernel read failed: %s", strerror(errno));
                return 1;
            }
            close(fd);
            sum += buf[0];
        } else {
            for (long i = 0; i < psize; i += 64) {
                sum += page[i];
            }
        }
        /* If the page moved, the test poisoned the wrong one: say so. */
        say("read ok sum=%u gpa=0x%llx", sum,
            (unsigned long long)page_gpa((void *)page));
    }
    return 0;
}

/* One reader of poison_shared(): pinned, waiting for *go, then reading */
static void shared_reader(int cpu,
                          volatile uint8_t *page, /* each read reaches it */
                          volatile int *go)       /* set by the parent */
{
    cpu_set_t set;
    unsigned sum = 0;

    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) < 0) {
        perror("helper: sched_setaffinity");
        _exit(1);
    }
    /* Early kill for the readers only: the parent must live to report */
    if (prctl(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_EARLY, 0, 0) < 0) {
        perror("helper: PR_MCE_KILL");
        _exit(1);
    }
    say("reader %d on cpu %d", getpid(), sched_getcpu());
    while (!*go) {
        /* spin: both readers must be running when the read starts */
    }
    for (long i = 0; i < PAGE_SIZE_X86; i += 64) {
        sum += page[i];
    }
    say("reader %d read ok sum=%u", getpid(), sum);
    _exit(0);
}

static int poison_shared(void)
{
    struct sigaction sa = { .sa_sigaction = on_sigbus,
                            .sa_flags = SA_SIGINFO };
    volatile uint8_t *page;     /* volatile: as in poison() */
    volatile int *go;           /* volatile: the readers spin on it */
    char line[64];
    pid_t pids[2];

    sigaction(SIGBUS, &sa, NULL);
    page = mmap(NULL, PAGE_SIZE_X86, PROT_READ | PROT_WRITE,
                MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    go = mmap(NULL, PAGE_SIZE_X86, PROT_READ | PROT_WRITE,
              MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (page == MAP_FAILED || go == MAP_FAILED ||
        mlock((void *)page, PAGE_SIZE_X86) < 0) {
        perror("helper: mmap/mlock");
        return 1;
    }
    memset((void *)page, 0x5a, PAGE_SIZE_X86);
    for (int i = 0; i < 2; i++) {
        pids[i] = fork();
        if (pids[i] < 0) {
            perror("helper: fork");
            return 1;
        }
        if (!pids[i]) {
            shared_reader(i, page, go);
        }
    }
    say("page %p gpa=0x%llx pid=%d", (void *)page,
        (unsigned long long)page_gpa((void *)page), getpid());
    if (!fgets(line, sizeof(line), stdin)) {
        return 1;
    }
    *go = 1;
    for (int i = 0; i < 2; i++) {
        int status;

        if (waitpid(pids[i], &status, 0) < 0) {
            perror("helper: waitpid");
            return 1;
        }
        say("reader %d exit %d", pids[i],
            WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    }
    return 0;
}

static int aes(int seconds)
{
    __m128i block = _mm_set1_epi32(0x12345678);
    __m128i key = _mm_set1_epi32(0x0badcafe);
    time_t end = time(NULL) + seconds, next = time(NULL) + 1;
    unsigned long rounds = 0;

    while (time(NULL) < end) {
        for (int i = 0; i < 100000; i++) {
            block = _mm_aesenc_si128(block, key);
        }
        rounds += 100000;
        if (time(NULL) >= next) {
            say("aes rounds=%lu last=%08x", rounds,
                (unsigned)_mm_cvtsi128_si32(block));
            next = time(NULL) + 1;
        }
    }
    say("aes done rounds=%lu", rounds);
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 2 && !strcmp(argv[1], "poison")) {
        return poison(false);
    }
    if (argc == 2 && !strcmp(argv[1], "poison-kernel")) {
        return poison(true);
    }
    if (argc == 2 && !strcmp(argv[1], "poison-shared")) {
        return poison_shared();
    }
    if (argc == 3 && !strcmp(argv[1], "aes")) {
        return aes(atoi(argv[2]));
    }
    fprintf(stderr,
            "usage: guest-helper poison | poison-kernel | poison-shared | "
            "aes SECONDS\n");
    return 2;
}
