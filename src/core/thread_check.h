#pragma once

#include <cassert>
#include <thread>

namespace corecached::core {

// ThreadChecker records the thread that first calls Bind() (or constructs it) and, in debug builds,
// asserts that every later Check() runs on that thread (dragonfly's EngineShard::IsMyThread()).
// Thread: Bind from the owner; Check from anywhere (that is what it checks).
class ThreadChecker {
 public:
  ThreadChecker() : owner_(std::this_thread::get_id()) {}
  void Bind() { owner_ = std::this_thread::get_id(); }
  void Check() const { assert(owner_ == std::this_thread::get_id()); }

 private:
  std::thread::id owner_;
};

}  // namespace corecached::core
