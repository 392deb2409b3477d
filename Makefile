# Convenience front end to the CMake build.
#
#   make demo    build and run examples/seed_demo (tree: build/), then the
#                Cortex-M example under QEMU (build/target-cortex-m3)
#   make test    the full matrix: host gcc, host clang, i386 under qemu-user,
#                a freestanding Cortex-M4 build of the core, and the unit
#                tests as firmware on seven QEMU boards (make test-targets),
#                and the Linux malloc shim under real programs (test-hosted)
#   make size    code size of the core on Cortex-M0, M4 and RV32 (-Os) and
#                the control structure per heap size (tools/size.sh)
#   make wcet    exact worst-case instructions per call on Cortex-M3 and
#                RV32 under QEMU, and the longest path through the binary
#                beside them (tools/wcet.sh, tools/wcet_bound.py)
#   make bench-malloc  the malloc shim against glibc, jemalloc, mimalloc and
#                tcmalloc (docs/bench/malloc.md; not part of make test)
#   make clean   remove build/
#
# Every target first runs tools/install-deps.sh (installs missing packages as
# root, otherwise prints the command and stops).

CMAKE ?= cmake
CTEST ?= ctest
BUILD ?= build
JOBS  ?= $(shell nproc 2>/dev/null || echo 2)

# Ninja when it is there; a tree keeps the generator it was first configured with.
NINJA_GEN := $(if $(shell command -v ninja 2>/dev/null),-G Ninja,)
gen = $(if $(wildcard $(1)/CMakeCache.txt),,$(NINJA_GEN))

# Optimised with assertions kept (no -DNDEBUG), debug info for failures.
OPT_FLAGS := -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -g"

# Per-tree configure arguments; override on the command line to try variants,
# e.g. make test GCC_ARGS='-DBAREHEAP_CONFIG_DEFINES=BAREHEAP_DEBUG=3'.
# An override replaces the default, sanitizers included. CMake keeps both
# settings in a tree's cache: TREE_RESET, given before them, puts a tree
# back to its defaults on the next run without the override, instead of
# testing the variant again under the default's name (the model stress's
# operation count too, which a tree configured before it was derived keeps
# cached).
TREE_RESET := -DBAREHEAP_CONFIG_DEFINES= -DBAREHEAP_SANITIZE= -DBAREHEAP_MODEL_OPS=
GCC_ARGS   ?= -DBAREHEAP_SANITIZE=address,undefined
CLANG_ARGS ?= -DBAREHEAP_SANITIZE=address,undefined
M32_ARGS   ?= -DBAREHEAP_CONFIG_DEFINES=BAREHEAP_BRANCHLESS_LISTS=1
ARM_ARGS   ?=

CTEST_ARGS := --output-on-failure --no-tests=error -j $(JOBS)

# Bare-metal boards whose firmware ctest runs under qemu-system-*: one tree
# each, build/target-<board>, from cmake/toolchain-<board>.cmake.
TARGET_BOARDS ?= cortex-m0 cortex-m3 cortex-m4f rv32imac rv64imac armbe-a15 x86-multiboot
TARGET_ARGS   ?=

.PHONY: all deps demo test test-gcc test-clang test-m32 test-variants test-tsan build-arm clean \
	test-valgrind test-hosted lint coverage fuzz \
	test-targets $(addprefix test-target-,$(TARGET_BOARDS)) demo-cortex-m

all: test

deps:
	@bash tools/install-deps.sh

demo: deps
	$(CMAKE) -S . -B $(BUILD) $(call gen,$(BUILD)) -DBAREHEAP_BUILD_TESTS=OFF
	$(CMAKE) --build $(BUILD) --target seed_demo
	$(abspath $(BUILD))/examples/seed_demo
	$(MAKE) --no-print-directory demo-cortex-m

# The Cortex-M example (examples/cortex-m/) as firmware on QEMU's mps2-an385.
demo-cortex-m:
	$(CMAKE) -S . -B $(BUILD)/target-cortex-m3 $(call gen,$(BUILD)/target-cortex-m3) \
		-DCMAKE_TOOLCHAIN_FILE=$(CURDIR)/cmake/toolchain-cortex-m3.cmake $(OPT_FLAGS) $(TREE_RESET)
	$(CMAKE) --build $(BUILD)/target-cortex-m3 --target cortex_m_demo
	qemu-system-arm -machine mps2-an385 -cpu cortex-m3 -nographic -monitor none \
		-semihosting-config enable=on,target=native \
		-kernel $(BUILD)/target-cortex-m3/examples/cortex_m_demo.elf 2>&1

