// The global operator new / delete of the executables this file is compiled into (tinyscale,
// bench/solver_bench): a per-thread cache of small blocks in front of malloc.
//
// Why: the solver builds, lowers, quantizes and describes a network for every candidate it
// costs — hundreds of thousands of small strings, vectors and graph objects per solve, freed
// again a moment later. glibc keeps only 7 freed blocks of a size per thread (its tcache), so
// most of them went through malloc's slower bins: about a third of `tinyscale solve`'s time.
// Here a block of up to kMaxCachedBlock bytes freed with its size (sized operator delete, what
// the compiler calls for objects and what std::allocator calls) is kept on its thread's list
// for its size class and handed out again by the next operator new of that class.
//
// Every block is a genuine malloc block (of the class's full size), so whatever frees it —
// an unsized operator delete, free(), another thread — is correct: a cached block is only
// ever reused, never required back. The cache holds at most kMaxCachedBytes per thread and is
// not returned when a thread exits (trivially destructible, so it stays usable while static
// objects are destroyed). Under AddressSanitizer, ThreadSanitizer or MemorySanitizer it is
// left out: their allocator must see every allocation.
//
// Aligned (std::align_val_t) and nothrow forms are the library's, which end in these or in
// aligned_alloc / free.
//
// With glibc, the heap is also not trimmed (returned to the system) until 32 MiB at its top are
// free, instead of 128 KiB: each candidate's buffers grew the heap and then gave it back, and
// the page faults to grow it again cost a tenth of a solve.
#include <cstddef>
#include <cstdlib>
#include <new>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TINYSCALE_SMALL_BLOCK_CACHE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define TINYSCALE_SMALL_BLOCK_CACHE 0
#endif
#endif
#ifndef TINYSCALE_SMALL_BLOCK_CACHE
#define TINYSCALE_SMALL_BLOCK_CACHE 1
#endif

#if TINYSCALE_SMALL_BLOCK_CACHE

namespace {

constexpr std::size_t kGranule = 16;  // size classes 16, 32, ... (malloc's alignment)
constexpr std::size_t kMaxCachedBlock = 1024;
constexpr std::size_t kClasses = kMaxCachedBlock / kGranule;
constexpr std::size_t kMaxCachedBytes = std::size_t{8} << 20;

struct FreeBlock {
  FreeBlock* next;
};

struct Cache {
  FreeBlock* head[kClasses + 1];  // by class; class 0 (size 0) is never cached
  std::size_t bytes;
};

// Zero-initialized and trivially destructible: no guard, no destructor.
thread_local Cache cache{};

// 1..kClasses for a cacheable size, else 0 or more than kClasses.
std::size_t size_class(std::size_t size) { return (size + kGranule - 1) / kGranule; }
bool cacheable(std::size_t size_class) { return size_class - 1 < kClasses; }

void* allocate(std::size_t size) {
  const std::size_t c = size_class(size);
  if (cacheable(c)) {
    Cache& k = cache;
    if (FreeBlock* block = k.head[c]) {
      k.head[c] = block->next;
      k.bytes -= c * kGranule;
      return block;
    }
    size = c * kGranule;  // the class's full size, so any block of the class fits any request
  }
  if (size == 0) size = 1;
  for (;;) {
    if (void* p = std::malloc(size)) return p;
    const std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

void release(void* p, std::size_t size) noexcept {
  if (p == nullptr) return;
  const std::size_t c = size_class(size);
  Cache& k = cache;
  if (cacheable(c) && k.bytes + c * kGranule <= kMaxCachedBytes) {
    auto* block = static_cast<FreeBlock*>(p);
    block->next = k.head[c];
    k.head[c] = block;
    k.bytes += c * kGranule;
    return;
  }
  std::free(p);
}

#ifdef __GLIBC__
constexpr int kTrimThresholdBytes = 32 << 20;
// Set while static objects are initialized, before main.
const bool trim_threshold_set = mallopt(M_TRIM_THRESHOLD, kTrimThresholdBytes) == 1;
#endif

}  // namespace

void* operator new(std::size_t size) { return allocate(size); }
void* operator new[](std::size_t size) { return allocate(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t size) noexcept { release(p, size); }
void operator delete[](void* p, std::size_t size) noexcept { release(p, size); }

#endif  // TINYSCALE_SMALL_BLOCK_CACHE
