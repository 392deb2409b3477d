# Big-endian ARMv7-A (BE8), QEMU "virt" with a cortex-a15. The startup code sets
# SCTLR.A: an unaligned access faults.
#
#   cmake -S . -B build/target-armbe-a15 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-armbe-a15.cmake
#   cmake --build build/target-armbe-a15 && (cd build/target-armbe-a15 && ctest)
#
# ctest runs each test firmware in QEMU (see cmake/baremetal-common.cmake).

set(BAREHEAP_BOARD arm-virt)
set(CMAKE_SYSTEM_PROCESSOR armeb)
set(_bh_prefix "arm-none-eabi-")
set(_bh_cpu_flags "-mcpu=cortex-a15 -marm -mbig-endian -mno-unaligned-access")
set(_bh_qemu qemu-system-arm;-machine;virt;-cpu;cortex-a15;-nographic;-monitor;none;-semihosting-config;enable=on,target=native;-kernel)
# The unmapped MMU section under the stack (port/baremetal/arm-virt/board.c).
set(_bh_stack_guard_bytes 1048576)
include("${CMAKE_CURRENT_LIST_DIR}/baremetal-common.cmake")
