#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace corecached::proxy {

// How a pool places keys on its servers (config `distribution:`).
enum class Distribution : uint8_t {
  // libmemcached's consistent ketama (pylibmc behaviors={"ketama": True}, PHP memcached
  // OPT_LIBKETAMA_COMPATIBLE). With every weight 1: 100 points per server, each the
  // one-at-a-time hash of "host:port-N" ("host-N" on port 11211), keys hashed one-at-a-time.
  // With any weight > 1 libmemcached switches to weighted ketama (hosts.cc server_add): 160 points
  // per server scaled by weight, four per MD5 digest of the same names.
  kKetama,
  // nutcracker's ketama (nc_ketama.c) with its default `hash: fnv1a_64`: weighted, 160 points
  // per server, four per MD5 digest of "<name>-N", where name is "host:port" ("host" on port
  // 11211) unless the server line gave one.
  kKetamaTwemproxy,
  // libmemcached's MEMCACHED_DISTRIBUTION_MODULA: one-at-a-time(key) % live servers.
  kModula,
};

// One upstream server as configured ("host:port[:weight] [name]").
struct ServerAddress {
  std::string host;
  uint16_t port = 11211;
  uint32_t weight = 1;
  std::string name;  // nutcracker's optional server name; empty = none
};

// Ring maps a key to one of a pool's servers. Built once per membership change (an ejection or a
// rejoin), then read-only. Ejected servers are left out, and their keys fall to the next points
// of the ring, as libmemcached's and nutcracker's auto-eject rebuilds do.
//
// Owner: the pool state of one network thread. Thread: any (immutable after construction).
class Ring {
 public:
  Ring() = default;
  // `live[i]` false leaves servers[i] out. REQUIRES: live.size() == servers.size().
  Ring(Distribution distribution, std::span<const ServerAddress> servers,
       const std::vector<bool>& live);

  // The index (into the constructor's `servers`) of the server for `key`; -1 when no server is
  // live.
  [[nodiscard]] int Pick(std::string_view key) const;
  // The continuum's size (points), for tests.
  [[nodiscard]] std::size_t Points() const { return points_.size(); }

 private:
  struct Point {
    uint32_t value = 0;
    uint32_t index = 0;
  };
  void BuildLibmemcached(std::span<const ServerAddress> servers, const std::vector<bool>& live);
  void BuildTwemproxy(std::span<const ServerAddress> servers, const std::vector<bool>& live);
  void AddWeighted(const std::string& name, uint32_t index, uint32_t points);

  Distribution distribution_ = Distribution::kKetama;
  std::vector<Point> points_;
  std::vector<uint32_t> live_;  // live server indexes, in configuration order (modula)
};

}  // namespace corecached::proxy
