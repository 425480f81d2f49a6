"""
Hosts for the integration tests: network namespaces on a bridge

Copyright (c) 2026 qemu-resilient authors

SPDX-License-Identifier: GPL-2.0-or-later
"""

import os
import subprocess


def sh(*argv):
    subprocess.run(argv, check=True, capture_output=True)


class Ring:
    """@hosts network namespaces on a bridge in a namespace of its own,
    host i at @subnet.(i + 1)."""

    def __init__(self, hosts, subnet):
        tag = f'rsl{os.getpid()}'
        self.subnet = subnet
        self.bridge_ns = f'{tag}-br'
        self.hosts = [f'{tag}-h{i}' for i in range(hosts)]
        self.made = []
        sh('ip', 'netns', 'add', self.bridge_ns)
        self.made.append(self.bridge_ns)
        sh('ip', '-n', self.bridge_ns, 'link', 'add', 'br0', 'type', 'bridge')
        sh('ip', '-n', self.bridge_ns, 'link', 'set', 'br0', 'up')
        for i, ns in enumerate(self.hosts):
            sh('ip', 'netns', 'add', ns)
            self.made.append(ns)
            sh('ip', '-n', ns, 'link', 'add', 'eth0', 'type', 'veth',
               'peer', 'name', f'port{i}', 'netns', self.bridge_ns)
            sh('ip', '-n', self.bridge_ns, 'link', 'set', f'port{i}',
               'master', 'br0', 'up')
            sh('ip', '-n', ns, 'addr', 'add', f'{self.addr(i)}/24', 'dev',
               'eth0')
            sh('ip', '-n', ns, 'link', 'set', 'eth0', 'up')
            sh('ip', '-n', ns, 'link', 'set', 'lo', 'up')

    def addr(self, i):
        return f'{self.subnet}.{i + 1}'

    def prefix(self, i):
        return ['ip', 'netns', 'exec', self.hosts[i]]

    def remove(self):
        for ns in self.made:
            subprocess.run(['ip', 'netns', 'del', ns], capture_output=True)
