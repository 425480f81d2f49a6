#!/usr/bin/env python3
"""
libvirt live-migrates fork guests between hosts

Two hosts are network namespaces on a bridge (tests/integration/netns.py),
each with its own libvirtd and virtlogd on private libvirt directories,
libvirtd listening on TCP there without authentication (a test network).
The test drives both through libvirt's Python bindings, as a manager
would, and lets libvirt do the moves:

- the payload guest on the fork's q35 goes host0 -> host1 -> host0 ->
  host1 -> host0, by managed (migrate3, this client in charge) and
  peer-to-peer (migrateToURI3, the source's libvirtd in charge) live
  migration in turn; before each move an NMI and a machine check are
  injected; after each libvirt's lifecycle events say the guest moved
  (stopped/migrated on the source, resumed/migrated on the
  destination), and it runs on its destination with every
  machine check handled once, and at the end the NMIs are as the
  architecture says (the payload does not IRET here: the first taken,
  one of the others pending);
- a destination whose vCPU lacks a feature the guest saw (mca, which its
  #MC handler uses; -global x86_64-cpu.mca=off in the destination XML)
  is refused by the fork's guard, naming the feature, and the guest
  keeps running on its source (the destination's libvirt reports
  stopped/failed, the source's never stopped);
- a guest on the upstream pc-q35-10.2 moves from a fork host to a host
  where its <emulator> is vanilla QEMU 10.2.2, and back.

Needs root (namespaces, daemons).

Copyright (c) 2026 qemu-resilient authors

SPDX-License-Identifier: GPL-2.0-or-later
"""

import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (binary_or_skip_reason, default_accel, poll,  # noqa: E402
                     run_case, wait_count)
from tap import Tap  # noqa: E402
from payload_layout import C  # noqa: E402
from libvirt_common import (Domain, Libvirt, LifecycleEvents,  # noqa: E402
                            QEMU_NS, cannot_run, define, domain_xml,
                            ensure_accounts, library_version, libvirt,
                            private_path, quiet_errors, remove_domain,
                            start_event_loop)
from netns import Ring  # noqa: E402

HOSTS = 2
SUBNET = '10.214.0'
DOMAIN = 'resilient-migrating'
UPSTREAM_DOMAIN = 'resilient-migrating-upstream'
UPSTREAM_MACHINE = 'pc-q35-10.2'
MISSING = 'mca'
HOPS = 4


