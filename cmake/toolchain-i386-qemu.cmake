# 32-bit x86 Linux build with the host gcc (-m32, from gcc-multilib), whose test
# programs ctest runs under qemu-user: the kernel need not run i386 binaries.
#
#   cmake -S . -B build/m32 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-i386-qemu.cmake
#
# Libraries come from Debian's i386 multiarch packages (dpkg --add-architecture
# i386; apt-get install libcmocka-dev:i386), under /usr/lib/i386-linux-gnu.

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR i686)

if(NOT CMAKE_C_COMPILER)
  set(CMAKE_C_COMPILER gcc)
endif()
set(CMAKE_C_FLAGS_INIT "-m32")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-m32")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-m32")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "-m32")

# Search /usr/lib/i386-linux-gnu (libraries, CMake package configs) rather than
# the 64-bit x86_64-linux-gnu ones.
set(CMAKE_LIBRARY_ARCHITECTURE i386-linux-gnu)
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/i386-linux-gnu/pkgconfig:/usr/share/pkgconfig")

# ctest (and try_run) start the 32-bit programs through qemu-user. Pass
# -DCMAKE_CROSSCOMPILING_EMULATOR= (empty) to run them directly on a kernel with
# IA32 emulation.
if(NOT DEFINED CMAKE_CROSSCOMPILING_EMULATOR)
  set(CMAKE_CROSSCOMPILING_EMULATOR qemu-i386;-L;/)
endif()
