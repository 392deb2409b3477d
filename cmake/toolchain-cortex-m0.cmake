# Cortex-M0 (ARMv6-M: every unaligned access faults), QEMU "microbit": 16 KiB RAM.
#
#   cmake -S . -B build/target-cortex-m0 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-cortex-m0.cmake
#   cmake --build build/target-cortex-m0 && (cd build/target-cortex-m0 && ctest)
#
# ctest runs each test firmware in QEMU (see cmake/baremetal-common.cmake).

set(BAREHEAP_BOARD microbit)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(_bh_prefix "arm-none-eabi-")
set(_bh_cpu_flags "-mcpu=cortex-m0 -mthumb")
set(_bh_qemu qemu-system-arm;-machine;microbit;-cpu;cortex-m0;-nographic;-monitor;none;-semihosting-config;enable=on,target=native;-kernel)
include("${CMAKE_CURRENT_LIST_DIR}/baremetal-common.cmake")
