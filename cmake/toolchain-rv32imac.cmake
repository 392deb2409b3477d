# RV32IMAC, QEMU "virt" with -bios none (console on the UART).
#
#   cmake -S . -B build/target-rv32imac -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-rv32imac.cmake
#   cmake --build build/target-rv32imac && (cd build/target-rv32imac && ctest)
#
# ctest runs each test firmware in QEMU (see cmake/baremetal-common.cmake).

set(BAREHEAP_BOARD riscv-virt)
set(CMAKE_SYSTEM_PROCESSOR riscv32)
set(_bh_prefix "riscv64-unknown-elf-")
set(_bh_cpu_flags "-march=rv32imac -mabi=ilp32 -mcmodel=medany")
set(_bh_qemu qemu-system-riscv32;-machine;virt;-bios;none;-nographic;-monitor;none;-kernel)
include("${CMAKE_CURRENT_LIST_DIR}/baremetal-common.cmake")
