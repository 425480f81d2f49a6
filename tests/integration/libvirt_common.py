"""
libvirt for the integration tests: private daemons and the fork's payload
domain, driven through libvirt's Python bindings (python3-libvirt)

Copyright (c) 2026 qemu-resilient authors

SPDX-License-Identifier: GPL-2.0-or-later
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid

try:
    import libvirt
    import libvirt_qemu
except ImportError:         # the tests skip, saying what to install
    libvirt = None

from harness import (MC_BANK, TIMEOUT, binary_or_skip_reason,  # noqa: E402
                     mce_args, poll)
from payload_layout import (C, PAYLOADS, exception_count_addr,  # noqa: E402
                            input_addr, value_addr)

QEMU_NS = 'http://libvirt.org/schemas/domain/qemu/1.0'
PRIVATE_DIRS = ['/etc/libvirt', '/run/libvirt', '/var/lib/libvirt',
                '/var/cache/libvirt', '/var/log/libvirt']
QEMU_CONF = '''\
# qemu-resilient's libvirt test: guests run as root, no cgroups or
# namespaces of libvirt's own (the test machine has no systemd).
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
'''
DOMAIN_XML = '''\
<domain type='{virt}' xmlns:qemu='{qemu_ns}'>
  <name>{name}</name>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='{machine}'>hvm</type>
    <loader type='rom' readonly='yes'>{payload}</loader>
  </os>
  <features>{acpi}</features>
  <cpu mode='{cpu_mode}' check='none' migratable='on'/>
  <on_reboot>destroy</on_reboot>
  <devices>
    <emulator>{emulator}</emulator>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
  <qemu:commandline>
    <qemu:arg value='-device'/>
    <qemu:arg value='loader,addr={mc_bank_input:#x},data={mc_bank},data-len=8'/>
  </qemu:commandline>
</domain>
'''


URI = 'qemu:///system'
# A host of the test network: TCP without authentication, nothing else
LIBVIRTD_TCP_CONF = '''\
listen_tls = 0
listen_tcp = 1
listen_addr = "{addr}"
auth_tcp = "none"
# Hosts of one machine: libvirt refuses to migrate to "the same host"
host_uuid = "{uuid}"
'''
STATE_NAMES = {}


def state_name(state):
    """'running', 'shut off' ...: virsh domstate's names."""
    if not STATE_NAMES:
        STATE_NAMES.update({
            libvirt.VIR_DOMAIN_NOSTATE: 'no state',
            libvirt.VIR_DOMAIN_RUNNING: 'running',
            libvirt.VIR_DOMAIN_BLOCKED: 'idle',
            libvirt.VIR_DOMAIN_PAUSED: 'paused',
            libvirt.VIR_DOMAIN_SHUTDOWN: 'in shutdown',
            libvirt.VIR_DOMAIN_SHUTOFF: 'shut off',
            libvirt.VIR_DOMAIN_CRASHED: 'crashed',
            libvirt.VIR_DOMAIN_PMSUSPENDED: 'pmsuspended'})
    return STATE_NAMES.get(state, f'state {state}')


def ensure_accounts():
    """What Debian's libvirt-daemon-system makes; libvirtd needs them."""
    for group in ('kvm', 'libvirt-qemu'):
        if subprocess.run(['getent', 'group', group],
                          capture_output=True).returncode:
            subprocess.run(['groupadd', '--system', group], check=True)
    if subprocess.run(['getent', 'passwd', 'libvirt-qemu'],
                      capture_output=True).returncode:
        subprocess.run(['useradd', '--system', '--no-create-home',
                        '--home-dir', '/var/lib/libvirt', '--shell',
                        '/usr/sbin/nologin', '-g', 'libvirt-qemu',
                        '-G', 'kvm', 'libvirt-qemu'], check=True)


def cannot_run(root_for, tools, packages):
    """Why a libvirt test cannot run here (it needs root for @root_for,
    the fork built, @tools from @packages, the bindings), or ''."""
    _, why = binary_or_skip_reason('fork')
    if not why and os.geteuid() != 0:
        why = f'{root_for} need root'
    return why or missing(tools, packages)


def missing(tools, packages):
    """What this machine lacks to run libvirt's daemons and drive them
    from Python: a sentence saying what to install, or ''."""
    for tool in tools:
        if not shutil.which(tool, path=os.environ['PATH'] +
                            ':/usr/sbin:/sbin'):
            return f'{tool} missing (apt-get install {packages})'
    if libvirt is None:
        return f'no libvirt bindings for {sys.executable} ' \
               '(apt-get install python3-libvirt)'
    return ''


