# Bare-metal Cortex-M4 build with the GNU Arm Embedded toolchain (Debian:
# gcc-arm-none-eabi, libnewlib-arm-none-eabi). For building the library only:
#
#   cmake -S . -B build/arm -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-arm-none-eabi.cmake \
#         -DBAREHEAP_BUILD_TESTS=OFF -DBAREHEAP_BUILD_EXAMPLES=OFF

set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

set(BAREHEAP_ARM_PREFIX "arm-none-eabi-" CACHE STRING "Prefix of the bare-metal ARM tools")
if(NOT CMAKE_C_COMPILER)
  set(CMAKE_C_COMPILER ${BAREHEAP_ARM_PREFIX}gcc)
endif()

set(CMAKE_C_FLAGS_INIT "-mcpu=cortex-m4 -mthumb -ffreestanding")

# No startup code or linker script here: test the compiler with a static library.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
