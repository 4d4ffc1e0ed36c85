#include "proxy/ring.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace corecached::proxy {
namespace {

std::vector<ServerAddress> Three(uint32_t middle_weight) {
  return {{"127.0.0.1", 22101, 1, ""},
          {"127.0.0.1", 22102, middle_weight, ""},
          {"127.0.0.1", 22103, 1, ""}};
}

std::string Picks(const Ring& ring, const std::vector<std::string>& keys) {
  std::string s;
  for (const std::string& k : keys) {
    s += std::to_string(ring.Pick(k));
  }
  return s;
}

std::vector<std::string> KeyN() {
  std::vector<std::string> keys;
  for (int i = 0; i < 24; ++i) {
    keys.push_back("key:" + std::to_string(i));
  }
  return keys;
}

std::vector<std::string> Spread() {
  std::vector<std::string> keys;
  for (uint64_t i = 0; i < 24; ++i) {
    keys.push_back(std::to_string(i) + ":" + std::to_string(i * 2654435761ULL % 1000003));
  }
  return keys;
}

// Expected placements come from a Python transcription of libmemcached's update_continuum and
// nutcracker's ketama_update that placed 2,000 of 2,000 keys exactly where pylibmc (ketama) and
// nutcracker put them on three real memcached servers; tests/integration/test_proxy_placement.py
// checks the built proxy against the real clients directly.
TEST_CASE("Ring: libmemcached ketama, unweighted (100 one-at-a-time points per server)") {
  std::vector<ServerAddress> servers = Three(1);
  Ring ring(Distribution::kKetama, servers, {true, true, true});
  CHECK(ring.Points() == 300);
  CHECK(Picks(ring, KeyN()) == "000012210221220210022201");
}

TEST_CASE("Ring: libmemcached ketama turns weighted when a weight is > 1") {
  std::vector<ServerAddress> servers = Three(2);
  Ring ring(Distribution::kKetama, servers, {true, true, true});
  CHECK(ring.Points() == 480);  // 120 + 240 + 120
  CHECK(Picks(ring, KeyN()) == "211210122111111011201002");
}

TEST_CASE("Ring: nutcracker ketama (fnv1a_64 keys, 160 MD5 points scaled by weight)") {
  std::vector<ServerAddress> servers = Three(2);
  Ring ring(Distribution::kKetamaTwemproxy, servers, {true, true, true});
  CHECK(Picks(ring, Spread()) == "101001011102122111201210");
  std::vector<ServerAddress> default_port = {{"10.0.0.1", 11211, 1, ""},
                                             {"10.0.0.2", 11211, 1, ""}};
  Ring ring2(Distribution::kKetamaTwemproxy, default_port, {true, true});
  CHECK(Picks(ring2, Spread()) == "110110111000001011101111");
}

TEST_CASE("Ring: nutcracker ketama hashes the server's name when one is given") {
  std::vector<ServerAddress> named = {{"127.0.0.1", 22101, 1, "a"}, {"127.0.0.1", 22102, 1, "b"}};
  std::vector<ServerAddress> renamed = {{"10.9.9.9", 1, 1, "a"}, {"10.8.8.8", 2, 1, "b"}};
  Ring r1(Distribution::kKetamaTwemproxy, named, {true, true});
  Ring r2(Distribution::kKetamaTwemproxy, renamed, {true, true});
  CHECK(Picks(r1, Spread()) == Picks(r2, Spread()));
}

TEST_CASE("Ring: modula is one-at-a-time % servers") {
  std::vector<ServerAddress> servers = Three(1);
  Ring ring(Distribution::kModula, servers, {true, true, true});
  CHECK(Picks(ring, KeyN()) == "222111111122111111111211");
}

TEST_CASE("Ring: an ejected server's keys move, the others stay") {
  std::vector<ServerAddress> servers = Three(1);
  Ring all(Distribution::kKetama, servers, {true, true, true});
  Ring without(Distribution::kKetama, servers, {true, false, true});
  int moved = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string key = "k" + std::to_string(i);
    int before = all.Pick(key);
    int after = without.Pick(key);
    CHECK(after != 1);
    if (before != 1) {
      CHECK(after == before);
    } else {
      ++moved;
    }
  }
  CHECK(moved > 300);
  Ring none(Distribution::kKetama, servers, {false, false, false});
  CHECK(none.Pick("x") == -1);
  Ring modula_none(Distribution::kModula, servers, {false, false, false});
  CHECK(modula_none.Pick("x") == -1);
}

}  // namespace
}  // namespace corecached::proxy
