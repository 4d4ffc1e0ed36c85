#include "shard/frequency_sketch.h"

#include <algorithm>
#include <bit>

namespace corecached::shard {

namespace {

// splitmix64's finaliser: spreads a 32-bit hash over 64 bits, so the block and the four rows
// take independent-looking bits of it.
uint64_t Mix(uint32_t hash) {
  uint64_t x = hash + 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

FrequencySketch::FrequencySketch(std::size_t expected_items) {
  const std::size_t words = std::bit_ceil(std::max<std::size_t>(expected_items, 64));
  table_.assign(words, 0);
  block_mask_ = words / kWordsPerBlock - 1;
  // Caffeine's sample: ten increments per counter word before the counts halve.
  sample_size_ = words * 10;
}

FrequencySketch::Slots FrequencySketch::SlotsOf(uint32_t hash) const {
  const uint64_t h = Mix(hash);
  const std::size_t block = (static_cast<std::size_t>(h) & block_mask_) * kWordsPerBlock;
  Slots s{};
  for (std::size_t row = 0; row < 4; ++row) {
    // Row r uses word (2r or 2r+1) of the block, chosen by one bit, and one of its 16 nibbles.
    const auto bits = static_cast<unsigned>(h >> (32 + 8 * row));
    s.word[row] = block + 2 * row + (bits & 1U);
    s.shift[row] = ((bits >> 1) & 15U) * 4;
  }
  return s;
}

void FrequencySketch::Increment(uint32_t hash) {
  const Slots s = SlotsOf(hash);
  bool added = false;
  for (unsigned row = 0; row < 4; ++row) {
    uint64_t& word = table_[s.word[row]];
    if (((word >> s.shift[row]) & 15U) != 15U) {
      word += uint64_t{1} << s.shift[row];
      added = true;
    }
  }
  if (added && ++additions_ >= sample_size_) {
    Halve();
  }
}

unsigned FrequencySketch::Frequency(uint32_t hash) const {
  const Slots s = SlotsOf(hash);
  unsigned least = 15;
  for (unsigned row = 0; row < 4; ++row) {
    least = std::min(least, static_cast<unsigned>((table_[s.word[row]] >> s.shift[row]) & 15U));
  }
  return least;
}

void FrequencySketch::Halve() {
  for (uint64_t& word : table_) {
    word = (word >> 1) & 0x7777777777777777ULL;
  }
  additions_ /= 2;
}

}  // namespace corecached::shard
