#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "config/config.h"
#include "config/flags.h"
#include "core/clock.h"
#include "core/runtime_settings.h"
#include "core/size_classes.h"
#include "core/stat_list.h"
#include "metrics/prometheus.h"
#include "metrics/snapshot.h"
#include "net/listener.h"
#include "net/net_stats.h"
#include "net/network_thread.h"
#include "net/tls_context.h"
#include "net/watch_collector.h"
#include "proxy/proxy_executor.h"
#include "runtime/event_base.h"
#include "shard/router.h"
#include "shard/shard.h"

namespace corecached::server {

struct StatsSources;
class StatsBaseline;

// Server is the composition root: it builds the shards, the network threads (each hosting one
// shard, issue #10) and the listener from a Config, runs the main thread's loop (accepting,
// signals, SIGHUP reload) and the metrics exporter, and tears everything down in order: exporter,
// listener, network threads (each connection finishes its request, then each shard flushes its
// cold tier on its own thread), shards.
//
// Owner: main. Thread: main (Run blocks until shutdown). Stats() is called from network threads
// and Metrics() from the exporter's HTTP thread; both read atomics only (the start-up Config is
// immutable; what SIGHUP changes lives in atomics).
class Server {
 public:
  // Re-reads the command line and the file for SIGHUP (config::ParseCommandLine with the saved
  // argv). Called on the main thread.
  using ConfigSource = std::function<config::ParseResult()>;

  // `reload` may be empty: SIGHUP then only logs that there is nothing to reload.
  explicit Server(config::Config config, ConfigSource reload = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds (throws net::BindError), starts every thread, serves until SIGTERM, SIGINT or an enabled
  // `shutdown` command, then stops gracefully.
  void Run();
  // Thread: any. Makes Run() return (async-signal-safe).
  void RequestStop() { stop_waker_.Wake(); }

  [[nodiscard]] std::optional<core::StatList> Stats(std::string_view group) const;
  [[nodiscard]] metrics::Snapshot Metrics() const;

  // SIGHUP: re-reads the configuration and applies what may change at run time (log_level,
  // verbosity, max_connections); logs one line per changed key it cannot apply. A bad file is
  // logged and the running configuration stays. Thread: main.
  void Reload();

 private:
  void StartThreads();
  void StopThreads();
  void WritePortFile() const;
  void EnterService();
  void StartExporter();
  void Apply(const config::Config& next);
  void ReloadAuth();
  // SIGHUP with -Z: reloads the certificates (as refresh_certs does); logs the outcome.
  void ReloadTls();
  // `refresh_certs`: the reply line. Thread: any network thread (TlsContext::Reload is).
  std::string RefreshCerts();
  void ReturnFreedMemory();
  [[nodiscard]] StatsSources Sources() const;
  // `stats conns`: every listening socket and connection, by fd. Called on a network thread,
  // inside a fiber (it waits for the other threads' answers).
  [[nodiscard]] core::StatList ConnStats() const;

  const config::Config config_;
  const ConfigSource reload_;
  config::Config applied_;  // what is in effect after the last reload; main thread only
  std::atomic<config::LogLevel> log_level_;
  // verbosity, cache_memlimit and the other admin-changed settings; `stats reset`'s baseline.
  std::unique_ptr<core::RuntimeSettings> runtime_;
  std::unique_ptr<StatsBaseline> baseline_;
  std::unique_ptr<net::PrefixStats> prefix_stats_;
  const core::SizeClasses classes_;
  const core::Clock& clock_;
  const int64_t started_seconds_;
  // `watch`: the log hub and its collector thread. Declared before the shards and threads that
  // log into it, so it outlives them.
  std::unique_ptr<net::WatchCollector> watch_;
  std::vector<std::unique_ptr<shard::Shard>> shards_;
  std::vector<shard::Shard*> shard_ptrs_;
  std::atomic<std::size_t> live_threads_{0};          // network threads still serving connections
  std::unique_ptr<core::ExecutorFactory> executors_;  // makes each connection's Router
  net::ConnectionGate gate_;
  std::unique_ptr<net::TlsContext> tls_;  // -Z; null without TLS. Outlives the network threads.
  // Proxy mode (config `proxy:`); declared before threads_ so it outlives them.
  std::unique_ptr<proxy::ProxyExecutorFactory> proxy_;
  std::vector<std::unique_ptr<net::NetworkThread>> threads_;
  // Read-only views for the stats and metrics collectors (fixed after construction).
  std::vector<const shard::Shard*> shard_view_;
  std::vector<const net::NetworkThread*> thread_view_;
  uint64_t closed_at_last_trim_ = 0;  // main thread only
  uint64_t closed_at_last_tick_ = 0;  // main thread only
  std::string pid_path_;              // absolute; "" = no pid file. Main thread only.
  runtime::EventBasePtr base_;
  runtime::Waker stop_waker_;
  std::unique_ptr<net::Listener> listener_;
  // `stats conns` (conn_stats.cc): the listening sockets (set before the threads start), and the
  // one request at a time that the network threads answer.
  std::vector<int> listen_fds_;
  mutable std::atomic<bool> conn_stats_busy_{false};
  mutable std::atomic<uint64_t> conn_stats_ticket_{0};
  std::unique_ptr<metrics::PrometheusExporter> exporter_;
};

}  // namespace corecached::server
