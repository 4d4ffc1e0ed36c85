#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

namespace corecached::core {

// SizeClasses: memcached's slab classes, computed as memcached 1.6.18's slabs_init computes them
// (slabs.c): the first chunk is the 48-byte item header + chunk_size (-n, 48), each next one is
// the previous times the growth factor (-f, 1.25) rounded up to 8 bytes, until the next would pass
// slab_chunk_max / factor; the last class is slab_chunk_max itself (half of a 1 MiB page). With
// the defaults that is 39 classes, 96 .. 524288 bytes, exactly what `memcached -vv` prints.
//
// corecached has no slab allocator: the shards only count their items by the class memcached would
// put them in, so that `stats items`, `stats slabs`, `stats cachedump <class>` and
// `lru_crawler metadump <class>` mean what operators expect (man/corecached.8 "STATISTICS").
//
// Thread: any (immutable after construction).
class SizeClasses {
 public:
  static constexpr std::size_t kMaxClasses = 63;  // memcached's MAX_NUMBER_OF_SLAB_CLASSES - 1
  static constexpr uint32_t kItemHeaderBytes = 48;
  static constexpr uint32_t kChunkAlignBytes = 8;
  static constexpr uint32_t kPageBytes = 1024 * 1024;  // memcached's slab_page_size
  static constexpr uint32_t kChunkMaxBytes = kPageBytes / 2;
  // memcached's item size for a key and value: header 48 + CAS 8 + key + NUL + value + "\r\n",
  // and 4 more bytes when the client flags are not 0 (items.c item_make_header, ITEM_CFLAGS).
  static constexpr std::size_t kItemOverheadBytes = 59;
  static constexpr std::size_t kClientFlagsBytes = 4;

  explicit SizeClasses(double factor = 1.25, uint32_t chunk_size = 48) {
    uint32_t size = kItemHeaderBytes + chunk_size;
    while (count_ < kMaxClasses - 1 && static_cast<double>(size) < kChunkMaxBytes / factor) {
      if (size % kChunkAlignBytes != 0) {
        size += kChunkAlignBytes - size % kChunkAlignBytes;
      }
      sizes_[count_++] = size;
      size =
          static_cast<uint32_t>(static_cast<double>(size) * factor);  // memcached: size *= factor
    }
    sizes_[count_++] = kChunkMaxBytes;
  }

  // Classes are numbered 1..Count(), as memcached numbers them.
  [[nodiscard]] std::size_t Count() const { return count_; }
  [[nodiscard]] uint32_t ChunkBytes(std::size_t id) const { return sizes_[id - 1]; }
  [[nodiscard]] uint32_t PerPage(std::size_t id) const { return kPageBytes / ChunkBytes(id); }
  [[nodiscard]] bool Valid(int64_t id) const {
    return id >= 1 && static_cast<std::size_t>(id) <= count_;
  }

  // The class of an item of `item_bytes` (ItemBytes). memcached chunks larger items over the
  // largest class; they count in the largest class here.
  [[nodiscard]] std::size_t ClassOf(std::size_t item_bytes) const {
    const auto* end = sizes_.data() + count_;
    const auto* it = std::lower_bound(sizes_.data(), end, item_bytes);
    return it == end ? count_ : static_cast<std::size_t>(it - sizes_.data()) + 1;
  }
  [[nodiscard]] static std::size_t ItemBytes(std::size_t key_bytes, std::size_t value_bytes,
                                             uint32_t flags) {
    return key_bytes + value_bytes + kItemOverheadBytes + (flags != 0 ? kClientFlagsBytes : 0);
  }

 private:
  std::array<uint32_t, kMaxClasses> sizes_{};
  std::size_t count_ = 0;
};

}  // namespace corecached::core