def private_path(root, path):
    """Where @path of a Libvirt(@root)'s namespace is, seen from outside."""
    for d in PRIVATE_DIRS:
        if path == d or path.startswith(d + '/'):
            return os.path.join(root, d.strip('/').replace('/', '_'),
                                path[len(d):].lstrip('/'))
    raise ValueError(f'{path} is not in a private libvirt directory')


def quiet_errors():
    """libvirt's default error handler prints every error on stderr."""
    libvirt.registerErrorHandler(lambda ctx, err: None, None)


def library_version(conn):
    v = conn.getLibVersion()
    return f'libvirt {v // 1000000}.{v // 1000 % 1000}.{v % 1000}'


def define(conn, path):
    with open(path) as f:
        return conn.defineXML(f.read())


class Libvirt:
    """libvirtd and virtlogd on private copies of libvirt's directories.

    Runs in a mount namespace of its own (the caller's), so the bind
    mounts vanish with it.  With @listen_addr libvirtd also listens on TCP
    there, without authentication: a test-only host of a test network.
    @conn is a connection to it, from inside the namespace."""

    def __init__(self, root=None, listen_addr=None):
        self.root = root or tempfile.mkdtemp(prefix='resilient-libvirt-')
        for d in PRIVATE_DIRS:
            private = private_path(self.root, d)
            os.makedirs(private)
            if d == '/etc/libvirt' and os.path.isdir(d):
                shutil.copytree(d, private, dirs_exist_ok=True)
            os.makedirs(d, exist_ok=True)
            subprocess.run(['mount', '--bind', private, d], check=True)
        with open('/etc/libvirt/qemu.conf', 'w') as f:
            f.write(QEMU_CONF)
        listen = []
        if listen_addr:
            with open('/etc/libvirt/libvirtd.conf', 'w') as f:
                f.write(LIBVIRTD_TCP_CONF.format(addr=listen_addr,
                                                 uuid=uuid.uuid4()))
            listen = ['--listen']
        self.procs = []
        for daemon in ('virtlogd', 'libvirtd'):
            log = open(os.path.join(self.root, daemon + '.err'), 'w')
            self.procs.append(subprocess.Popen(
                [daemon, '-p', f'/run/libvirt/{daemon}.pid'] +
                (listen if daemon == 'libvirtd' else []),
                stdout=log, stderr=log))
        quiet_errors()
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                self.conn = libvirt.open(URI)
                break
            except libvirt.libvirtError as e:
                if time.monotonic() > deadline or \
                        any(p.poll() is not None for p in self.procs):
                    raise RuntimeError(f'libvirtd did not come up: {e}; '
                                       f'{self.log_tail()}')
                time.sleep(0.1)

    def log_tail(self):
        with open(os.path.join(self.root, 'libvirtd.err')) as f:
            return f.read()[-2000:]

    def stop(self):
        for p in reversed(self.procs):
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        shutil.rmtree(self.root, ignore_errors=True)


class MonitorError(Exception):
    pass


class Domain:
    """A domain of the private libvirtd, looked up by name each time: a
    restore makes it anew."""

    def __init__(self, conn, name):
        self.conn = conn
        self.name = name

    @property
    def dom(self):
        return self.conn.lookupByName(self.name)

    def qmp(self, cmd, **args):
        msg = {'execute': cmd}
        if args:
            msg['arguments'] = args
        reply = json.loads(libvirt_qemu.qemuMonitorCommand(
            self.dom, json.dumps(msg), 0))
        if 'error' in reply:
            raise MonitorError(f'{cmd}: {reply["error"]["desc"]}')
        return reply['return']

    def hmp(self, line):
        return libvirt_qemu.qemuMonitorCommand(
            self.dom, line, libvirt_qemu.VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP)

    def value(self, index):
        """Mailbox value @index, read by libvirt (virDomainMemoryPeek)."""
        data = self.dom.memoryPeek(value_addr(index), 8,
                                   libvirt.VIR_MEMORY_PHYSICAL)
        return int.from_bytes(data, 'little')

    def exception_count(self, vector):
        """How many exceptions @vector the guest has taken."""
        data = self.dom.memoryPeek(exception_count_addr(vector), 4,
                                   libvirt.VIR_MEMORY_PHYSICAL)
        return int.from_bytes(data, 'little')

    def state(self):
        return state_name(self.dom.state()[0])

    def wait_value(self, index, beyond):
        """Wait until mailbox value @index passes @beyond."""
        return poll(lambda: self.value(index), lambda now: now > beyond,
                    f'{self.name}: value {index}')

    def inject_mce(self, n, hmp=False):
        """Machine check @n; with HMP's mce where QEMU is vanilla."""
        if hmp:
            a = mce_args(n << 12)
            out = self.hmp(f'mce 0 {a["bank"]} {a["status"]:#x} '
                           f'{a["mcg-status"]:#x} {a["addr"]:#x} 0')
            if out.strip():
                raise MonitorError(f'mce: {out.strip()}')
        else:
            self.qmp('x-inject-mce', **mce_args(n << 12))
        return self.wait_value(C.VE_OUT_MC_HANDLED, n - 1)


