# Cortex-M3, QEMU "mps2-an385". The startup code sets CCR.UNALIGN_TRP, so an
# unaligned access faults (the compiler is told not to emit any).
#
#   cmake -S . -B build/target-cortex-m3 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-cortex-m3.cmake
#   cmake --build build/target-cortex-m3 && (cd build/target-cortex-m3 && ctest)
#
# ctest runs each test firmware in QEMU (see cmake/baremetal-common.cmake).

set(BAREHEAP_BOARD mps2-an385)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(_bh_prefix "arm-none-eabi-")
set(_bh_cpu_flags "-mcpu=cortex-m3 -mthumb -mno-unaligned-access")
set(_bh_qemu qemu-system-arm;-machine;mps2-an385;-cpu;cortex-m3;-nographic;-monitor;none;-semihosting-config;enable=on,target=native;-kernel)
include("${CMAKE_CURRENT_LIST_DIR}/baremetal-common.cmake")
