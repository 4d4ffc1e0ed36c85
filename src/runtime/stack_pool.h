#pragma once

#include <boost/context/stack_context.hpp>
#include <cstddef>

namespace corecached::runtime {

// PooledStack is a Boost.Context StackAllocator (protected_fixedsize_stack: mmap'ed, with a guard
// page) that keeps up to kKeep freed stacks per thread for the next fiber. Since issue #10 a
// connection's fiber ends whenever the connection goes idle and a new one starts at its next
// request, so without the pool every request of a one-at-a-time client would pay an mmap, an
// mprotect and a munmap. Two kept stacks per thread stay warm; the others are kept with their
// pages handed back (MADV_DONTNEED), so the pool costs two stacks' touched pages (a few KiB) per
// thread, whatever burst came before.
//
// Owner: copied into each fiber it allocates for. Thread: the pool is thread_local; a stack is
// freed on the thread that allocated it (a fiber never migrates here).
class PooledStack {
 public:
  static constexpr std::size_t kKeep = 64;

  explicit PooledStack(std::size_t size_bytes) : size_bytes_(size_bytes) {}

  // Boost.Context's StackAllocator concept names these two in lower case.
  // NOLINTNEXTLINE(readability-identifier-naming)
  boost::context::stack_context allocate();
  // NOLINTNEXTLINE(readability-identifier-naming)
  void deallocate(boost::context::stack_context& stack) noexcept;

 private:
  std::size_t size_bytes_;
};

}  // namespace corecached::runtime
