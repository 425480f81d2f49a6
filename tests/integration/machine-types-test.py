#!/usr/bin/env python3
"""
Upstream machine types mean on the fork what they mean in vanilla 10.2.2

(a) the fork knows every machine type vanilla knows, plus its own two;
    "q35", "pc" and the default point at the fork's own;
(b) with the same command line on an upstream machine type, the guest
    (the cpuid-dump payload) reads the same CPUID on both binaries, under
    each accelerator there is; on the fork's own type it reads the bits
    the fork adds, and nothing else differs;
(c) the migration stream of a guest in the same state (an AMD vCPU with a
    deferred error logged in its SMCA bank, so that the fork has SMCA
    state to send) has the same sections, subsections and fields on both
    binaries on an upstream type; on the fork's own type it has the
    fork's additions.

Copyright (c) 2026 qemu-resilient authors

SPDX-License-Identifier: GPL-2.0-or-later
"""

import difflib
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (FORK_I440FX, FORK_Q35, MC_BANK,  # noqa: E402
                     TOP, Qemu, Skip, binary_or_skip_reason, kvm_erratum,
                     kvm_usable, payload_args, poll, run_case)
from tap import Tap  # noqa: E402
from payload_layout import C, field_addr, value_addr  # noqa: E402

UPSTREAM = ['pc-q35-10.2', 'pc-i440fx-10.2', 'pc-q35-10.1']
CPUS = ['qemu64', 'EPYC-v5', 'Skylake-Server-v4', 'max']

# (leaf, subleaf): every leaf a model fills, in chunks of one payload run
LEAVES = [(0, 0), (1, 0), (2, 0), (4, 0), (4, 1), (5, 0), (6, 0), (7, 0),
          (7, 1), (0xa, 0), (0xb, 0), (0xb, 1), (0xd, 0), (0xd, 1),
          (0x14, 0), (0x1f, 0), (0x24, 0), (0x40000000, 0),
          (0x40000001, 0), (0x80000000, 0), (0x80000001, 0),
          (0x80000005, 0), (0x80000006, 0), (0x80000007, 0),
          (0x80000008, 0), (0x8000000a, 0), (0x8000001f, 0),
          (0x80000021, 0)]
REGS = {'EAX': C.CPUID_DUMP_EAX, 'EBX': C.CPUID_DUMP_EBX,
        'ECX': C.CPUID_DUMP_ECX, 'EDX': C.CPUID_DUMP_EDX}

# What the fork's own type adds to CPUID (docs/system/i386/machine-types.rst)
X87_ERRATA = {((7, 0), 'EBX'): (1 << 6) | (1 << 13)}
AMD_MCA_RECOVERY = {((0x80000007, 0), 'EBX'): (1 << 0) | (1 << 1)}

# An AMD deferred error: VAL, EN, DEFERRED, ADDRV; no UC, so no #MC
DEFERRED_STATUS = (1 << 63) | (1 << 60) | (1 << 44) | (1 << 58) | 0x9
ANALYZE = os.path.join(TOP, 'build', 'src', 'scripts',
                       'analyze-migration.py')


def binary(build):
    path, why = binary_or_skip_reason(build)
    if not path:
        raise Skip(why)
    return path


def accels():
    return ['tcg'] + (['kvm'] if kvm_usable() else [])


def machines(build):
    q = Qemu(binary(build), ['-machine', 'none'], name=build)
    try:
        return {m['name']: m for m in q.command('query-machines')}
    finally:
        q.quit()


def check_machine_lists(tap):
    fork, vanilla = machines('fork'), machines('vanilla')
    missing = sorted(set(vanilla) - set(fork))
    tap.ok('every vanilla machine type exists on the fork', not missing,
           f'missing: {missing}')
    extra = sorted(set(fork) - set(vanilla))
    tap.ok('the fork adds exactly its own two machine types',
           extra == sorted([FORK_I440FX, FORK_Q35]), f'extra: {extra}')
    for alias, target in (('q35', FORK_Q35), ('pc', FORK_I440FX)):
        got = [n for n, m in fork.items() if m.get('alias') == alias]
        tap.ok(f'"{alias}" is {target} on the fork', got == [target],
               f'expected [{target!r}], got {got}')
        want = [n for n, m in vanilla.items() if m.get('alias') == alias]
        tap.ok(f'"{alias}" is {alias == "q35" and "pc-q35" or "pc-i440fx"}'
               f'-10.2 on vanilla', want == [alias == 'q35' and 'pc-q35-10.2'
                                             or 'pc-i440fx-10.2'], f'{want}')
    default = [n for n, m in fork.items() if m.get('is-default')]
    tap.ok(f'the default machine type is {FORK_I440FX}',
           default == [FORK_I440FX], f'got {default}')
    out = subprocess.run([binary('fork'), '-machine', 'help'],
                         capture_output=True, text=True, check=True).stdout
    for name in (FORK_Q35, FORK_I440FX):
        line = [li for li in out.splitlines() if li.split()[:1] == [name]]
        tap.ok(f'{name} says what it is in -M help',
               line and 'qemu-resilient' in line[0], f'{line}')


