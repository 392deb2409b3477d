# Shared by the bare-metal QEMU toolchain files (toolchain-<board>.cmake).
# Before including it, a toolchain file sets:
#   BAREHEAP_BOARD          board name (port/baremetal/CMakeLists.txt)
#   _bh_prefix              tool prefix, e.g. arm-none-eabi-
#   _bh_cpu_flags           compiler flags for the core
#   _bh_qemu                the QEMU command, as a list, up to and including -kernel
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
set(CMAKE_C_FLAGS_INIT "${_bh_cpu_flags} -ffreestanding -ffunction-sections -fdata-sections")
# C++ only for the firmware that proves C++ on newlib (examples/newlib/).
if(NOT CMAKE_CXX_COMPILER)
  set(CMAKE_CXX_COMPILER ${_bh_prefix}g++)
endif()
set(CMAKE_CXX_FLAGS_INIT "${_bh_cpu_flags} -ffunction-sections -fdata-sections")
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