class Host:
    """libvirtd and virtlogd in host @i's namespace, a connection to
    that libvirtd through its UNIX socket, and the lifecycle events it
    sends."""

    def __init__(self, ring, i):
        self.i = i
        self.addr = ring.addr(i)
        self.root = tempfile.mkdtemp(prefix=f'resilient-lvhost{i}-')
        self.proc = subprocess.Popen(
            # private propagation: the bind mounts stay in this host
            ring.prefix(i) + ['unshare', '--mount', '--propagation',
                              'private', sys.executable,
                              os.path.abspath(__file__), '--host', self.root,
                              self.addr],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        ready = self.proc.stdout.readline().strip()
        if ready != 'ready':
            self.proc.wait(30)
            raise RuntimeError(f'host{i}: libvirtd did not come up: {ready}')
        sock = private_path(self.root, '/run/libvirt/libvirt-sock')
        self.conn = libvirt.open(f'qemu+unix:///system?socket={sock}')
        self.events = LifecycleEvents(self.conn)
        self.uri = f'qemu+tcp://{self.addr}/system'

    def stop(self):
        self.events.close()
        try:
            self.conn.close()
        except libvirt.libvirtError:
            pass
        self.proc.stdin.close()         # the daemon side stops libvirtd
        self.proc.wait(60)
        shutil.rmtree(self.root, ignore_errors=True)


def host_daemon(root, addr):
    """In a host's namespace: the daemons until the test closes stdin."""
    lv = Libvirt(root, listen_addr=addr)
    try:
        print('ready', flush=True)
        sys.stdin.read()
    finally:
        lv.stop()
    return 0


def migratable_xml(dom, emulator=None, extra_args=()):
    """@dom's migratable XML, with another <emulator> or more QEMU args."""
    xml = ET.fromstring(dom.dom.XMLDesc(libvirt.VIR_DOMAIN_XML_MIGRATABLE))
    if emulator:
        xml.find('devices/emulator').text = emulator
    cmdline = xml.find(f'{{{QEMU_NS}}}commandline')
    for value in extra_args:
        ET.SubElement(cmdline, f'{{{QEMU_NS}}}arg', value=value)
    return ET.tostring(xml, encoding='unicode')


def move(dom, src, dst, peer2peer, dest_xml=None):
    """Live-migrate @dom from @src to @dst: managed or peer-to-peer.
    Returns the domain on @dst."""
    params = {libvirt.VIR_MIGRATE_PARAM_URI: f'tcp://{dst.addr}'}
    if dest_xml:
        params[libvirt.VIR_MIGRATE_PARAM_DEST_XML] = dest_xml
    flags = (libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_PERSIST_DEST |
             libvirt.VIR_MIGRATE_UNDEFINE_SOURCE)
    if peer2peer:
        dom.dom.migrateToURI3(dst.uri, params,
                              flags | libvirt.VIR_MIGRATE_PEER2PEER)
    else:
        dom.dom.migrate3(dst.conn, params, flags)
    return Domain(dst.conn, dom.name)


def kind(peer2peer):
    return 'peer-to-peer' if peer2peer else 'managed'


def moved_events(name, src, dst):
    """libvirt's word that @name moved: stopped on @src, resumed on @dst,
    both for migration."""
    return (src.events.wait(name, libvirt.VIR_DOMAIN_EVENT_STOPPED,
                            libvirt.VIR_DOMAIN_EVENT_STOPPED_MIGRATED) and
            dst.events.wait(name, libvirt.VIR_DOMAIN_EVENT_RESUMED,
                            libvirt.VIR_DOMAIN_EVENT_RESUMED_MIGRATED))


def events_seen(name, marks):
    """What libvirt said about @name since @marks ({host: mark})."""
    return '; '.join(f'host{h.i}: {h.events.seen(name, since)}'
                     for h, since in marks.items())


def marks(*hosts):
    return {h: h.events.mark() for h in hosts}


def wait_running(dom):
    """The guest runs: its loop counter moves on."""
    start = dom.value(C.VE_OUT_LOOPS)
    return poll(lambda: dom.value(C.VE_OUT_LOOPS), lambda now: now > start,
                f'{dom.name}: loop counter')


def refused_destination(tap, dom, src, dst):
    """A destination lacking MISSING: the fork refuses, the guest stays."""
    dest_xml = migratable_xml(dom, extra_args=('-global',
                                               f'x86_64-cpu.{MISSING}=off'))
    since = marks(src, dst)
    try:
        move(dom, src, dst, peer2peer=False, dest_xml=dest_xml)
        error = ''
    except libvirt.libvirtError as e:
        error = str(e)
    failed_there = dst.events.wait(dom.name, libvirt.VIR_DOMAIN_EVENT_STOPPED,
                                   libvirt.VIR_DOMAIN_EVENT_STOPPED_FAILED)
    # libvirt reports the destination's failure generically; what the
    # fork said is in that QEMU's log on the destination host
    log = private_path(dst.root, f'/var/log/libvirt/qemu/{dom.name}.log')
    with open(log) as f:
        said = [line for line in f if 'does not provide' in line]
    tap.ok(f'managed migration to a host whose vCPU lacks {MISSING}: '
           'refused by the fork, the feature named',
           error and said and
           f'CPU features this vCPU does not provide: {MISSING} ' in said[-1],
           f'libvirt: {error or "the migration succeeded"}; '
           f'destination QEMU: {said[-1:] or "nothing"}')
    tap.note(f'destination QEMU said: {said[-1].strip()[-300:]}' if said
             else 'destination QEMU said nothing')
    stopped_here = src.events.saw(dom.name, libvirt.VIR_DOMAIN_EVENT_STOPPED,
                                  since[src])
    tap.ok('the guest keeps running on its source, counters intact; '
           'libvirt reports it failed on the destination, never stopped on '
           'the source',
           dom.state() == 'running' and wait_running(dom) and
           dom.value(C.VE_OUT_MC_HANDLED) ==
           dom.exception_count(C.VECTOR_MC) and
           failed_there and not stopped_here,
           f'{dom.state()} on host{src.i}; '
           f'events: {events_seen(dom.name, since)}')


def around(tap, hosts, fork, virt, accel, workdir):
    src = hosts[0]
    dom = Domain(src.conn, DOMAIN)
    define(src.conn, domain_xml(workdir, DOMAIN, 'q35', fork, virt, accel))
    try:
        dom.dom.create()
        wait_running(dom)
        for hop in range(1, HOPS + 1):
            dst = hosts[hop % HOSTS]
            peer2peer = hop % 2 == 0
            dom.qmp('inject-nmi')
            dom.inject_mce(hop)
            if hop == HOPS // 2:
                refused_destination(tap, dom, src, dst)
            since = marks(src, dst)
            dom = move(dom, src, dst, peer2peer)
            events = moved_events(dom.name, src, dst)
            wait_running(dom)
            mcs = dom.exception_count(C.VECTOR_MC)
            handled = dom.value(C.VE_OUT_MC_HANDLED)
            tap.ok(f'move {hop} ({kind(peer2peer)}): host{src.i} -> '
                   f'host{dst.i}, libvirt reports it migrated, the guest '
                   f'runs there with its {hop} machine checks, each '
                   'handled once',
                   events and dom.state() == 'running' and mcs == hop and
                   handled == hop and not src.conn.listDomainsID(),
                   f'{dom.state()}, #MC taken {mcs}, handled {handled}, '
                   f'left on the source: {src.conn.listDomainsID()}; '
                   f'events: {events_seen(dom.name, since)}')
            src = dst
        taken = wait_count(dom, C.VECTOR_NMI, 1)
        pending = dom.qmp('x-query-vcpu-events')[0]['nmi']['pending']
        tap.ok(f'{HOPS} NMIs injected: the first taken, one of the others '
               'pending (the payload does not IRET)',
               taken == 1 and pending,
               f'taken {taken}, pending {pending}')
    finally:
        for h in hosts:
            remove_domain(h.conn, DOMAIN)


def upstream_across_builds(tap, hosts, fork, virt, accel, workdir):
    """pc-q35-10.2 means one ABI: fork host -> vanilla host -> fork host."""
    vanilla, why = binary_or_skip_reason('vanilla')
    if not vanilla:
        tap.skip(f'{UPSTREAM_MACHINE}: fork host -> vanilla host and back',
                 why)
        return
    dom = Domain(hosts[0].conn, UPSTREAM_DOMAIN)
    define(hosts[0].conn, domain_xml(workdir, UPSTREAM_DOMAIN,
                                     UPSTREAM_MACHINE, fork, virt, accel))
    try:
        dom.dom.create()
        wait_running(dom)
        dom.inject_mce(1)
        for n, (src, dst, emulator, peer2peer) in enumerate(
                ((hosts[0], hosts[1], vanilla, False),
                 (hosts[1], hosts[0], fork, True)), start=2):
            since = marks(src, dst)
            dom = move(dom, src, dst, peer2peer,
                       dest_xml=migratable_xml(dom, emulator=emulator))
            events = moved_events(dom.name, src, dst)
            wait_running(dom)
            live = ET.fromstring(dom.dom.XMLDesc(0))
            handled = dom.inject_mce(n, hmp=emulator == vanilla)
            name = 'vanilla 10.2.2' if emulator == vanilla else 'the fork'
            tap.ok(f'{UPSTREAM_MACHINE} ({kind(peer2peer)}): host{src.i} -> '
                   f'host{dst.i}, where it runs on {name}, with its machine '
                   'checks, and handles one more',
                   events and live.findtext('devices/emulator') == emulator
                   and handled == n and dom.state() == 'running',
                   f'emulator {live.findtext("devices/emulator")}, '
                   f'handled {handled}, {dom.state()}; '
                   f'events: {events_seen(dom.name, since)}')
    finally:
        for h in hosts:
            remove_domain(h.conn, UPSTREAM_DOMAIN)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == '--host':
        return host_daemon(sys.argv[2], sys.argv[3])
    tap = Tap()
    why = cannot_run('network namespaces and libvirtd',
                     ('libvirtd', 'virtlogd', 'ip'),
                     'libvirt-daemon libvirt-daemon-driver-qemu iproute2')
    if why:
        tap.skip('libvirt migrates fork guests between hosts', why)
        return tap.done()
    fork, _ = binary_or_skip_reason('fork')
    os.environ['PATH'] += ':/usr/sbin:/sbin'
    ensure_accounts()
    quiet_errors()
    accel = default_accel()
    virt = 'kvm' if accel == 'kvm' else 'qemu'
    tap.note(f'accelerator: {accel}')
    start_event_loop()
    ring = Ring(HOSTS, SUBNET)
    hosts = []
    workdir = tempfile.mkdtemp(prefix='resilient-lvmig-')
    try:
        hosts = [Host(ring, i) for i in range(HOSTS)]
        tap.note(f'{library_version(hosts[0].conn)} on {HOSTS} hosts: '
                 + ', '.join(h.uri for h in hosts))
        run_case(tap, 'around the hosts', around, hosts, fork, virt, accel,
                 workdir)
        run_case(tap, f'{UPSTREAM_MACHINE} across builds',
                 upstream_across_builds, hosts, fork, virt, accel, workdir)
    finally:
        for h in hosts:
            h.stop()
        ring.remove()
        shutil.rmtree(workdir, ignore_errors=True)
    return tap.done()


if __name__ == '__main__':
    sys.exit(main())
