#!/usr/bin/env python3
"""Writes a flattened device tree (version 17) for QEMU's RISC-V virt board
whose memory is described in a way the RISC-V example must cope with:

  high_first   two /memory nodes, the one above 4 GiB listed first
  reg_multi    one /memory node whose reg lists two ranges, the high one first
  reserved     the RAM node, a /reserved-memory child at 0x80400000 (1 MiB,
               the node's own cells: one each) and a reservation block entry
               at 0x80600000 (64 KiB): the heap must leave both alone

Both describe the board's RAM, 0x80000000 + 128 MiB (QEMU's default -m),
plus 1 GiB at 4 GiB that is not there: a heap placed in it, or across the
hole between the two, faults. QEMU passes the tree in a1 (-dtb file); with
-bios none nothing else reads it.

Usage: make_fdt.py <case> <output file>
"""
import struct
import sys

FDT_BEGIN_NODE, FDT_END_NODE, FDT_PROP, FDT_END = 1, 2, 3, 9
RAM = (0x80000000, 128 << 20)
ABSENT = (0x100000000, 1 << 30)


def pad4(b):
    return b + b"\0" * (-len(b) % 4)


def build(root_props, nodes, reservations=()):
    strings = bytearray()
    offsets = {}

    def name_offset(name):
        if name not in offsets:
            offsets[name] = len(strings)
            strings.extend(name.encode() + b"\0")
        return offsets[name]

    def prop(name, value):
        return struct.pack(">III", FDT_PROP, len(value), name_offset(name)) + pad4(value)

    def node(name, props, children=()):
        """A node: (name, props[, children]) for each child."""
        body = struct.pack(">I", FDT_BEGIN_NODE) + pad4(name.encode() + b"\0")
        body += b"".join(prop(n, v) for n, v in props)
        body += b"".join(node(*c) for c in children)
        return body + struct.pack(">I", FDT_END_NODE)

    structure = node("", root_props, list(nodes) + [("chosen", [])]) + struct.pack(">I", FDT_END)
    reserve_map = b"".join(struct.pack(">QQ", b, n) for b, n in reservations) + struct.pack(">QQ", 0, 0)
    off_rsv = 40
    off_struct = off_rsv + len(reserve_map)
    off_strings = off_struct + len(structure)
    total = off_strings + len(strings)
    header = struct.pack(">10I", 0xD00DFEED, total, off_struct, off_strings, off_rsv, 17, 16, 0,
                         len(strings), len(structure))
    return header + reserve_map + structure + bytes(strings)


def reg(*ranges):
    """#address-cells = #size-cells = 2."""
    return b"".join(struct.pack(">QQ", base, size) for base, size in ranges)


def memory_node(*ranges):
    return ("memory@%x" % ranges[0][0], [("device_type", b"memory\0"), ("reg", reg(*ranges))])


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    case, out = sys.argv[1], sys.argv[2]
    root = [("#address-cells", struct.pack(">I", 2)), ("#size-cells", struct.pack(">I", 2)),
            ("compatible", b"riscv-virtio\0")]
    reservations = []
    if case == "high_first":
        nodes = [memory_node(ABSENT), memory_node(RAM)]
    elif case == "reg_multi":
        nodes = [memory_node(ABSENT, RAM)]
    elif case == "reserved":
        one = struct.pack(">I", 1)
        nodes = [memory_node(RAM),
                 ("reserved-memory", [("#address-cells", one), ("#size-cells", one), ("ranges", b"")],
                  [("carveout@80400000", [("reg", struct.pack(">II", 0x80400000, 1 << 20))])])]
        reservations = [(0x80600000, 64 << 10)]
    else:
        sys.exit("make_fdt.py: unknown case %r" % case)
    with open(out, "wb") as f:
        f.write(build(root, nodes, reservations))


if __name__ == "__main__":
    main()
