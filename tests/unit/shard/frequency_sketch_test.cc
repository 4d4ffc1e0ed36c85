#include "shard/frequency_sketch.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>

#include "core/key_hash.h"

namespace corecached::shard {
namespace {

uint32_t HashOf(const std::string& key) {
  return static_cast<uint32_t>(core::KeyHash::Of(key).TableBits());
}

TEST_CASE("FrequencySketch: sized to a power of two, at least one block") {
  CHECK(FrequencySketch(0).MemoryBytes() == 64 * 8);
  CHECK(FrequencySketch(1000).MemoryBytes() == 1024 * 8);
  CHECK(FrequencySketch(1024).MemoryBytes() == 1024 * 8);
  CHECK(FrequencySketch(1024).SampleSize() == 10240);
}

TEST_CASE("FrequencySketch: counts uses, saturates at 15") {
  FrequencySketch sketch(4096);
  const uint32_t h = HashOf("key:1");
  CHECK(sketch.Frequency(h) == 0);
  for (unsigned i = 1; i <= 15; ++i) {
    sketch.Increment(h);
    CHECK(sketch.Frequency(h) == i);
  }
  sketch.Increment(h);
  sketch.Increment(h);
  CHECK(sketch.Frequency(h) == 15);
}

// A count-min sketch never counts below the truth; with a table as large as the key set, few
// keys are counted above it, and only by a little.
TEST_CASE("FrequencySketch: estimates are at least the count and mostly exact") {
  FrequencySketch sketch(4096);
  constexpr int kKeys = 1000;
  for (int k = 0; k < kKeys; ++k) {
    for (int i = 0; i < k % 8; ++i) {
      sketch.Increment(HashOf("key:" + std::to_string(k)));
    }
  }
  int exact = 0;
  for (int k = 0; k < kKeys; ++k) {
    const unsigned f = sketch.Frequency(HashOf("key:" + std::to_string(k)));
    CHECK(f >= static_cast<unsigned>(k % 8));
    exact += f == static_cast<unsigned>(k % 8) ? 1 : 0;
  }
  CHECK(exact >= kKeys * 95 / 100);
}

// Popularity fades: after SampleSize() increments every counter is halved, so a key used often
// long ago ranks below a key used a little recently.
TEST_CASE("FrequencySketch: counts halve every sample") {
  FrequencySketch sketch(4096);
  const uint32_t old_hot = HashOf("old-hot");
  const uint32_t recent = HashOf("recent");
  for (int i = 0; i < 14; ++i) {
    sketch.Increment(old_hot);
  }
  CHECK(sketch.Frequency(old_hot) == 14);
  // Other keys, each used once, enough to cross the sample twice.
  for (std::size_t i = 0; i < 2 * sketch.SampleSize(); ++i) {
    sketch.Increment(HashOf("filler:" + std::to_string(i)));
  }
  for (int i = 0; i < 6; ++i) {
    sketch.Increment(recent);
  }
  CHECK(sketch.Frequency(old_hot) <= 14 / 2);  // halved twice; the fillers' collisions add a little
  CHECK(sketch.Frequency(recent) >= 6);
  CHECK(sketch.Frequency(recent) > sketch.Frequency(old_hot));
}

// The Store ties the sample to its hot item count: a smaller sample halves sooner, never below
// ten increments per word of a block.
TEST_CASE("FrequencySketch: SetSampleSize moves the halving") {
  FrequencySketch sketch(4096);
  sketch.SetSampleSize(1);
  CHECK(sketch.SampleSize() == 80);
  sketch.SetSampleSize(1000);
  CHECK(sketch.SampleSize() == 1000);
  const uint32_t h = HashOf("saturated");
  for (int i = 0; i < 20; ++i) {
    sketch.Increment(h);
  }
  CHECK(sketch.Frequency(h) == 15);
  for (int i = 0; i < 1000; ++i) {  // one sample of other keys: halved once
    sketch.Increment(HashOf("other:" + std::to_string(i)));
  }
  CHECK(sketch.Frequency(h) >= 7);
  CHECK(sketch.Frequency(h) <= 8);
}

}  // namespace
}  // namespace corecached::shard