test: deps
	$(MAKE) --no-print-directory test-gcc
	$(MAKE) --no-print-directory test-clang
	$(MAKE) --no-print-directory test-m32
	$(MAKE) --no-print-directory test-variants
	$(MAKE) --no-print-directory build-arm
	$(MAKE) --no-print-directory test-targets
	$(MAKE) --no-print-directory wcet
	$(MAKE) --no-print-directory test-valgrind
	$(MAKE) --no-print-directory test-hosted
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory coverage
	@echo "make test: gcc, clang, m32 (qemu-i386), config variants, arm-none-eabi, the QEMU boards and the Linux malloc shim all passed"

# (a) host 64-bit, gcc, with AddressSanitizer and UBSan (the unsanitised gcc
#     build is tested by test-variants and test-m32)
test-gcc:
	$(CMAKE) -S . -B $(BUILD)/gcc $(call gen,$(BUILD)/gcc) -DCMAKE_C_COMPILER=gcc \
		$(OPT_FLAGS) -DBAREHEAP_WERROR=ON -DBAREHEAP_BUILD_TESTS=ON $(TREE_RESET) $(GCC_ARGS)
	$(CMAKE) --build $(BUILD)/gcc
	cd $(BUILD)/gcc && $(CTEST) $(CTEST_ARGS)

# (b) host 64-bit, clang, with AddressSanitizer and UBSan
test-clang:
	$(CMAKE) -S . -B $(BUILD)/clang $(call gen,$(BUILD)/clang) -DCMAKE_C_COMPILER=clang \
		$(OPT_FLAGS) -DBAREHEAP_WERROR=ON -DBAREHEAP_BUILD_TESTS=ON $(TREE_RESET) $(CLANG_ARGS)
	$(CMAKE) --build $(BUILD)/clang
	cd $(BUILD)/clang && $(CTEST) $(CTEST_ARGS)

# (c) 32-bit x86, gcc -m32, tests run under qemu-i386, with the branchless
#     free lists (x86-64's default) at 32 bits; the 32-bit default, with
#     the branches, runs on the QEMU boards. M32_ARGS with its own
#     BAREHEAP_CONFIG_DEFINES replaces them: list BAREHEAP_BRANCHLESS_LISTS=1
#     there to keep them.
test-m32:
	$(CMAKE) -S . -B $(BUILD)/m32 $(call gen,$(BUILD)/m32) \
		-DCMAKE_TOOLCHAIN_FILE=$(CURDIR)/cmake/toolchain-i386-qemu.cmake \
		$(OPT_FLAGS) -DBAREHEAP_WERROR=ON -DBAREHEAP_BUILD_TESTS=ON $(TREE_RESET) $(M32_ARGS)
	$(CMAKE) --build $(BUILD)/m32
	cd $(BUILD)/m32 && $(CTEST) $(CTEST_ARGS)

# (e) the same tests under other configurations, at the edges of each option's
#     range, in C11: full checking with portable bit scans, the fewest
#     classes and the close fit, under AddressSanitizer and UBSan (the
#     checking code's own arithmetic on damaged words included); no checking
#     with the most classes, a wide grain, a single region and the free
#     lists with branches (the default of every target but x86-64).
VARIANT1 := BAREHEAP_DEBUG=3;BAREHEAP_SL_LOG2=2;BAREHEAP_USE_BUILTINS=0;BAREHEAP_PROBE_LIMIT=1;BAREHEAP_CLOSE_FIT=1
VARIANT2 := BAREHEAP_DEBUG=0;BAREHEAP_SL_LOG2=5;BAREHEAP_ALIGN_BYTES=32;BAREHEAP_MAX_REGIONS=1;BAREHEAP_PROBE_LIMIT=64;BAREHEAP_BRANCHLESS_LISTS=0
# The unit tests only (the model runs at an 8-byte grain in every tree): the
# narrowest grain on 64-bit, where every word may begin a block, under
# poisoning, and the most regions.
VARIANT3 := BAREHEAP_ALIGN_BYTES=8;BAREHEAP_DEBUG=2;BAREHEAP_MAX_REGIONS=64
VARIANT3_TESTS := test_api test_defects test_layout test_stress test_corruption test_oom test_lock test_misuse \
	test_lock_port
