# bareheap_shim_renamed(<target>): <target>'s sources compiled as the hosted
# shim's are (its configuration header, C11 with extensions, malloc and
# friends not builtins), with the shim's entry points renamed
# (tests/hosted/shim_tsan_names.h) so that it sits beside another malloc:
# a sanitizer's, or the C library's for a white-box test that includes the
# shim's source.
function(bareheap_shim_renamed target)
  target_include_directories(${target} PRIVATE "${PROJECT_SOURCE_DIR}/include"
    "${PROJECT_SOURCE_DIR}/src" "${PROJECT_SOURCE_DIR}/port/hosted")
  target_compile_definitions(${target} PRIVATE "BAREHEAP_CONFIG_HEADER=\"bh_malloc_config.h\"")
  set_target_properties(${target} PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON C_EXTENSIONS ON)
  target_compile_options(${target} PRIVATE
    -include "${PROJECT_SOURCE_DIR}/tests/hosted/shim_tsan_names.h"
    -fno-builtin-malloc -fno-builtin-calloc -fno-builtin-free -fno-builtin-realloc)
endfunction()
