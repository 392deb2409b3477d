/*
 * C++ on bareheap through newlib (port/newlib/), as firmware for QEMU's
 * mps2-an385 / mps2-an386, linked with newlib and libstdc++: operator
 * new and delete (plain, array, nothrow and over-aligned), std::vector,
 * std::string and std::unique_ptr all take their memory from bareheap's
 * default heap, [__heap_start, __heap_end) of the linker script, and a
 * request the heap cannot serve throws std::bad_alloc. A static object's
 * constructor, and <iostream>'s set-up of std::cout, run before main(). (The full newlib and
 * libstdc++, not nano.specs: libstdc++_nano is built without exceptions, and
 * its operator new aborts where this one throws.)
 *
 * Proves it: every pointer lies inside that region, bareheap's statistics
 * count each allocation and free, and the heap checks clean at the end.
 * Prints "c++: ok" on success.
 */
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "bareheap.h"

extern "C" {
#include "board.h"
extern unsigned char __heap_start[], __heap_end[];
}

namespace {

int g_failures;

void check(bool ok, const char *what)
{
    if (!ok) {
        std::printf("c++: FAILED: %s\n", what);
        g_failures++;
    }
}

bool in_heap(const void *p)
{
    std::uintptr_t a = reinterpret_cast<std::uintptr_t>(p);
    return a >= reinterpret_cast<std::uintptr_t>(__heap_start) &&
           a < reinterpret_cast<std::uintptr_t>(__heap_end);
}

bh_stats stats()
{
    bh_stats s;
    std::memset(&s, 0, sizeof s);
    heap_get_stats(&s);
    return s;
}

struct alignas(64) dma_descriptor {
    std::uint32_t words[16];
};

struct counted {
    static int alive;
    int value;
    explicit counted(int v) : value(v) { alive++; }
    ~counted() { alive--; }
};
int counted::alive = 0;

// Constructed by the startup code (.init_array) before main(), with
// libstdc++'s own static objects: their constructors must run there too.
struct constructed_early {
    int *value;
    constructed_early() : value(new int(7)) {}
};
constructed_early g_early;

} // namespace

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
#if defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__)
    // The board's startup makes unaligned accesses fault, to prove that
    // bareheap makes none; Debian's prebuilt newlib and libstdc++ make some
    // (printf, the unwinder), which ARMv7-M allows.
    *reinterpret_cast<volatile std::uint32_t *>(0xE000ED14u) &= ~(1u << 3); // CCR.UNALIGN_TRP
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    // printf allocates stdout's buffer: the heap is set up by then.
    std::printf("C++ on bareheap through newlib\n");
    std::fflush(stdout);
    std::cout << "std::cout through newlib's stdio" << std::endl;
    check(g_early.value != nullptr && in_heap(g_early.value) && *g_early.value == 7,
          "static constructor");
    bh_stats before = stats();

    int *one = new int(42);
    char *array = new char[1000];
    check(in_heap(one) && *one == 42, "new int");
    check(in_heap(array), "new char[]");
    bh_stats s = stats();
    check(s.alloc_count == before.alloc_count + 2u && s.live_blocks == before.live_blocks + 2u,
          "new is not counted by bareheap");
    delete one;
    delete[] array;
    s = stats();
    check(s.live_blocks == before.live_blocks, "delete did not return the blocks");

    // Over-aligned new (C++17) reaches bareheap's aligned allocation.
    dma_descriptor *desc = new dma_descriptor();
    check(in_heap(desc) && (reinterpret_cast<std::uintptr_t>(desc) & 63u) == 0u, "aligned new");
    delete desc;

    {
        std::vector<std::uint32_t> v;
        for (std::uint32_t i = 0; i < 20000u; i++)
            v.push_back(i * 3u);
        check(in_heap(v.data()), "std::vector storage");
        bool intact = true;
        for (std::uint32_t i = 0; i < 20000u; i++)
            intact = intact && v[i] == i * 3u;
        check(intact, "std::vector contents after growth");

        std::string text(300, 'x');
        text += " and more";
        check(in_heap(text.data()) && text.size() == 309u, "std::string");

        std::vector<std::unique_ptr<counted>> owners;
        for (int i = 0; i < 100; i++)
            owners.push_back(std::make_unique<counted>(i));
        check(counted::alive == 100 && in_heap(owners.back().get()), "std::unique_ptr");
        s = stats();
        check(s.peak_used_bytes >= 20000u * sizeof(std::uint32_t), "peak does not show the vector");
    }
    check(counted::alive == 0, "destructors");
    s = stats();
    check(s.live_blocks == before.live_blocks, "the containers leaked blocks");

    // Failure: nothrow new gives nullptr, plain new throws std::bad_alloc.
    std::size_t huge = static_cast<std::size_t>(reinterpret_cast<std::uintptr_t>(__heap_end) -
                                                reinterpret_cast<std::uintptr_t>(__heap_start)) *
                       2u;
    char *none = new (std::nothrow) char[huge];
    check(none == nullptr, "nothrow new of more than the heap");
    bool thrown = false;
    try {
        char *never = new char[huge];
        delete[] never;
    } catch (const std::bad_alloc &) {
        thrown = true;
    }
    check(thrown, "new of more than the heap did not throw std::bad_alloc");

    s = stats();
    check(s.live_blocks == before.live_blocks, "a failed new left a block behind");
    check(heap_check() == 0u, "heap_check");
    std::printf("heap %p..%p: %lu allocations, %lu frees, peak %lu bytes\n",
                static_cast<void *>(__heap_start), static_cast<void *>(__heap_end),
                static_cast<unsigned long>(s.alloc_count), static_cast<unsigned long>(s.free_count),
                static_cast<unsigned long>(s.peak_used_bytes));
    std::printf(g_failures == 0 ? "c++: ok\n" : "c++: FAILED\n");
    std::fflush(stdout);
    return g_failures == 0 ? 0 : 1;
}