# The same unit tests at the widest grain, a page, where their heaps and
# requests grow with the grain (BT_GRAIN_SCALED) to tens of MiB: at the
# default checking, for under poisoning, which checks every byte handed out
# and every free byte at each bh_check(), they take over a minute.
VARIANT4 := BAREHEAP_ALIGN_BYTES=4096
# $(call unit_variant,tree,defines): VARIANT3_TESTS alone, gcc, ASan, UBSan.
define unit_variant
$(CMAKE) -S . -B $(BUILD)/$(1) $(call gen,$(BUILD)/$(1)) -DCMAKE_C_COMPILER=gcc \
	$(OPT_FLAGS) -DBAREHEAP_WERROR=ON -DBAREHEAP_BUILD_TESTS=ON -DBAREHEAP_BUILD_EXAMPLES=OFF \
	-DBAREHEAP_SANITIZE=address,undefined "-DBAREHEAP_CONFIG_DEFINES=$(2)"
$(CMAKE) --build $(BUILD)/$(1) --target $(VARIANT3_TESTS)
cd $(BUILD)/$(1) && $(CTEST) $(CTEST_ARGS) -R '^($(subst $() ,|,$(VARIANT3_TESTS)))$$'
endef
test-variants:
	$(CMAKE) -S . -B $(BUILD)/variant1 $(call gen,$(BUILD)/variant1) -DCMAKE_C_COMPILER=gcc \
		$(OPT_FLAGS) -DCMAKE_C_STANDARD=11 -DBAREHEAP_WERROR=ON -DBAREHEAP_BUILD_TESTS=ON \
		-DBAREHEAP_SANITIZE=address,undefined "-DBAREHEAP_CONFIG_DEFINES=$(VARIANT1)"
	$(CMAKE) --build $(BUILD)/variant1
	cd $(BUILD)/variant1 && $(CTEST) $(CTEST_ARGS)
	$(CMAKE) -S . -B $(BUILD)/variant2 $(call gen,$(BUILD)/variant2) -DCMAKE_C_COMPILER=clang \
		$(OPT_FLAGS) -DCMAKE_C_STANDARD=11 -DBAREHEAP_WERROR=ON -DBAREHEAP_BUILD_TESTS=ON \
		"-DBAREHEAP_CONFIG_DEFINES=$(VARIANT2)"
	$(CMAKE) --build $(BUILD)/variant2
	cd $(BUILD)/variant2 && $(CTEST) $(CTEST_ARGS)
	$(call unit_variant,variant3,$(VARIANT3))
	$(call unit_variant,variant4,$(VARIANT4))
	$(MAKE) --no-print-directory test-tsan

# (f) ThreadSanitizer on threads that share heaps: two on one heap through
#     the C11 spinlock port (test_lock, C11 for <stdatomic.h>), and four on
#     the hosted shim's arenas, thread caches and remote frees, with and
#     without the cache (test_shim_tsan). A lock or a list whose ordering is
#     missing lets the heap's words race, which TSan reports and fails on
#     (checked with the release of bh_spin_lock_exit, of the shim's lock and
#     of its remote-free push made relaxed).
test-tsan:
	$(CMAKE) -S . -B $(BUILD)/tsan $(call gen,$(BUILD)/tsan) -DCMAKE_C_COMPILER=clang \
		$(OPT_FLAGS) -DCMAKE_C_STANDARD=11 -DBAREHEAP_WERROR=ON -DBAREHEAP_BUILD_TESTS=ON \
		-DBAREHEAP_BUILD_EXAMPLES=OFF -DBAREHEAP_SANITIZE=thread
	$(CMAKE) --build $(BUILD)/tsan --target test_lock test_shim_tsan
	cd $(BUILD)/tsan && $(CTEST) $(CTEST_ARGS) -R '^(test_lock|test_shim_tsan|test_shim_tsan_nocache)$$'

