#!/usr/bin/env bash
# Runs a multiboot kernel (port/baremetal/x86/) in qemu-system-i386 and exits
# with the kernel's own status. The kernel exits through isa-debug-exit
# writing status + 0x20, so QEMU exits with 65 + 2 * status (always odd;
# statuses above 95 and negative ones arrive as 95);
# any other QEMU status (its own errors, 0 for a triple fault with
# -no-reboot) becomes 125.
#
# Usage: tools/qemu-x86-multiboot.sh kernel.elf [more qemu options]
set -u
kernel=$1
shift
qemu-system-i386 -display none -serial stdio -monitor none -no-reboot -m "${QEMU_MEM:-128}" \
  -device isa-debug-exit,iobase=0xf4,iosize=0x04 "$@" -kernel "$kernel"
rc=$?
if [ $((rc % 2)) -eq 1 ] && [ "$rc" -ge 65 ]; then
  exit $(((rc - 65) / 2))
fi
echo "qemu-x86-multiboot: qemu exited with $rc (not through isa-debug-exit)" >&2
exit 125
