#include "proxy/proxy_executor.h"

#include <arpa/inet.h>
#include <netdb.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "proxy/meta_client.h"
#include "runtime/fiber_scheduler.h"

namespace corecached::proxy {

namespace {
using core::Op;

// The retry hint of a request shed because the thread's in-flight bound is reached: about one
// upstream round trip under load.
constexpr uint32_t kBusyRetryMs = 5;

bool IsWrite(Op op) { return op != Op::kGet && op != Op::kFlushAll; }

// Plain get/gets/mg without side effects: the only requests the local cache may answer.
bool Cacheable(const core::Command& cmd) {
  return cmd.op == Op::kGet && !cmd.touch && !cmd.vivify && !cmd.recache && !cmd.no_lru_bump;
}

void Fail(core::Result* result) {
  *result = core::Result{};
  result->outcome = core::Outcome::kUpstreamError;
}

sockaddr_in Resolve(const ServerAddress& s) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(s.host.c_str(), nullptr, &hints, &res) != 0 || res == nullptr) {
    throw std::runtime_error("proxy: cannot resolve upstream host " + s.host);
  }
  sockaddr_in addr{};
  std::memcpy(&addr, res->ai_addr, sizeof(addr));
  freeaddrinfo(res);
  addr.sin_port = htons(s.port);
  return addr;
}
}  // namespace

ProxyThread::ProxyThread(event_base* base, const ProxyOptions& options,
                         const std::vector<std::vector<sockaddr_in>>& addresses,
                         std::vector<std::vector<UpstreamStats>>* stats)
    : pools_(options.pools.size()) {
  flush_event_.reset(event_new(base, -1, 0, &OnFlush, this));
  for (std::size_t p = 0; p < pools_.size(); ++p) {
    pools_[p].options = &options.pools[p];
    for (std::size_t s = 0; s < addresses[p].size(); ++s) {
      pools_[p].servers.push_back(std::make_unique<UpstreamServer>(
          base, addresses[p][s], options.pools[p].upstream, &(*stats)[p][s], &in_flight_bytes));
    }
  }
  Refresh(std::chrono::steady_clock::now());
}

void ProxyThread::ScheduleFlush(UpstreamConnection* conn) {
  if (conn->flush_scheduled) {
    return;
  }
  conn->flush_scheduled = true;
  dirty_.push_back(conn);
  if (dirty_.size() == 1) {
    event_active(flush_event_.get(), 0, 0);
  }
}

void ProxyThread::OnFlush(evutil_socket_t /*fd*/, short /*what*/, void* arg) {
  auto* self = static_cast<ProxyThread*>(arg);
  self->flushing_.swap(self->dirty_);
  for (UpstreamConnection* conn : self->flushing_) {
    conn->flush_scheduled = false;
    try {
      conn->Flush();
    } catch (...) {  // never through libevent's C frames (STYLE.md 6.4)
      conn->Abort(false);
    }
  }
  self->flushing_.clear();
}

void ProxyThread::Refresh(SteadyTime now) {
  for (Pool& pool : pools_) {
    uint64_t epoch = 0;
    for (const auto& server : pool.servers) {
      server->Ejected(now);  // lets a server whose retry timeout passed rejoin
      epoch += server->MembershipEpoch();
    }
    if (epoch != pool.ring_epoch) {
      std::vector<bool> live(pool.servers.size());
      for (std::size_t s = 0; s < pool.servers.size(); ++s) {
        live[s] = !pool.servers[s]->Ejected(now);
      }
      pool.ring = Ring(pool.options->distribution, pool.options->servers, live);
      pool.ring_epoch = epoch;
    }
  }
}

ProxyExecutor::ProxyExecutor(ProxyThread* thread, const ProxyOptions* options, LocalCache* cache)
    : thread_(thread), options_(options), cache_(cache) {}

const RouteOptions* ProxyExecutor::RouteOf(std::string_view key) const {
  for (const RouteOptions& route : options_->routes) {
    if (key.substr(0, route.prefix.size()) == route.prefix) {
      return &route;
    }
  }
  return nullptr;
}

core::Executor::Slot ProxyExecutor::Add(core::Command cmd) {
  Entry entry;
  const RouteOptions* route = RouteOf(cmd.key);
  entry.pool = route != nullptr ? route->pool : options_->default_pool;
  entry.cacheable = cache_ != nullptr && Cacheable(cmd);
  entry.cmd = std::move(cmd);
  entries_.push_back(std::move(entry));
  results_.emplace_back();
  return Slot{0, static_cast<uint32_t>(entries_.size() - 1)};
}

void ProxyExecutor::Broadcast(const core::Command& cmd, std::vector<Slot>* slots) {
  for (std::size_t p = 0; p < thread_->PoolCount(); ++p) {
    for (std::size_t s = 0; s < thread_->PoolAt(p).servers.size(); ++s) {
      Entry entry;
      entry.cmd = cmd;
      entry.pool = p;
      entry.server = static_cast<int>(s);
      entries_.push_back(std::move(entry));
      results_.emplace_back();
      slots->push_back(Slot{0, static_cast<uint32_t>(entries_.size() - 1)});
    }
  }
}

