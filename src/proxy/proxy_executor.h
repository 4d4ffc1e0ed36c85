#pragma once

#include <netinet/in.h>

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/executor.h"
#include "core/stat_list.h"
#include "proxy/local_cache.h"
#include "proxy/proxy_options.h"
#include "proxy/ring.h"
#include "proxy/upstream.h"

namespace corecached::proxy {

// ProxyThread is one network thread's view of the upstream fleet: per pool, one UpstreamServer
// per configured server (with its connections) and the ring over the servers not ejected.
//
// Owner: the ProxyExecutorFactory (destroyed after the network threads stopped). Thread: owning
// network thread.
class ProxyThread {
 public:
  struct Pool {
    const PoolOptions* options = nullptr;
    std::vector<std::unique_ptr<UpstreamServer>> servers;
    Ring ring;
    uint64_t ring_epoch = ~uint64_t{0};
  };

  ProxyThread(event_base* base, const ProxyOptions& options,
              const std::vector<std::vector<sockaddr_in>>& addresses,
              std::vector<std::vector<UpstreamStats>>* stats);

  // Lets ejected servers whose retry timeout passed rejoin, and rebuilds rings whose membership
  // changed. Once per round.
  void Refresh(SteadyTime now);
  // Sends `conn`'s queued requests once this thread's ready fibers have all run (a libevent
  // active event: the loop runs only when no fiber is ready), so that the requests of every
  // session served in this turn leave in one send(2) per connection, as nutcracker coalesces.
  void ScheduleFlush(UpstreamConnection* conn);
  [[nodiscard]] Pool& PoolAt(std::size_t i) { return pools_[i]; }
  [[nodiscard]] std::size_t PoolCount() const { return pools_.size(); }
  std::size_t in_flight_bytes = 0;  // request bytes sent and not yet answered (all servers)

 private:
  static void OnFlush(evutil_socket_t fd, short what, void* arg);

  std::vector<Pool> pools_;
  runtime::EventPtr flush_event_;
  std::vector<UpstreamConnection*> dirty_;
  std::vector<UpstreamConnection*> flushing_;
};

// ProxyExecutor is a connection's core::Executor in proxy mode: each command goes, as a meta
// request, to the server its key's pool and ring pick (routes by prefix, first match, else the
// default pool); writes are copied to the route's mirror pools without waiting for them;
// flush_all (Broadcast) goes to every server of every pool. Replies come back in request order
// per connection and are matched to their slots; ExecuteRound parks the fiber until every reply
// arrived or the pool's timeout_ms passed (then the late connections are closed and their
// requests answer kUpstreamError).
//
// Owner: one Session. Thread: owning network thread; ExecuteRound only inside a fiber.
class ProxyExecutor final : public core::Executor {
 public:
  ProxyExecutor(ProxyThread* thread, const ProxyOptions* options, LocalCache* cache);
  ~ProxyExecutor() override = default;
  ProxyExecutor(const ProxyExecutor&) = delete;
  ProxyExecutor& operator=(const ProxyExecutor&) = delete;

  Slot Add(core::Command cmd) override;
  void Broadcast(const core::Command& cmd, std::vector<Slot>* slots) override;
  void ExecuteRound() override;
  [[nodiscard]] core::Result& ResultAt(Slot slot) override { return results_[slot.index]; }
  void Reset() override;
  [[nodiscard]] std::size_t Pending() const override { return entries_.size(); }

 private:
  struct Entry {
    core::Command cmd;
    std::size_t pool = 0;
    int server = -1;  // forced server (Broadcast); -1 = the ring picks
    bool cacheable = false;
    bool from_cache = false;
    uint64_t cache_epoch = 0;
  };
  [[nodiscard]] const RouteOptions* RouteOf(std::string_view key) const;
  void Dispatch(Entry& entry, core::Result* result, SteadyTime now);
  bool SendTo(std::size_t pool, int server, const core::Command& cmd, core::Result* result,
              SteadyTime now);
  void Mirror(const RouteOptions& route, const core::Command& cmd, SteadyTime now);
  void Wait(SteadyTime deadline);
  // Plain gets for one server, sent as one `gets` when the round ends or when another command
  // for that server must go first (so one connection still sees the client's order).
  struct OpenBatch {
    std::size_t pool = 0;
    int server = 0;
    std::vector<const core::Command*> cmds;
    std::vector<core::Result*> results;
  };
  void CloseBatch(std::size_t pool, int server, SteadyTime now);
  void SendBatch(OpenBatch& batch, SteadyTime now);
  UpstreamConnection* ConnectionFor(UpstreamServer* server);

  ProxyThread* thread_;
  const ProxyOptions* options_;
  LocalCache* cache_;
  std::vector<Entry> entries_;
  std::vector<core::Result> results_;
  std::vector<std::pair<UpstreamServer*, UpstreamConnection*>> round_connections_;
  std::string scratch_;
  std::vector<OpenBatch> batches_;
  Waiter waiter_;
  std::chrono::milliseconds round_timeout_{0};
};

// ProxyExecutorFactory builds the proxy's per-thread state (lazily, on each network thread's
// first connection) and hands each connection a ProxyExecutor. Also the source of `stats proxy`
// and the per-server metrics.
//
// Owner: the Server, which must destroy it after the network threads stopped. Thread: Make() on
// a network thread (each index from one thread only); Stats()/ForEachServer() from any (atomics
// only).
class ProxyExecutorFactory final : public core::ExecutorFactory {
 public:
  // Resolves every server's host (start-up: may block); throws std::runtime_error when a host
  // does not resolve.
  ProxyExecutorFactory(ProxyOptions options, std::size_t threads);
  ~ProxyExecutorFactory() override;

  [[nodiscard]] std::unique_ptr<core::Executor> Make(std::size_t thread) override;

  // Per server summed over threads: fn(pool name, "host:port", stats of each thread).
  struct ServerFigures {
    uint64_t requests = 0, errors = 0, timeouts = 0, ejections = 0, in_flight = 0, ejected = 0;
    std::array<uint64_t, kLatencyBoundsUs.size() + 1> buckets{};
    uint64_t latency_sum_us = 0;
  };
  struct ServerRow {
    std::string pool;
    std::string server;
    ServerFigures figures;
  };
  [[nodiscard]] std::vector<ServerRow> Figures() const;
  [[nodiscard]] core::StatList Stats() const;

 private:
  ProxyOptions options_;
  std::vector<std::vector<sockaddr_in>> addresses_;  // [pool][server]
  // [thread][pool][server]; sized at construction, never resized (threads read it).
  std::vector<std::vector<std::vector<UpstreamStats>>> stats_;
  std::vector<std::unique_ptr<ProxyThread>> threads_;
  std::unique_ptr<LocalCache> cache_;
};

}  // namespace corecached::proxy
