#pragma once

#include <boost/lockfree/spsc_queue.hpp>
#include <cstddef>

#include "shard/message.h"

namespace corecached::shard {

// Channel is the bounded lock-free queue from one network thread to the shard another network
// thread hosts (boost::lockfree::spsc_queue: wait-free push/pop, fixed capacity, no allocation
// after construction): one per ordered thread pair. It carries Message pointers, requests and the
// replies to the consumer's own requests alike.
//
// Producer: one network thread. Consumer: its shard thread (the network thread that owns that
// shard). The wake-up protocol (runtime::RemoteWake) lives in Shard, which owns its channels.
class Channel {
 public:
  explicit Channel(std::size_t capacity) : queue_(capacity) {}

  // Producer side. False when full: the caller sheds a request (kBusy) or retries a reply next
  // turn, never blocks.
  bool Push(Message* message) { return queue_.push(message); }
  // Consumer side. nullptr when empty.
  Message* Pop() {
    Message* message = nullptr;
    return queue_.pop(message) ? message : nullptr;
  }
  // Consumer side: how many messages wait. Approximate from any other thread.
  [[nodiscard]] std::size_t Depth() const { return queue_.read_available(); }

 private:
  boost::lockfree::spsc_queue<Message*> queue_;
};

}  // namespace corecached::shard
