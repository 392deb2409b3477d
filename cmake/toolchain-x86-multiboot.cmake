# 32-bit x86 multiboot kernel, QEMU "qemu-system-i386 -kernel" (console on
# COM1, exit through isa-debug-exit; see port/baremetal/x86/).
#
#   cmake -S . -B build/target-x86-multiboot -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-x86-multiboot.cmake
#   cmake --build build/target-x86-multiboot && (cd build/target-x86-multiboot && ctest)
#
# The host gcc with -m32 (Debian gcc-multilib for its 32-bit libgcc). ctest
# runs each kernel through tools/qemu-x86-multiboot.sh, which maps QEMU's
# always-odd isa-debug-exit status back to the kernel's.

set(BAREHEAP_BOARD x86-multiboot)
set(CMAKE_SYSTEM_PROCESSOR i686)
set(_bh_prefix "")
# No SSE: the kernel does not enable it (CR4.OSFXSR), x87 only.
set(_bh_cpu_flags "-m32 -march=i686 -mno-sse -mno-mmx -fno-pic -fno-pie -fno-stack-protector -fno-asynchronous-unwind-tables")
set(_bh_qemu "${CMAKE_CURRENT_LIST_DIR}/../tools/qemu-x86-multiboot.sh")
# The 64 KiB of unmapped pages under the stack (port/baremetal/x86/board.c).
set(_bh_stack_guard_bytes 65536)
include("${CMAKE_CURRENT_LIST_DIR}/baremetal-common.cmake")
string(APPEND CMAKE_EXE_LINKER_FLAGS_INIT " -static -no-pie -Wl,--build-id=none")
