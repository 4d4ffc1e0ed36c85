#include "shard/cold_index.h"

#include <algorithm>
#include <cstring>

#include "core/key_hash.h"
#include "core/protocol_limits.h"

namespace corecached::shard {

static_assert(sizeof(ColdEntry) == 40, "ColdEntry grew: update the layout comment");

namespace {
constexpr std::size_t kFirstChunkEntries = 1024;
constexpr std::size_t kFirstArenaBytes = 4096;
constexpr std::size_t kMaxArenaChunks = std::size_t{1} << 20;
constexpr uint64_t kPosMask = (uint64_t{1} << 20) - 1;
}  // namespace

ColdIndex::ColdIndex()
    : slots_(std::make_unique<uint32_t[]>(kInitialSlots)), slot_count_(kInitialSlots) {
  std::fill_n(slots_.get(), slot_count_, kEmpty);
}

uint64_t ColdIndex::HashOf(std::string_view key) { return core::KeyHash::Of(key).TableBits(); }

std::string_view ColdIndex::Key(Ref ref) const {
  const uint64_t key_ref = At(ref).key_ref;
  const std::size_t chunk = (key_ref >> 20) & kPosMask;
  return {arena_[chunk].data() + (key_ref & kPosMask), (key_ref >> 40) & 0xff};
}

ColdIndex::Ref ColdIndex::Find(uint64_t hash, std::string_view key) const {
  const uint16_t tag = Tag(hash);
  const std::size_t mask = slot_count_ - 1;
  for (std::size_t i = Home(hash);; i = (i + 1) & mask) {
    const uint32_t ref = slots_[i];
    if (ref == kEmpty) {
      return kNone;
    }
    const ColdEntry& e = At(ref);
    if ((e.key_ref >> 48) == tag && e.KeySize() == key.size() && Key(ref) == key) {
      return ref;
    }
  }
}

ColdIndex::Ref ColdIndex::Insert(uint64_t hash, std::string_view key, const ColdEntry& entry) {
  if (static_cast<double>(size_ + 1) > static_cast<double>(slot_count_) * kMaxLoad) {
    Grow();
  }
  const Ref ref = NewEntry();
  if (ref == kNone) {
    return kNone;
  }
  ColdEntry& e = At(ref);
  e = entry;
  e.key_ref = StoreKey(key, Tag(hash));
  const std::size_t mask = slot_count_ - 1;
  std::size_t i = Home(hash);
  while (slots_[i] != kEmpty) {
    i = (i + 1) & mask;
  }
  slots_[i] = ref;
  ++size_;
  return ref;
}

ColdIndex::Ref ColdIndex::NewEntry() {
  if (free_ != kNone) {
    const Ref ref = free_;
    free_ = static_cast<Ref>(At(ref).cas);
    return ref;
  }
  if (chunks_.empty() || chunks_.back().size() == kEntriesPerChunk) {
    if (chunks_.size() >= (std::size_t{1} << 16) - 1) {
      return kNone;  // 2^32 - 2^16 entries: kNone stays unused
    }
    chunks_.emplace_back();
    if (chunks_.size() > 1) {
      // Only the first chunk grows by doubling (small shards); later ones are allocated whole,
      // so no freed half-size copies are left behind in the heap.
      chunks_.back().reserve(kEntriesPerChunk);
      entry_bytes_ += kEntriesPerChunk * sizeof(ColdEntry);
    }
  }
  std::vector<ColdEntry>& chunk = chunks_.back();
  if (chunk.size() == chunk.capacity()) {
    entry_bytes_ -= chunk.capacity() * sizeof(ColdEntry);
    chunk.reserve(std::min(kEntriesPerChunk, std::max(chunk.capacity() * 2, kFirstChunkEntries)));
    entry_bytes_ += chunk.capacity() * sizeof(ColdEntry);
  }
  chunk.emplace_back();
  return static_cast<Ref>(((chunks_.size() - 1) << 16) | (chunk.size() - 1));
}

uint64_t ColdIndex::StoreKey(std::string_view key, uint16_t tag) {
  if (arena_.empty() || arena_.back().size() + key.size() > kArenaChunkBytes) {
    if (arena_.size() >= kMaxArenaChunks) {
      Compact();  // unreachable below a TiB of keys
    }
    arena_.emplace_back();
    if (arena_.size() > 1) {
      arena_.back().reserve(kArenaChunkBytes);
      arena_bytes_ += kArenaChunkBytes;
    }
  }
  std::vector<char>& chunk = arena_.back();
  if (chunk.size() + key.size() > chunk.capacity()) {
    arena_bytes_ -= chunk.capacity();
    chunk.reserve(std::min(kArenaChunkBytes, std::max(chunk.capacity() * 2, kFirstArenaBytes)));
    arena_bytes_ += chunk.capacity();
  }
  const std::size_t pos = chunk.size();
  chunk.insert(chunk.end(), key.begin(), key.end());
  arena_used_ += key.size();
  return pos | (uint64_t{arena_.size() - 1} << 20) | (uint64_t{key.size()} << 40) |
         (uint64_t{tag} << 48);
}

std::size_t ColdIndex::SlotOf(Ref ref) const {
  const std::size_t mask = slot_count_ - 1;
  std::size_t i = Home(HashOf(Key(ref)));
  while (slots_[i] != ref) {
    i = (i + 1) & mask;
  }
  return i;
}

// Backward-shift deletion (linear probing): each later entry of the cluster whose home is not in
// (hole, its slot] moves into the hole, so every entry stays reachable from its home.
void ColdIndex::Erase(Ref ref) {
  const std::size_t mask = slot_count_ - 1;
  std::size_t hole = SlotOf(ref);
  for (std::size_t j = (hole + 1) & mask; slots_[j] != kEmpty; j = (j + 1) & mask) {
    const std::size_t home = Home(HashOf(Key(slots_[j])));
    const bool stays = hole < j ? (home > hole && home <= j) : (home > hole || home <= j);
    if (!stays) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole] = kEmpty;
  ColdEntry& e = At(ref);
  garbage_bytes_ += e.KeySize();
  e = ColdEntry{};
  e.cas = free_;
  free_ = ref;
  --size_;
  if (garbage_bytes_ > kArenaChunkBytes && garbage_bytes_ * 4 > arena_used_) {
    Compact();
  }
}

// Keys move to a fresh arena in entry order; entries and slots stay where they are.
void ColdIndex::Compact() {
  std::vector<std::vector<char>> old;
  old.swap(arena_);
  arena_used_ = 0;
  arena_bytes_ = 0;
  garbage_bytes_ = 0;
  for (Ref ref = First(); ref != kNone; ref = Next(ref)) {
    ColdEntry& e = At(ref);
    const std::size_t chunk = (e.key_ref >> 20) & kPosMask;
    const std::string_view key(old[chunk].data() + (e.key_ref & kPosMask), e.KeySize());
    e.key_ref = StoreKey(key, static_cast<uint16_t>(e.key_ref >> 48));
  }
  ++compactions_;
}

void ColdIndex::Grow() {
  const std::size_t count = slot_count_ * 2;
  auto slots = std::make_unique<uint32_t[]>(count);
  std::fill_n(slots.get(), count, kEmpty);
  slots_.swap(slots);
  slot_count_ = count;
  const std::size_t mask = count - 1;
  for (Ref ref = First(); ref != kNone; ref = Next(ref)) {
    std::size_t i = Home(HashOf(Key(ref)));
    while (slots_[i] != kEmpty) {
      i = (i + 1) & mask;
    }
    slots_[i] = ref;
  }
}

ColdIndex::Ref ColdIndex::Next(Ref ref) const {
  std::size_t r = ref == kNone ? 0 : std::size_t{ref} + 1;
  while ((r >> 16) < chunks_.size()) {
    const std::vector<ColdEntry>& chunk = chunks_[r >> 16];
    if ((r & 0xffff) >= chunk.size()) {
      r = ((r >> 16) + 1) << 16;
      continue;
    }
    if (chunk[r & 0xffff].KeySize() != 0) {
      return static_cast<Ref>(r);
    }
    ++r;
  }
  return kNone;
}

ColdIndex::Ref ColdIndex::ClockVictim() {
  if (size_ == 0) {
    return kNone;
  }
  // Two passes at most: the first clears every kReferenced it passes.
  for (std::size_t steps = 0; steps <= 2 * size_ + 1; ++steps) {
    Ref ref = hand_ == 0 ? First() : Next(hand_ - 1);
    if (ref == kNone) {
      ref = First();
    }
    hand_ = ref + 1;
    ColdEntry& e = At(ref);
    if (!e.Has(ColdEntry::kReferenced)) {
      return ref;
    }
    e.Unmark(ColdEntry::kReferenced);
  }
  return First();
}

std::size_t ColdIndex::MemoryBytesAfterInsert(std::size_t key_size) const {
  std::size_t more = 0;
  if (static_cast<double>(size_ + 1) > static_cast<double>(slot_count_) * kMaxLoad) {
    more += SlotBytes();
  }
  if (free_ == kNone) {
    if (chunks_.empty()) {
      more += kFirstChunkEntries * sizeof(ColdEntry);
    } else if (chunks_.back().size() == kEntriesPerChunk) {
      more += kEntriesPerChunk * sizeof(ColdEntry);
    } else if (chunks_.back().size() == chunks_.back().capacity()) {
      const std::size_t cap = chunks_.back().capacity();
      more += (std::min(kEntriesPerChunk, cap * 2) - cap) * sizeof(ColdEntry);
    }
  }
  if (arena_.empty()) {
    more += kFirstArenaBytes;
  } else if (arena_.back().size() + key_size > kArenaChunkBytes) {
    more += kArenaChunkBytes;
  } else if (arena_.back().size() + key_size > arena_.back().capacity()) {
    const std::size_t cap = arena_.back().capacity();
    more += std::min(kArenaChunkBytes, std::max(cap * 2, kFirstArenaBytes)) - cap;
  }
  return MemoryBytes() + more;
}

namespace {

// Bytes a chunked store adds when `need` more units go in: the last chunk (`size` of `cap`)
// doubles from `first` up to `chunk`; a later chunk is allocated whole (`chunk`) when the first
// is full; `waste` units may be left at the end of each full chunk (keys are not split).
std::size_t ChunkGrowth(bool empty, bool first_only, std::size_t size, std::size_t cap,
                        std::size_t need, std::size_t first, std::size_t chunk, std::size_t waste) {
  std::size_t more = 0;
  bool single = first_only;
  if (empty) {
    size = cap = 0;
    single = true;
  }
  while (need > 0) {
    if (size + std::min(need, waste + 1) > chunk || (!empty && size == chunk)) {
      need += waste;  // the rest of this chunk may stay unused
      size = 0;
      cap = chunk;
      more += chunk;
      single = false;
    }
    empty = false;
    if (size == cap && single) {
      const std::size_t grown = std::min(chunk, std::max(cap * 2, first));
      more += grown - cap;
      cap = grown;
    }
    const std::size_t take = std::min(need, cap - size);
    size += take;
    need -= take;
  }
  return more;
}

}  // namespace

std::size_t ColdIndex::MemoryBytesAfterInserts(std::size_t inserts, std::size_t key_bytes) const {
  std::size_t more = 0;
  std::size_t slots = slot_count_;
  while (static_cast<double>(size_ + inserts) > static_cast<double>(slots) * kMaxLoad) {
    more += slots * sizeof(uint32_t);
    slots *= 2;
  }
  // Entries (ignoring the free list: a bound), then key bytes.
  const bool no_chunks = chunks_.empty();
  more += sizeof(ColdEntry) * ChunkGrowth(no_chunks, chunks_.size() <= 1,
                                          no_chunks ? 0 : chunks_.back().size(),
                                          no_chunks ? 0 : chunks_.back().capacity(), inserts,
                                          kFirstChunkEntries, kEntriesPerChunk, 0);
  const bool no_arena = arena_.empty();
  more += ChunkGrowth(no_arena, arena_.size() <= 1, no_arena ? 0 : arena_.back().size(),
                      no_arena ? 0 : arena_.back().capacity(), key_bytes, kFirstArenaBytes,
                      kArenaChunkBytes, core::kMaxKeyLength);
  return std::max(MemoryBytes() + more, MemoryBytesAfterInsert(core::kMaxKeyLength));
}

}  // namespace corecached::shard
