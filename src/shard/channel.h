#pragma once

#include <boost/lockfree/spsc_queue.hpp>
#include <cstddef>

#include "shard/batch.h"

namespace corecached::shard {

// Channel is the bounded lock-free queue from one network thread to one shard
// (boost::lockfree::spsc_queue: wait-free push/pop, fixed capacity, no allocation after
// construction). It carries Batch pointers; the Batch stays owned by its Router.
//
// Producer: one network thread. Consumer: its shard thread. The wake-up protocol (the shard's
// "sleeping" flag and eventfd) lives in Shard, which owns its channels.
class Channel {
 public:
  explicit Channel(std::size_t capacity) : queue_(capacity) {}

  // Producer side. False when full: the caller sheds the batch (kBusy), never blocks.
  bool Push(Batch* batch) { return queue_.push(batch); }
  // Consumer side. nullptr when empty.
  Batch* Pop() {
    Batch* batch = nullptr;
    return queue_.pop(batch) ? batch : nullptr;
  }
  // Consumer side: how many batches wait. Approximate from any other thread.
  [[nodiscard]] std::size_t Depth() const { return queue_.read_available(); }

 private:
  boost::lockfree::spsc_queue<Batch*> queue_;
};

}  // namespace corecached::shard