_EVENT_LOOP = None


def start_event_loop():
    """libvirt's default event loop, in a thread of its own, so that the
    connections opened after this deliver domain events."""
    global _EVENT_LOOP
    if _EVENT_LOOP:
        return
    libvirt.virEventRegisterDefaultImpl()
    _EVENT_LOOP = threading.Thread(target=_run_event_loop, daemon=True,
                                   name='libvirt-events')
    _EVENT_LOOP.start()


def _run_event_loop():
    while True:
        libvirt.virEventRunDefaultImpl()


LIFECYCLE_EVENTS = ('defined', 'undefined', 'started', 'suspended',
                    'resumed', 'stopped', 'shutdown', 'pmsuspended',
                    'crashed')


class LifecycleEvents:
    """The lifecycle events libvirt sends on @conn (start_event_loop()
    first), kept until a wait takes them: what a manager watches while
    libvirt starts, moves and stops its domains."""

    def __init__(self, conn):
        self.conn = conn
        self.cond = threading.Condition()
        self.history = []
        # domain name -> where in history the next wait starts
        self.taken = {}
        self.callback = conn.domainEventRegisterAny(
            None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, self._arrived, None)

    def _arrived(self, conn, dom, event, detail, opaque):
        with self.cond:
            self.history.append((dom.name(), event, detail))
            self.cond.notify_all()

    @staticmethod
    def describe(event, detail=None):
        """'stopped/migrated': libvirt's names of @event and @detail."""
        names = [n for n in LIFECYCLE_EVENTS
                 if getattr(libvirt, f'VIR_DOMAIN_EVENT_{n.upper()}') == event]
        if not names:
            return f'event {event}'
        if detail is None:
            return names[0]
        prefix = f'VIR_DOMAIN_EVENT_{names[0].upper()}_'
        details = [n[len(prefix):].lower() for n in dir(libvirt)
                   if n.startswith(prefix) and getattr(libvirt, n) == detail]
        return f'{names[0]}/{details[0] if details else detail}'

    def wait(self, name, event, detail, timeout=TIMEOUT):
        """Wait for event (@event, @detail) of domain @name and take it,
        with the events of @name before it.  False if it never came."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                start = self.taken.get(name, 0)
                for i in range(start, len(self.history)):
                    if self.history[i] == (name, event, detail):
                        self.taken[name] = i + 1
                        return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)

    def mark(self):
        """A point in the events, for seen() and saw()."""
        with self.cond:
            return len(self.history)

    def saw(self, name, event, since=0):
        """Whether @event (any detail) of @name came after mark @since."""
        with self.cond:
            return any(dom == name and ev == event
                       for dom, ev, _ in self.history[since:])

    def seen(self, name, since=0):
        """What libvirt said about @name after mark @since, oldest first."""
        with self.cond:
            return ', '.join(self.describe(ev, det)
                             for dom, ev, det in self.history[since:]
                             if dom == name) or 'nothing'

    def close(self):
        try:
            self.conn.domainEventDeregisterAny(self.callback)
        except libvirt.libvirtError:
            pass


def remove_domain(conn, name, undefine_flags=0):
    """Stop and undefine @name, whatever state a failed test left it in."""
    try:
        dom = conn.lookupByName(name)
    except libvirt.libvirtError:
        return
    for stop in (dom.destroy, lambda: dom.undefineFlags(undefine_flags)):
        try:
            stop()
        except libvirt.libvirtError:
            pass


def domain_xml(workdir, name, machine, emulator, virt, accel, acpi=True):
    path = os.path.join(workdir, f'{name}.xml')
    with open(path, 'w') as f:
        f.write(DOMAIN_XML.format(
            virt=virt, qemu_ns=QEMU_NS, name=name,
            acpi='<acpi/>' if acpi else '',
            cpu_mode='host-passthrough' if accel == 'kvm' else 'maximum',
            machine=machine, emulator=emulator,
            payload=os.path.join(PAYLOADS, 'vcpu-events.bin'),
            mc_bank_input=input_addr(C.VE_IN_MC_BANK), mc_bank=MC_BANK))
    return path
