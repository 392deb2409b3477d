# Cortex-M4F (hard float), QEMU "mps2-an386", unaligned accesses trapped.
#
#   cmake -S . -B build/target-cortex-m4f -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-cortex-m4f.cmake
#   cmake --build build/target-cortex-m4f && (cd build/target-cortex-m4f && ctest)
#
# ctest runs each test firmware in QEMU (see cmake/baremetal-common.cmake).

set(BAREHEAP_BOARD mps2-an386)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(_bh_prefix "arm-none-eabi-")
set(_bh_cpu_flags "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -mno-unaligned-access")
set(_bh_qemu qemu-system-arm;-machine;mps2-an386;-cpu;cortex-m4;-nographic;-monitor;none;-semihosting-config;enable=on,target=native;-kernel)
include("${CMAKE_CURRENT_LIST_DIR}/baremetal-common.cmake")
