#include "shard/channel.h"

#include <doctest/doctest.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace corecached::shard {

TEST_CASE("Channel: bounded, FIFO, refuses when full") {
  Channel channel(4);
  std::vector<Message> messages(5);
  for (int i = 0; i < 4; ++i) {
    CHECK(channel.Push(&messages[static_cast<std::size_t>(i)]));
  }
  CHECK_FALSE(channel.Push(&messages[4]));
  CHECK(channel.Depth() == 4);
  for (int i = 0; i < 4; ++i) {
    CHECK(channel.Pop() == &messages[static_cast<std::size_t>(i)]);
  }
  CHECK(channel.Pop() == nullptr);
  CHECK(channel.Depth() == 0);
}

// Plain std::threads, so TSan sees every access (Boost.Fiber is not instrumented).
TEST_CASE("Channel: one producer and one consumer thread pass every message once, in order") {
  constexpr std::size_t kCount = 200'000;
  Channel channel(64);
  std::vector<Message> messages(kCount);
  for (std::size_t i = 0; i < kCount; ++i) {
    messages[i].commands.resize(1);
    messages[i].commands[0].delta = i;
  }
  std::thread producer([&] {
    for (std::size_t i = 0; i < kCount;) {
      if (channel.Push(&messages[i])) {
        ++i;
      } else {
        std::this_thread::yield();
      }
    }
  });
  std::size_t received = 0;
  bool in_order = true;
  while (received < kCount) {
    Message* b = channel.Pop();
    if (b == nullptr) {
      std::this_thread::yield();
      continue;
    }
    in_order = in_order && b->commands[0].delta == received;
    ++received;
  }
  producer.join();
  CHECK(in_order);
  CHECK(received == kCount);
}

}  // namespace corecached::shard