def read_values(q, n):
    """Mailbox values 0 .. @n - 1, read in one QMP pmemsave."""
    data = q.read_phys(value_addr(0), 8 * n)
    return [int.from_bytes(data[8 * i:8 * i + 8], 'little')
            for i in range(n)]


def cpuid(build, machine, cpu, accel):
    """{((leaf, subleaf), reg): value} as the guest reads it."""
    result = {}
    for start in range(0, len(LEAVES), C.CPUID_DUMP_MAX_LEAVES):
        chunk = LEAVES[start:start + C.CPUID_DUMP_MAX_LEAVES]
        inputs = {C.CPUID_DUMP_IN_COUNT: len(chunk),
                  C.CPUID_DUMP_IN_SPIN: 1}
        for i, (leaf, sub) in enumerate(chunk):
            inputs[C.CPUID_DUMP_IN_LEAF0 + i] = leaf | sub << 32
        q = Qemu(binary(build), ['-accel', accel, '-machine', machine,
                                 '-cpu', cpu] +
                 payload_args('cpuid-dump', inputs), name=build)
        try:
            poll(lambda: q.read_u32(field_addr('checkpoint')),
                 lambda c: c == C.CPUID_DUMP_CHECKPOINT_SPINNING,
                 f'{build}: cpuid-dump done')
            values = read_values(q, C.CPUID_DUMP_OUT_PER_LEAF * len(chunk))
        finally:
            q.quit()
        for i, key in enumerate(chunk):
            for reg, slot in REGS.items():
                out = C.CPUID_DUMP_OUT_PER_LEAF * i + slot
                result[(key, reg)] = values[out] & 0xffffffff
    return result


def describe(diff):
    return '; '.join(f'CPUID[{leaf:#x},{sub}].{reg}: {a:#010x} -> {b:#010x}'
                     for ((leaf, sub), reg), (a, b) in sorted(diff.items()))


def differences(a, b):
    return {k: (a[k], b[k]) for k in a if a[k] != b[k]}


def skip_unless_cpuid_virtualized(accel):
    """A KVM that does not virtualize CPUID shows the guest the host's own
    CPUID: what QEMU sets cannot be seen there, and two builds agree
    whatever they set."""
    if accel != 'kvm':
        return
    status, evidence = kvm_erratum('cpuid-not-virtualized')
    if status == 'affected':
        raise Skip('this KVM does not virtualize CPUID (erratum '
                   'cpuid-not-virtualized: ' + '; '.join(evidence) +
                   '): the guest reads the host\'s CPUID, not QEMU\'s')


def check_cpuid_upstream(tap, machine, cpu, accel):
    skip_unless_cpuid_virtualized(accel)
    v = cpuid('vanilla', machine, cpu, accel)
    f = cpuid('fork', machine, cpu, accel)
    diff = differences(v, f)
    tap.ok(f'{machine} -cpu {cpu} ({accel}): the guest reads the same CPUID '
           f'on vanilla and the fork', not diff, describe(diff))


def check_cpuid_fork_type(tap, cpu, accel):
    skip_unless_cpuid_virtualized(accel)
    upstream = cpuid('fork', 'pc-q35-10.2', cpu, accel)
    own = cpuid('fork', FORK_Q35, cpu, accel)
    diff = differences(upstream, own)
    tap.ok(f'{FORK_Q35} -cpu {cpu} ({accel}): the x87 errata bits are set',
           all(own[k] & bits == bits for k, bits in X87_ERRATA.items()),
           '; '.join(f'CPUID[{leaf:#x},{sub}].{reg}: expected bits '
                     f'{bits:#x} set, got {own[k]:#010x} on {FORK_Q35} '
                     f'({upstream[k]:#010x} on pc-q35-10.2)'
                     for k, bits in X87_ERRATA.items()
                     for (leaf, sub), reg in [k]))
    # TCG filters SUCCOR/OVERFLOW_RECOV out unless x-amd-mca-recovery
    allowed = {**X87_ERRATA, **AMD_MCA_RECOVERY}
    stray = {k: v for k, v in diff.items()
             if k not in allowed or (v[0] ^ v[1]) & ~allowed[k]}
    tap.ok(f'{FORK_Q35} -cpu {cpu} ({accel}): nothing else differs from '
           f'pc-q35-10.2 but AMD MCA recovery', not stray, describe(stray))


