#include "shard/lru.h"

namespace corecached::shard {

void Lru::Bump(Item& item) {
  auto it = list_.iterator_to(item);
  if (it != list_.begin()) {
    list_.splice(list_.begin(), list_, it);
  }
}

Item* Lru::Oldest() {
  if (list_.empty()) {
    return nullptr;
  }
  return &list_.back();
}

Item* Lru::Newer(Item& item) {
  auto it = list_.iterator_to(item);
  if (it == list_.begin()) {
    return nullptr;
  }
  return &*std::prev(it);
}

}  // namespace corecached::shard
