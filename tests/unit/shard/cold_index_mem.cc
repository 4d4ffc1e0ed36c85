// RAM per cold entry of a ColdIndex holding N entries with 14-byte keys "cold:NNNNNNNNN", from
// the index's own accounting and from the process's RssAnon (bench/RESULTS-cold.md).
// Usage: cold_index_mem [N]   (default 10000000)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "core/key_hash.h"
#include "shard/cold_index.h"

namespace {

long RssAnonKb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("RssAnon:", 0) == 0) {
      return std::strtol(line.c_str() + 8, nullptr, 10);
    }
  }
  return -1;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

int main(int argc, char** argv) {
  using corecached::shard::ColdEntry;
  using corecached::shard::ColdIndex;
  const std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 10'000'000;
  constexpr std::size_t kKeyBytes = 14;
  const long rss_before = RssAnonKb();
  auto start = std::chrono::steady_clock::now();
  ColdIndex index;
  char key[32];
  for (std::size_t i = 0; i < n; ++i) {
    std::snprintf(key, sizeof(key), "cold:%09zu", i);
    ColdEntry e;
    e.cas = i;
    e.SetWriteId(i + 1);
    e.value_size = 2560;
    index.Insert(corecached::core::KeyHash::Of({key, kKeyBytes}).TableBits(), {key, kKeyBytes}, e);
  }
  const double insert_s = Seconds(start);
  const long rss_after = RssAnonKb();
  start = std::chrono::steady_clock::now();
  std::size_t found = 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::snprintf(key, sizeof(key), "cold:%09zu", i);
    if (index.Find(corecached::core::KeyHash::Of({key, kKeyBytes}).TableBits(), {key, kKeyBytes}) !=
        ColdIndex::kNone) {
      ++found;
    }
  }
  const double find_s = Seconds(start);
  const auto per = [n](double bytes) { return bytes / static_cast<double>(n); };
  const double acct = per(static_cast<double>(index.MemoryBytes()));
  const double rss = per(static_cast<double>(rss_after - rss_before) * 1024.0);
  std::printf("entries %zu (found %zu), slots %zu (load %.3f)\n", index.size(), found,
              index.SlotCount(),
              static_cast<double>(index.size()) / static_cast<double>(index.SlotCount()));
  std::printf(
      "accounting: slots %.1f + entries %.1f + arena %.1f = %.1f B/entry; %.1f B without "
      "the %zu-byte key\n",
      per(static_cast<double>(index.SlotBytes())), per(static_cast<double>(index.EntryBytes())),
      per(static_cast<double>(index.ArenaBytes())), acct, acct - kKeyBytes, kKeyBytes);
  std::printf("RssAnon: %ld -> %ld kB = %.1f B/entry; %.1f B without the key\n", rss_before,
              rss_after, rss, rss - kKeyBytes);
  std::printf("insert %.2f s (%.0f ns/entry, growth included), find %.2f s (%.0f ns/entry)\n",
              insert_s, insert_s * 1e9 / static_cast<double>(n), find_s,
              find_s * 1e9 / static_cast<double>(n));
  return found == n ? 0 : 1;
}