# (d) Cortex-M4, freestanding: the core library, bareheap_libc, and a link of
#     both with no C library (see bareheap_freestanding_check in CMakeLists.txt)
build-arm:
	$(CMAKE) -S . -B $(BUILD)/arm $(call gen,$(BUILD)/arm) \
		-DCMAKE_TOOLCHAIN_FILE=$(CURDIR)/cmake/toolchain-arm-none-eabi.cmake \
		-DCMAKE_BUILD_TYPE=MinSizeRel -DBAREHEAP_WERROR=ON \
		-DBAREHEAP_BUILD_TESTS=OFF -DBAREHEAP_BUILD_EXAMPLES=OFF $(TREE_RESET) $(ARM_ARGS)
	$(CMAKE) --build $(BUILD)/arm
	@arm-none-eabi-size $(BUILD)/arm/libbareheap.a

# (f) the unit tests as bare-metal firmware under QEMU: Cortex-M0 (microbit),
#     M3 (mps2-an385), M4F (mps2-an386), RV32IMAC and RV64IMAC (virt),
#     big-endian ARMv7-A (virt), a 32-bit x86 multiboot kernel
#     (qemu-system-i386); see tests/target/targets.cmake
test-targets: $(addprefix test-target-,$(TARGET_BOARDS))

$(addprefix test-target-,$(TARGET_BOARDS)): test-target-%:
	$(CMAKE) -S . -B $(BUILD)/target-$* $(call gen,$(BUILD)/target-$*) \
		-DCMAKE_TOOLCHAIN_FILE=$(CURDIR)/cmake/toolchain-$*.cmake \
		$(OPT_FLAGS) -DBAREHEAP_WERROR=ON -DBAREHEAP_BUILD_TESTS=ON $(TREE_RESET) $(TARGET_ARGS)
	$(CMAKE) --build $(BUILD)/target-$*
	cd $(BUILD)/target-$* && $(CTEST) $(CTEST_ARGS)

# (f) the host suite under Valgrind memcheck: any error or leak fails a test
#     (the model stress runs fewer operations there)
VALGRIND_CMD := valgrind;--error-exitcode=99;--leak-check=full;--errors-for-leak-kinds=definite,indirect;--show-leak-kinds=definite,indirect;-q
test-valgrind:
	$(CMAKE) -S . -B $(BUILD)/valgrind $(call gen,$(BUILD)/valgrind) -DCMAKE_C_COMPILER=gcc \
		$(OPT_FLAGS) -DBAREHEAP_WERROR=ON -DBAREHEAP_BUILD_TESTS=ON \
		"-DBAREHEAP_TEST_LAUNCHER=$(VALGRIND_CMD)" -DBAREHEAP_MODEL_OPS=100000 \
		-DBAREHEAP_CONFIG_DEFINES=BAREHEAP_SL_LOG2=4
	$(CMAKE) --build $(BUILD)/valgrind
	cd $(BUILD)/valgrind && $(CTEST) $(CTEST_ARGS)

# (i) the drop-in malloc for Linux (port/hosted/): its API against the static
#     library; python3, sqlite3, gcc and a two-thread stress under LD_PRELOAD,
#     compared byte for byte with the same runs under glibc; a BAREHEAP_TRACE
#     file checked record by record (tests/hosted/)
test-hosted:
	$(CMAKE) -S . -B $(BUILD)/hosted $(call gen,$(BUILD)/hosted) -DCMAKE_C_COMPILER=gcc \
		$(OPT_FLAGS) -DBAREHEAP_WERROR=ON -DBAREHEAP_BUILD_TESTS=OFF -DBAREHEAP_BUILD_EXAMPLES=OFF \
		-DBAREHEAP_BUILD_TOOLS=OFF -DBAREHEAP_BUILD_HOSTED=ON -DBAREHEAP_HOSTED_TESTS=ON
	$(CMAKE) --build $(BUILD)/hosted
	cd $(BUILD)/hosted && $(CTEST) $(CTEST_ARGS)

# (g) clang-tidy and cppcheck on src/, zero findings (tools/lint.sh)
lint:
	@bash tools/lint.sh

# (h) line and branch coverage of src/ by the host suite, thresholds enforced
#     (tools/coverage.sh; report in build/coverage/html)
coverage:
	@bash tools/coverage.sh $(BUILD)/coverage

