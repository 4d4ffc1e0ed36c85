#pragma once

#include <boost/intrusive/list.hpp>
#include <cstddef>

#include "shard/item.h"

namespace corecached::shard {

// Lru is the shard's recency list: most recently stored or accessed item at the front, the
// eviction candidate at the back. Intrusive (boost::intrusive::list through Item::lru_hook), so it
// allocates nothing and every operation is O(1). One plain list, not memcached's HOT/WARM/COLD
// segments: the owning network thread (its shard's host) owns it, so there is no lock to spare by
// segmenting.
//
// Owner: the Store. Thread: owning shard. The list does not own items; an Item* it returns stays
// valid until the Store removes and destroys that item.
class Lru {
 public:
  Lru() = default;
  Lru(const Lru&) = delete;
  Lru& operator=(const Lru&) = delete;
  ~Lru() { list_.clear(); }

  // REQUIRES: item is not in the list.
  void PushFront(Item& item) { list_.push_front(item); }
  // REQUIRES: item is not in the list. Makes it the next eviction candidate.
  void PushBack(Item& item) { list_.push_back(item); }
  // REQUIRES: item is in the list.
  void Remove(Item& item) { list_.erase(list_.iterator_to(item)); }
  // Moves item to the front (a read or an update). REQUIRES: item is in the list.
  void Bump(Item& item);

  // The least recently used item, or nullptr when empty.
  [[nodiscard]] Item* Oldest();
  // The item used just after `item` (one step towards the front), or nullptr at the front.
  [[nodiscard]] Item* Newer(Item& item);

  [[nodiscard]] bool empty() const { return list_.empty(); }
  // O(n): for tests.
  [[nodiscard]] std::size_t size() const { return list_.size(); }

 private:
  using List =
      boost::intrusive::list<Item,
                             boost::intrusive::member_hook<Item, Item::LruHook, &Item::lru_hook>,
                             boost::intrusive::constant_time_size<false>>;
  List list_;
};

}  // namespace corecached::shard