bool ProxyExecutor::SendTo(std::size_t pool, int server, const core::Command& cmd,
                           core::Result* result, SteadyTime now) {
  UpstreamServer& up = *thread_->PoolAt(pool).servers[static_cast<std::size_t>(server)];
  scratch_.clear();
  EncodeRequest(cmd, &scratch_);
  UpstreamConnection* conn = ConnectionFor(&up);
  InFlight entry;
  entry.cmd = &cmd;
  entry.result = result;
  entry.waiter = &waiter_;
  ++waiter_.remaining;
  if (!conn->Send(scratch_, std::move(entry), now)) {
    --waiter_.remaining;
    return false;
  }
  round_timeout_ = std::max(round_timeout_, up.Options().timeout);
  return true;
}

void ProxyExecutor::Mirror(const RouteOptions& route, const core::Command& cmd, SteadyTime now) {
  for (std::size_t pool : route.mirror) {
    ProxyThread::Pool& p = thread_->PoolAt(pool);
    int server = p.ring.Pick(cmd.key);
    if (server < 0) {
      continue;
    }
    InFlight entry;
    entry.owned = std::make_unique<core::Command>(cmd);
    entry.cmd = entry.owned.get();
    scratch_.clear();
    EncodeRequest(cmd, &scratch_);
    ConnectionFor(p.servers[static_cast<std::size_t>(server)].get())
        ->Send(scratch_, std::move(entry), now);
  }
}

UpstreamConnection* ProxyExecutor::ConnectionFor(UpstreamServer* server) {
  // One connection per server per round: the round's requests to it leave in one send(2) and
  // come back in one read; rounds of other sessions take the server's other connections.
  for (const auto& [s, conn] : round_connections_) {
    if (s == server) {
      return conn;
    }
  }
  UpstreamConnection* conn = server->Next();
  round_connections_.emplace_back(server, conn);
  return conn;
}

void ProxyExecutor::Dispatch(Entry& entry, core::Result* result, SteadyTime now) {
  const core::Command& cmd = entry.cmd;
  if (entry.cacheable) {
    if (cache_->Lookup(cmd.key, now, result)) {
      entry.from_cache = true;
      return;
    }
    entry.cache_epoch = cache_->Epoch(cmd.key);
  } else if (cache_ != nullptr && IsWrite(cmd.op)) {
    cache_->Drop(cmd.key);  // before the write leaves: see LocalCache
  } else if (cache_ != nullptr && cmd.op == Op::kFlushAll) {
    cache_->Clear();
  }
  if (thread_->in_flight_bytes >= options_->max_in_flight_bytes) {
    *result = core::Result{};
    result->outcome = core::Outcome::kBusy;
    result->retry_after_ms = kBusyRetryMs;
    return;
  }
  int server = entry.server >= 0 ? entry.server : thread_->PoolAt(entry.pool).ring.Pick(cmd.key);
  if (server >= 0 && entry.server < 0 && Batchable(cmd)) {
    auto it = std::find_if(batches_.begin(), batches_.end(), [&](const OpenBatch& b) {
      return b.pool == entry.pool && b.server == server;
    });
    if (it == batches_.end()) {
      it = batches_.insert(batches_.end(), OpenBatch{entry.pool, server, {}, {}});
    }
    it->cmds.push_back(&cmd);
    it->results.push_back(result);
    return;
  }
  if (server >= 0) {
    CloseBatch(entry.pool, server, now);
  }
  if (server < 0 || !SendTo(entry.pool, server, cmd, result, now)) {
    Fail(result);
    return;
  }
  if (entry.server < 0 && IsWrite(cmd.op)) {
    if (const RouteOptions* route = RouteOf(cmd.key); route != nullptr && !route->mirror.empty()) {
      Mirror(*route, cmd, now);
    }
  }
}

void ProxyExecutor::CloseBatch(std::size_t pool, int server, SteadyTime now) {
  for (auto it = batches_.begin(); it != batches_.end(); ++it) {
    if (it->pool == pool && it->server == server) {
      SendBatch(*it, now);
      batches_.erase(it);
      return;
    }
  }
}

void ProxyExecutor::SendBatch(OpenBatch& batch, SteadyTime now) {
  if (batch.cmds.size() == 1) {
    if (!SendTo(batch.pool, batch.server, *batch.cmds.front(), batch.results.front(), now)) {
      Fail(batch.results.front());
    }
    return;
  }
  UpstreamServer& up = *thread_->PoolAt(batch.pool).servers[static_cast<std::size_t>(batch.server)];
  scratch_.clear();
  EncodeMultiGet(batch.cmds, &scratch_);
  InFlight entry;
  entry.waiter = &waiter_;
  entry.batch_cmds = std::move(batch.cmds);
  entry.batch_results = batch.results;
  ++waiter_.remaining;
  if (!ConnectionFor(&up)->Send(scratch_, std::move(entry), now)) {
    --waiter_.remaining;
    for (core::Result* r : batch.results) {
      Fail(r);
    }
    return;
  }
  round_timeout_ = std::max(round_timeout_, up.Options().timeout);
}

