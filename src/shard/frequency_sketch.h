#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace corecached::shard {

// FrequencySketch: how often each key was used lately, approximately, in 4 bits per counter
// (TinyLFU: Einziger, Friedman and Manes, "TinyLFU: A Highly Efficient Cache Admission Policy",
// 2017; the layout is Caffeine's FrequencySketch). A count-min sketch of depth 4: a key's four
// counters sit in one 64-byte block (one cache line per key), its frequency is the smallest of
// them, counters saturate at 15, and every SampleSize() increments all counters are halved, so old
// popularity fades: a key saturated at 15 ranks below a newly popular one within two samples. The
// cold tier asks it whether a cold item is used more often than the hot item its promotion would
// push out (Store::AdmitCold).
//
// Written here, not taken from a library: neither Boost nor Debian packages a count-min sketch
// for C++ (Caffeine is Java; the C++ ports are unpackaged single-author repositories), and this is
// 80 lines.
//
// Owner: a ColdTier. Thread: owning shard. Memory: fixed at construction (MemoryBytes()).
class FrequencySketch {
 public:
  // Sized for about `expected_items` distinct hot keys (rounded up to a power of two, at least
  // 64): 8 bytes per expected item.
  explicit FrequencySketch(std::size_t expected_items);

  // Counts one use of the key whose hash is `hash` (any well-mixed hash; the Store uses the low
  // 32 bits of KeyHash::TableBits, which hot items keep as Item::hash_low).
  void Increment(uint32_t hash);
  // The key's estimated uses since about SampleSize() increments ago, 0..15. Never below the
  // true count since the last halving (halved with it), may be above it (collisions).
  [[nodiscard]] unsigned Frequency(uint32_t hash) const;

  [[nodiscard]] std::size_t SampleSize() const { return sample_size_; }
  // Caffeine halves after 10 increments per cached item; the Store sets it from its hot item
  // count (at least 10 per word of a block), so popularity fades as fast as the cache turns
  // over, whatever the sketch's width. Defaults to 10 per counter word.
  void SetSampleSize(std::size_t increments) {
    sample_size_ = std::max<std::size_t>(increments, kWordsPerBlock * 10);
  }
  [[nodiscard]] std::size_t MemoryBytes() const { return table_.size() * sizeof(uint64_t); }

 private:
  static constexpr std::size_t kWordsPerBlock = 8;  // 64 bytes

  // The four (word, nibble) positions of a hash: one word of the block per row.
  struct Slots {
    std::size_t word[4];
    unsigned shift[4];
  };
  [[nodiscard]] Slots SlotsOf(uint32_t hash) const;
  void Halve();

  std::vector<uint64_t> table_;  // 16 counters of 4 bits per word
  std::size_t block_mask_ = 0;   // blocks - 1
  std::size_t sample_size_ = 0;
  std::size_t additions_ = 0;
};

}  // namespace corecached::shard
