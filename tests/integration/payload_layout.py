"""
qemu-resilient: the guest payloads' mailbox, as their C headers define it

The layout of GuestPayloadMailbox (tests/qtest/guest-payload/mailbox.h)
and the payloads' slot numbers (vcpu-events.h, memory-error.h, ...) come
from payload-layout.json, which the build writes beside the payloads
(tests/qtest/guest-payload/payload-layout.c prints it), so Python never
copies an offset or a slot number out of a header.

Copyright (c) 2026 qemu-resilient authors

SPDX-License-Identifier: GPL-2.0-or-later
"""

import json
import os
import types

# realpath: meson runs the scripts through their links in build/src
TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.realpath(__file__))))
PAYLOADS = os.path.join(TOP, 'build', 'qemu', 'tests', 'qtest',
                        'guest-payload')
LAYOUT_FILE = os.path.join(PAYLOADS, 'payload-layout.json')

try:
    with open(LAYOUT_FILE, encoding='utf-8') as _f:
        _LAYOUT = json.load(_f)
except FileNotFoundError:
    raise ImportError(f'{LAYOUT_FILE} missing: build the fork first '
                      '(make)') from None

MAILBOX = _LAYOUT['mailbox_address']
_OFFSETS = _LAYOUT['offsets']
_SIZES = _LAYOUT['element_sizes']

# The headers' constants by their C names: C.VE_OUT_LOOPS, C.VECTOR_MC
C = types.SimpleNamespace(**_LAYOUT['constants'])


def field_addr(field):
    """Guest-physical address of GuestPayloadMailbox.@field."""
    return MAILBOX + _OFFSETS[field]


def _element_addr(array, index, count):
    if not 0 <= index < count:
        raise IndexError(f'{array}[{index}]: the mailbox has {count}')
    return field_addr(array) + _SIZES[array] * index


def input_addr(index):
    """Guest-physical address of inputs[@index] (uint64_t)."""
    return _element_addr('inputs', index, C.GUEST_PAYLOAD_NR_INPUTS)


def value_addr(index):
    """Guest-physical address of values[@index] (uint64_t)."""
    return _element_addr('values', index, C.GUEST_PAYLOAD_NR_VALUES)


def exception_count_addr(vector):
    """Guest-physical address of exception_count[@vector] (uint32_t)."""
    return _element_addr('exception_count', vector,
                         C.GUEST_PAYLOAD_NR_VECTORS)
