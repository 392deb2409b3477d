# A product's toolchain file for a Cortex-M4: hosted-style flags (no
# -ffreestanding), so GCC treats memcpy & co. as builtins it may emit late.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_C_FLAGS_INIT "-mcpu=cortex-m4 -mthumb -Os")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-nostdlib -nostartfiles -Wl,--entry=reset_handler")
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
