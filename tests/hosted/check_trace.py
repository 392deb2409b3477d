"""Checks that a BAREHEAP_TRACE file is well formed (port/hosted/bh_trace_format.h):
the header's magic, version and sizes; whole 32-byte records only; known
operations with their fields as the format says; every free and realloc
naming a block that an earlier record returned and that is still live; and the
end record of a program that exited normally, counting the records before it.
Usage: check_trace.py TRACE [MIN_RECORDS]. Exit 0 when sound."""
import struct
import sys

HEADER = struct.Struct("<8sIHHQQ")
RECORD = struct.Struct("<BBHIQQQ")
MALLOC, FREE, CALLOC, REALLOC, ALIGNED, END = 1, 2, 3, 4, 5, 6


def fail(message):
    print("check_trace: " + message)
    sys.exit(1)


def main():
    data = open(sys.argv[1], "rb").read()
    min_records = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    if len(data) < HEADER.size:
        fail("shorter than the header")
    magic, version, pointer_bytes, align_bytes, pid, reserved = HEADER.unpack_from(data, 0)
    if magic != b"BHTRACE1" or version != 1 or pointer_bytes != 8 or align_bytes != 16 or reserved != 0:
        fail("bad header %r" % ((magic, version, pointer_bytes, align_bytes, reserved),))
    body = len(data) - HEADER.size
    if body % RECORD.size:
        fail("%d bytes after the header: not whole records" % body)
    live = {}
    counts = {}
    threads = set()
    end_at = None
    for i in range(body // RECORD.size):
        op, align_log2, thread, reserved, size, arg, result = RECORD.unpack_from(data, HEADER.size + i * RECORD.size)
        where = "record %d (op %d)" % (i, op)
        if reserved != 0:
            fail(where + ": reserved field not 0")
        if op != ALIGNED and align_log2 != 0:
            fail(where + ": align_log2 outside an aligned call")
        counts[op] = counts.get(op, 0) + 1
        threads.add(thread)
        if op in (MALLOC, CALLOC, ALIGNED):
            if arg != 0:
                fail(where + ": an allocation with an argument pointer")
            if op == ALIGNED and result % (1 << align_log2):
                fail(where + ": result not aligned to 2^%d" % align_log2)
        elif op == FREE:
            if arg == 0 or result != 0 or size != 0:
                fail(where + ": free fields")
            if arg not in live:
                fail(where + ": free of 0x%x, which no earlier record returned (or already freed)" % arg)
            del live[arg]
        elif op == END:
            if end_at is not None:
                fail(where + ": a second end record (the first at %d)" % end_at)
            if size != i or arg != 0 or result != 0:
                fail(where + ": end record counting %d records, %d before it" % (size, i))
            end_at = i
            continue
        elif op == REALLOC:
            if arg != 0:
                if arg not in live:
                    fail(where + ": realloc of 0x%x, not live" % arg)
                if size == 0 and result != 0:
                    fail(where + ": realloc to 0 returned a block")
                if result != 0 or size == 0:
                    del live[arg]
        else:
            fail(where + ": unknown operation")
        if op != FREE and result != 0:
            if result in live:
                fail(where + ": 0x%x returned while still live" % result)
            if result % align_bytes:
                fail(where + ": result not aligned to %d" % align_bytes)
            live[result] = size
    if end_at is None:
        fail("no end record: the trace was not closed")
    total = body // RECORD.size - 1
    if total < min_records:
        fail("%d records, expected at least %d" % (total, min_records))
    names = {MALLOC: "malloc", FREE: "free", CALLOC: "calloc", REALLOC: "realloc", ALIGNED: "aligned", END: "end"}
    print("check_trace: %d records (%s), %d threads, %d blocks live at the end, pid %d" % (
        total, ", ".join("%s %d" % (names[k], v) for k, v in sorted(counts.items())), len(threads), len(live), pid))


main()
