# Shared by the bare-metal QEMU toolchain files (toolchain-<board>.cmake).
# Before including it, a toolchain file sets:
#   BAREHEAP_BOARD          board name (port/baremetal/CMakeLists.txt)
#   _bh_prefix              tool prefix, e.g. arm-none-eabi-
#   _bh_cpu_flags           compiler flags for the core
#   _bh_qemu                the QEMU command, as a list, up to and including -kernel
#   _bh_stack_guard_bytes   optional: the no-access guard under the board's stack
#                           (default 1024, that of the Cortex-M and RISC-V boards)
#
# Everything is built freestanding; ctest runs each firmware through
# CMAKE_CROSSCOMPILING_EMULATOR, that is, QEMU with the .elf after -kernel.

set(CMAKE_SYSTEM_NAME Generic)

if(NOT CMAKE_C_COMPILER)
  set(CMAKE_C_COMPILER ${_bh_prefix}gcc)
endif()
if(NOT CMAKE_ASM_COMPILER)
  set(CMAKE_ASM_COMPILER ${_bh_prefix}gcc)
endif()
# A function whose frame is larger than the guard under the stack could step
# over it: its stores would land below the guard, unseen. Bounded by the guard,
# consecutive frames' first stores are never a guard apart, so a stack that
# overflows writes into the guard and faults. A larger frame is a warning (an
# error under BAREHEAP_WERROR), as is one of unbounded size (alloca, VLA).
if(NOT DEFINED _bh_stack_guard_bytes)
  set(_bh_stack_guard_bytes 1024)
endif()
set(_bh_frame_flags "-Wstack-usage=${_bh_stack_guard_bytes}")
set(CMAKE_C_FLAGS_INIT "${_bh_cpu_flags} -ffreestanding -ffunction-sections -fdata-sections ${_bh_frame_flags}")
# C++ only for the firmware that proves C++ on newlib (examples/newlib/).
if(NOT CMAKE_CXX_COMPILER)
  set(CMAKE_CXX_COMPILER ${_bh_prefix}g++)
endif()
set(CMAKE_CXX_FLAGS_INIT "${_bh_cpu_flags} -ffunction-sections -fdata-sections ${_bh_frame_flags}")
set(CMAKE_ASM_FLAGS_INIT "${_bh_cpu_flags}")
# Firmware runs from RAM on the virt boards: one RWX segment is expected.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,--no-warn-rwx-segments")

# No startup code until the project provides it: test the compiler with a
# static library.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

if(NOT DEFINED CMAKE_CROSSCOMPILING_EMULATOR)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${_bh_qemu})
endif()

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
