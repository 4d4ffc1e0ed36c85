#pragma once

#include <boost/context/stack_context.hpp>
#include <cstddef>

namespace corecached::runtime {

// PooledStack is a Boost.Context StackAllocator (protected_fixedsize_stack: mmap'ed, with a guard
// page) that keeps up to kKeep freed stacks per thread for the next fiber. Since issue #10 a
// connection's fiber ends whenever the connection goes idle and a new one starts at its next
// request, so without the pool every request of a one-at-a-time client would pay an mmap, an
// mprotect and a munmap. Freed stacks stay warm (their pages touched); Trim(), called once a
// second by the owning thread, hands back the pages of the ones no fiber needed during that second
// (keeping two warm), so after a burst the pool shrinks to two stacks' touched pages (a few KiB)
// per thread within a second or two, and a steady load never pays a madvise per request.
//
// Owner: copied into each fiber it allocates for. Thread: the pool is thread_local; a stack is
// freed on the thread that allocated it (a fiber never migrates here).
class PooledStack {
 public:
  // Stacks kept per thread (warm or cold); past it a freed stack is unmapped (munmap, like
  // madvise, flushes every core's TLB). Cold ones cost address space only.
  static constexpr std::size_t kKeep = 512;

  explicit PooledStack(std::size_t size_bytes) : size_bytes_(size_bytes) {}

  // Boost.Context's StackAllocator concept names these two in lower case.
  // NOLINTNEXTLINE(readability-identifier-naming)
  boost::context::stack_context allocate();
  // NOLINTNEXTLINE(readability-identifier-naming)
  void deallocate(boost::context::stack_context& stack) noexcept;

  // The calling thread's pool: hands back (MADV_DONTNEED) the pages of the warm stacks that stayed
  // unused since the previous call, keeping two warm. Returns how many it handed back. Call it
  // periodically (a second apart) from the thread that allocates.
  static std::size_t Trim() noexcept;

 private:
  std::size_t size_bytes_;
};

}  // namespace corecached::runtime