void ProxyExecutor::Wait(SteadyTime deadline) {
  while (waiter_.remaining > 0) {
    if (waiter_.parker.ParkUntil(deadline) || waiter_.remaining == 0) {
      continue;
    }
    // Timed out: close every connection still holding one of ours. Replies come in order, so a
    // late reply could never be matched again; their other requests fail with ours (as
    // twemproxy does on a server timeout).
    for (const auto& [server, conn] : round_connections_) {
      if (conn->Holds(&waiter_)) {
        conn->Abort(/*timed_out=*/true);
      }
    }
  }
}

void ProxyExecutor::ExecuteRound() {
  const SteadyTime now = std::chrono::steady_clock::now();
  thread_->Refresh(now);
  round_connections_.clear();
  round_timeout_ = std::chrono::milliseconds(0);
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    Dispatch(entries_[i], &results_[i], now);
  }
  for (OpenBatch& batch : batches_) {
    SendBatch(batch, now);
  }
  batches_.clear();
  for (const auto& [server, conn] : round_connections_) {
    thread_->ScheduleFlush(conn);
  }
  Wait(now + round_timeout_);
  if (cache_ == nullptr) {
    return;
  }
  const SteadyTime done = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    if (e.cacheable && !e.from_cache && results_[i].outcome == core::Outcome::kHit) {
      cache_->Fill(e.cmd.key, results_[i], e.cache_epoch, done);
    }
  }
}

void ProxyExecutor::Reset() {
  entries_.clear();
  results_.clear();
  round_connections_.clear();
}

ProxyExecutorFactory::ProxyExecutorFactory(ProxyOptions options, std::size_t threads)
    : options_(std::move(options)) {
  for (const PoolOptions& pool : options_.pools) {
    std::vector<sockaddr_in> addrs;
    for (const ServerAddress& s : pool.servers) {
      addrs.push_back(Resolve(s));
    }
    addresses_.push_back(std::move(addrs));
  }
  stats_.resize(threads);
  for (auto& per_thread : stats_) {
    for (const PoolOptions& pool : options_.pools) {
      per_thread.emplace_back(pool.servers.size());
    }
  }
  threads_.resize(threads);
  if (options_.local_cache_enabled) {
    cache_ = std::make_unique<LocalCache>(options_.local_cache_ttl, options_.local_cache_max_bytes);
  }
}

ProxyExecutorFactory::~ProxyExecutorFactory() = default;

std::unique_ptr<core::Executor> ProxyExecutorFactory::Make(std::size_t thread) {
  if (threads_[thread] == nullptr) {
    threads_[thread] = std::make_unique<ProxyThread>(runtime::CurrentEventBase(), options_,
                                                     addresses_, &stats_[thread]);
  }
  return std::make_unique<ProxyExecutor>(threads_[thread].get(), &options_, cache_.get());
}

std::vector<ProxyExecutorFactory::ServerRow> ProxyExecutorFactory::Figures() const {
  std::vector<ServerRow> rows;
  for (std::size_t p = 0; p < options_.pools.size(); ++p) {
    for (std::size_t s = 0; s < options_.pools[p].servers.size(); ++s) {
      const ServerAddress& a = options_.pools[p].servers[s];
      ServerRow row{options_.pools[p].name, a.host + ":" + std::to_string(a.port), {}};
      for (const auto& per_thread : stats_) {
        const UpstreamStats& st = per_thread[p][s];
        row.figures.requests += st.requests.Get();
        row.figures.errors += st.errors.Get();
        row.figures.timeouts += st.timeouts.Get();
        row.figures.ejections += st.ejections.Get();
        row.figures.in_flight += st.in_flight.Get();
        row.figures.ejected += st.ejected.Get();
        for (std::size_t b = 0; b < row.figures.buckets.size(); ++b) {
          row.figures.buckets[b] += st.latency_buckets[b].Get();
        }
        row.figures.latency_sum_us += st.latency_sum_us.Get();
      }
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

core::StatList ProxyExecutorFactory::Stats() const {
  core::StatList list;
  auto add = [&list](std::string name, uint64_t v) {
    list.emplace_back(std::move(name), std::to_string(v));
  };
  for (const ServerRow& row : Figures()) {
    const std::string prefix = row.pool + ":" + row.server + ":";
    add(prefix + "requests", row.figures.requests);
    add(prefix + "errors", row.figures.errors);
    add(prefix + "timeouts", row.figures.timeouts);
    add(prefix + "ejections", row.figures.ejections);
    add(prefix + "ejected_threads", row.figures.ejected);
    add(prefix + "in_flight", row.figures.in_flight);
    add(prefix + "latency_us_total", row.figures.latency_sum_us);
  }
  if (cache_ != nullptr) {
    add("local_cache_hits", cache_->Hits());
    add("local_cache_misses", cache_->Misses());
  }
  return list;
}

}  // namespace corecached::proxy