# libFuzzer on the model interpreter for FUZZ_SECONDS (the bounded run is part
# of test-clang). New inputs stay in $(BUILD)/fuzz/corpus; crashes are written
# to $(BUILD)/fuzz as crash-*.
FUZZ_SECONDS ?= 600
fuzz:
	$(CMAKE) -S . -B $(BUILD)/fuzz $(call gen,$(BUILD)/fuzz) -DCMAKE_C_COMPILER=clang \
		$(OPT_FLAGS) -DBAREHEAP_WERROR=ON -DBAREHEAP_BUILD_TESTS=ON -DBAREHEAP_BUILD_EXAMPLES=OFF \
		-DBAREHEAP_SANITIZE=address,undefined
	$(CMAKE) --build $(BUILD)/fuzz --target fuzz_model
	mkdir -p $(BUILD)/fuzz/corpus
	cd $(BUILD)/fuzz && ./tests/fuzz_model -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
		-print_final_stats=1 corpus $(CURDIR)/tests/fuzz/corpus

# Code size at -Os per API subset on Cortex-M0, Cortex-M4 and RV32, and
# bh_control_size() for 16 KiB, 64 KiB and 1 MiB heaps. SIZE_REV=HEAD measures
# a commit's sources instead of the working tree.
.PHONY: size
size: deps
	@bash tools/size.sh $(BUILD)/size

# Exact instructions per call of alloc, free, realloc and aligned alloc on
# Cortex-M3 and RV32IMAC at -O2 and -Os, counted in QEMU's instruction trace
# over random and pathological sequences, beside the longest path through
# the binary (tools/wcet.sh, about a minute). Part of make test for its
# checks: each built worst call takes the path it was built for, and no call
# exceeds its path bound; the figures themselves fail nothing.
# WCET_CASES=1 also prints every case.
.PHONY: wcet
wcet: deps
	@bash tools/wcet.sh $(BUILD)/wcet

clean:
	rm -rf $(BUILD)

# Benchmarks: bareheap against glibc, jemalloc, mimalloc and tcmalloc (time,
# callgrind instructions, latency), fragmentation on 64- and 32-bit (qemu-i386)
# and as Cortex-M4 firmware (QEMU mps2-an386), and the SL_LOG2 / PROBE_LIMIT
# trade-off with each configuration's Cortex-M3 and RV32 worst cases
# (tools/wcet.sh). Writes docs/bench/results.md and PNG plots; prints figures, never
# fails on them. Binaries go to $(BUILD)/bench.
#   make bench BENCH_ARGS=--quick        fewer repetitions
#   make bench BENCH_ARGS='--rev HEAD'   the committed sources, not the working tree
#   make bench BENCH_ARGS='--only frag'  the fragmentation runs alone (docs/ untouched)
BENCH_ARGS ?=
.PHONY: bench
bench:
	@bash tools/install-bench-deps.sh
	python3 bench/run_bench.py $(BENCH_ARGS)

# The hosted malloc shim (port/hosted/) against glibc, jemalloc, mimalloc and
# tcmalloc on programs of the shapes of mimalloc-bench's (bench/malloc/), 1
# and 2 threads: median time and peak RSS, ratios to glibc, geometric means.
# Writes docs/bench/malloc.md; a few minutes; not part of make test.
#   make bench-malloc BENCH_MALLOC_ARGS='--runs 1 --programs cfrac,larson'
BENCH_MALLOC_ARGS ?=
.PHONY: bench-malloc
bench-malloc:
	@bash tools/install-bench-deps.sh
	$(CMAKE) -S . -B $(BUILD)/bench-malloc $(call gen,$(BUILD)/bench-malloc) -DCMAKE_C_COMPILER=gcc \
		$(OPT_FLAGS) -DBAREHEAP_BUILD_TESTS=OFF -DBAREHEAP_BUILD_EXAMPLES=OFF \
		-DBAREHEAP_BUILD_TOOLS=OFF -DBAREHEAP_BUILD_HOSTED=ON
	$(CMAKE) --build $(BUILD)/bench-malloc --target bareheap_malloc_shared
	python3 bench/malloc/run.py --shim $(BUILD)/bench-malloc/port/hosted/libbareheap-malloc.so \
		--build $(BUILD)/bench-malloc $(BENCH_MALLOC_ARGS)
