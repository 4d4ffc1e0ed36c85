#include "runtime/stack_pool.h"

#include <sys/mman.h>

#include <algorithm>
#include <boost/context/protected_fixedsize_stack.hpp>
#include <vector>

namespace corecached::runtime {

namespace {
// The freed stacks of this thread, all of one size; unmapped when the thread exits. `warm` keeps
// its touched pages (the next fiber of a one-request-at-a-time client reuses them at no cost);
// `cold` ones were handed back with MADV_DONTNEED. Freeing never madvises: MADV_DONTNEED in a
// multi-threaded process flushes the TLB of every core running one of its threads (an IPI each;
// measured under memcaslap get90 -t 4: 14k madvise/s, ~12% of the server's CPU in
// smp_call_function_many_cond, TLB flushes and the page faults that refill the stacks). Trim(),
// once a second, hands back only the warm stacks no fiber needed during the whole last second, so
// a burst of connections that all went idle still leaves no RSS behind (within a second or two).
struct Pool {
  static constexpr std::size_t kWarm = 2;
  std::vector<boost::context::stack_context> warm;
  std::vector<boost::context::stack_context> cold;
  std::size_t size_bytes = 0;
  // The fewest warm stacks the pool held since the last Trim(): that many were not needed.
  std::size_t warm_low_water = 0;
  Pool() = default;
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  ~Pool() {
    for (boost::context::stack_context& stack : warm) {
      boost::context::protected_fixedsize_stack(size_bytes).deallocate(stack);
    }
    for (boost::context::stack_context& stack : cold) {
      boost::context::protected_fixedsize_stack(size_bytes).deallocate(stack);
    }
  }
};

boost::context::stack_context Pop(std::vector<boost::context::stack_context>* stacks) {
  boost::context::stack_context stack = stacks->back();
  stacks->pop_back();
  return stack;
}

Pool& ThreadPool() {
  thread_local Pool pool;
  return pool;
}
}  // namespace

boost::context::stack_context PooledStack::allocate() {
  Pool& pool = ThreadPool();
  if (pool.size_bytes == size_bytes_) {
    if (!pool.warm.empty()) {
      boost::context::stack_context stack = Pop(&pool.warm);
      pool.warm_low_water = std::min(pool.warm_low_water, pool.warm.size());
      return stack;
    }
    if (!pool.cold.empty()) {
      return Pop(&pool.cold);
    }
  }
  return boost::context::protected_fixedsize_stack(size_bytes_).allocate();
}

void PooledStack::deallocate(boost::context::stack_context& stack) noexcept {
  Pool& pool = ThreadPool();
  if (pool.warm.empty() && pool.cold.empty()) {
    pool.size_bytes = size_bytes_;
  }
  if (pool.size_bytes == size_bytes_ && pool.warm.size() + pool.cold.size() < kKeep) {
    pool.warm.push_back(stack);
    return;
  }
  boost::context::protected_fixedsize_stack(size_bytes_).deallocate(stack);
}

std::size_t PooledStack::Trim() noexcept {
  Pool& pool = ThreadPool();
  std::size_t unused = pool.warm_low_water > Pool::kWarm ? pool.warm_low_water - Pool::kWarm : 0;
  std::size_t trimmed = 0;
  for (; trimmed < unused && !pool.warm.empty(); ++trimmed) {
    boost::context::stack_context stack = Pop(&pool.warm);
    // The stack grows down from sp: [sp - size, sp) is the usable part above the guard page.
    char* top = static_cast<char*>(stack.sp);
    madvise(top - stack.size, stack.size, MADV_DONTNEED);
    pool.cold.push_back(stack);
  }
  pool.warm_low_water = pool.warm.size();
  return trimmed;
}

}  // namespace corecached::runtime