def save(build, machine, path, accel):
    """An AMD guest with a deferred error in its SMCA bank, saved.

    The vendor is given: under KVM, QEMU gives a named model the host's
    vendor (host_cpu_instance_init()), and an Intel host would have no
    SMCA bank to save."""
    q = Qemu(binary(build), ['-accel', accel, '-machine', machine,
                             '-cpu', 'EPYC-v5,vendor=AuthenticAMD'] +
             payload_args(inputs={C.VE_IN_MC_BANK: MC_BANK}), name=build)
    try:
        poll(lambda: q.value(C.VE_OUT_LOOPS) & 0xffffffff, lambda n: n > 0,
             f'{build}: guest loop counter')
        out = q.hmp(f'mce 0 {MC_BANK} {DEFERRED_STATUS:#x} 0 0x5000 0')
        if out.strip():
            raise RuntimeError(f'mce: {out.strip()}')
        q.command('stop')
        q.command('migrate-set-capabilities',
                  capabilities=[{'capability': 'events', 'state': True}])
        q.command('migrate', uri=f'file:{path}')
        q.migration_end()
        status = q.command('query-migrate')['status']
        if status != 'completed':
            raise RuntimeError(f'{build}: save {status}')
    finally:
        q.quit()


def stream_layout(path):
    """Each section, subsection and field the stream's vmdesc lists."""
    out = subprocess.run([sys.executable, ANALYZE, '-f', path, '-d', 'desc'],
                         capture_output=True, text=True, check=True).stdout

    def walk(desc, prefix):
        for f in desc.get('fields', []):
            yield f'{prefix}/{f["name"]}'
            if 'struct' in f:
                yield from walk(f['struct'], f'{prefix}/{f["name"]}')
        for s in desc.get('subsections', []):
            sub = f'{prefix}/[{s["vmsd_name"]}]'
            yield sub
            yield from walk(s, sub)

    lines = []
    for s in json.loads(out)['devices']:
        name = f'{s["name"]} {s["instance_id"]} v{s["version"]}'
        lines.append(name)
        lines.extend(walk(s, name))
    return lines


def check_stream(tap, machine, accel, tmp):
    paths = {b: os.path.join(tmp, f'{b}-{machine}') for b in
             ('vanilla', 'fork')}
    for build, path in paths.items():
        save(build, machine, path, accel)
    v, f = stream_layout(paths['vanilla']), stream_layout(paths['fork'])
    diff = list(difflib.unified_diff(v, f, 'vanilla', 'fork', lineterm='',
                                     n=0))
    tap.ok(f'{machine} ({accel}): the fork sends the sections, subsections '
           f'and fields vanilla sends, and no others', not diff,
           '\n'.join(diff[:40]))


def check_stream_fork_type(tap, accel, tmp):
    up, own = (os.path.join(tmp, f'fork-{m}') for m in ('up', 'own'))
    save('fork', 'pc-q35-10.2', up, accel)
    save('fork', FORK_Q35, own, accel)
    added = sorted(set(stream_layout(own)) - set(stream_layout(up)))
    for what in ('resilient-cpuid 0 v1', 'cpu 0 v12/[cpu/x-resilient-smca]'):
        tap.ok(f'{FORK_Q35} ({accel}): the stream carries {what}',
               what in added, f'expected {what!r} among the additions to '
               f'pc-q35-10.2\'s stream, got {added}')


def main():
    tap = Tap()
    tmp = tempfile.mkdtemp(prefix='resilient-machine-types-')
    run_case(tap, 'machine type lists', check_machine_lists)
    for accel in accels():
        for machine in UPSTREAM:
            for cpu in CPUS:
                if accel == 'kvm' and cpu != 'qemu64':
                    continue    # a host's CPU runs no other model for sure
                run_case(tap, f'CPUID {machine} {cpu} {accel}',
                         check_cpuid_upstream, machine, cpu, accel)
        for cpu in CPUS if accel == 'tcg' else ['qemu64']:
            run_case(tap, f'CPUID {FORK_Q35} {cpu} {accel}',
                     check_cpuid_fork_type, cpu, accel)
        for machine in UPSTREAM[:2]:
            run_case(tap, f'stream {machine} {accel}', check_stream, machine,
                     accel, tmp)
        run_case(tap, f'stream {FORK_Q35} {accel}', check_stream_fork_type,
                 accel, tmp)
    shutil.rmtree(tmp, ignore_errors=True)
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
