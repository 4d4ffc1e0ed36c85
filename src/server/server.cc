#include "server/server.h"

#include <malloc.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <utility>

#include "config/diff.h"
#include "core/log.h"
#include "server/admin_stats.h"
#include "server/module_options.h"
#include "server/process.h"
#include "server/proxy_glue.h"
#include "server/signals.h"
#include "server/stats_collector.h"

namespace corecached::server {

Server::Server(config::Config config, ConfigSource reload)
    : config_(std::move(config)),
      reload_(std::move(reload)),
      applied_(config_),
      log_level_(config_.log_level),
      runtime_(std::make_unique<core::RuntimeSettings>()),
      baseline_(std::make_unique<StatsBaseline>()),
      prefix_stats_(std::make_unique<net::PrefixStats>()),
      clock_(core::SystemClock::Instance()),
      started_seconds_(clock_.NowSeconds()),
      watch_(std::make_unique<net::WatchCollector>()) {
  gate_.max_open.store(config_.max_connections);
  runtime_->verbosity.store(config_.verbosity);
  runtime_->maxbytes.store(static_cast<uint64_t>(config_.memory_limit_mb) * config::kMiB);
  const uint32_t shard_count = ShardCount(config_);  // == network threads: one shard each
  // The shards keep the cold tier alive; the last one to go closes it (after its flush).
  const std::shared_ptr<cold::ColdIo> cold_tier = OpenColdTier(config_);
  for (uint32_t s = 0; s < shard_count; ++s) {
    shard::ShardOptions shard_options = ShardOptionsFor(config_, s, shard_count);
    shard_options.store.cold = cold_tier;
    shard_options.store.watch = watch_->Hub();
    shards_.push_back(
        std::make_unique<shard::Shard>(s, shard_options, shard_count, clock_, started_seconds_));
    shard_ptrs_.push_back(shards_.back().get());
  }
  live_threads_.store(shard_count);
  for (const auto& s : shards_) {
    s->Connect(shard_ptrs_, &live_threads_);
  }
  executors_ = std::make_unique<shard::RouterFactory>(shard_ptrs_);
  if (config_.tls.enabled) {
    tls_ = std::make_unique<net::TlsContext>(TlsOptionsFor(config_), clock_);
  }
  if (config_.proxy.enabled) {
    proxy_ = std::make_unique<proxy::ProxyExecutorFactory>(ProxyOptionsFor(config_), shard_count);
  }
  for (uint32_t t = 0; t < shard_count; ++t) {
    net::SessionEnv env;
    // Proxy mode: upstream servers execute the commands instead of the local shards.
    env.executors =
        proxy_ != nullptr ? static_cast<core::ExecutorFactory*>(proxy_.get()) : executors_.get();
    env.thread = t;
    env.tls = tls_.get();
    if (tls_) {
      env.refresh_certs = [this] { return RefreshCerts(); };
    }
    env.parser = ParserOptionsFor(config_);
    env.max_reqs_per_event = config_.max_reqs_per_event;
    env.version = kProtocolVersion;
    env.enable_shutdown = config_.enable_shutdown;
    env.idle_timeout = std::chrono::seconds(config_.idle_timeout_s);
    env.max_input_bytes = MaxInputBytes(config_);
    env.stats = [this](std::string_view group) { return Stats(group); };
    env.request_shutdown = [this] { RequestStop(); };
    env.settings = runtime_.get();
    env.prefix_stats = prefix_stats_.get();
    env.watch = watch_->Hub();
    env.parser.size_class_count = classes_.Count();
    threads_.push_back(std::make_unique<net::NetworkThread>(NetworkThreadOptionsFor(config_), env,
                                                            &gate_, shards_[t].get()));
  }
  for (const auto& s : shards_) {
    shard_view_.push_back(s.get());
  }
  for (const auto& t : threads_) {
    thread_view_.push_back(t.get());
  }
}

Server::~Server() { StopThreads(); }

void Server::Run() {
  base_ = runtime::NewEventBase();
  // Before anything else, so a SIGTERM during start-up still stops the server cleanly.
  SignalHandlers signals(
      base_.get(), [this] { RequestStop(); }, [this] { Reload(); });
  std::vector<net::NetworkThread*> threads;
  for (auto& t : threads_) {
    threads.push_back(t.get());
  }
  listener_ = std::make_unique<net::Listener>(base_.get(), ListenerOptionsFor(config_),
                                              std::move(threads), &gate_);
  listen_fds_ = listener_->ListenFds();
  StartExporter();
  EnterService();
  StartThreads();
  WritePortFile();
  Daemon::Ready();
  auto on_stop = [](evutil_socket_t, short, void* arg) {
    auto* self = static_cast<Server*>(arg);
    self->stop_waker_.Drain();
    event_base_loopbreak(self->base_.get());
  };
  runtime::EventPtr stop_event(
      event_new(base_.get(), stop_waker_.Fd(), EV_READ | EV_PERSIST, on_stop, this));
  event_add(stop_event.get(), nullptr);
  auto on_trim = [](evutil_socket_t, short, void* arg) {
    static_cast<Server*>(arg)->ReturnFreedMemory();
  };
  runtime::EventPtr trim_event(event_new(base_.get(), -1, EV_PERSIST, on_trim, this));
  const timeval every_second{1, 0};
  event_add(trim_event.get(), &every_second);
  core::Log::Info(std::string("corecached ") + CORECACHED_VERSION + " listening on " +
                  (config_.port != 0 ? config_.listen + ":" + std::to_string(listener_->Port())
                                     : std::string("unix")) +
                  (config_.unix_socket.empty() ? "" : " " + listener_->UnixSocketPath()) + ", " +
                  std::to_string(threads_.size()) + " network threads, each hosting one shard");
  event_base_dispatch(base_.get());
  exporter_.reset();
  listener_->Close();
  StopThreads();
  RemovePidFile(pid_path_);
}

// Bound and opened: write the pid file, then give up root (-P, -u: memcached's order of work,
// except that memcached drops root before binding and so cannot bind ports below 1024).
void Server::EnterService() {
  if (!config_.pid_file.empty()) {
    pid_path_ = WritePidFile(config_.pid_file);
  }
  const std::string owned[] = {pid_path_, listener_->UnixSocketPath()};
  try {
    DropPrivileges(config_.user, owned);
  } catch (const ProcessError&) {
    RemovePidFile(pid_path_);
    throw;
  }
}

// A connection's fiber stack is unmapped when it closes, but its buffers and parsed requests go
// back to glibc's per-thread arenas, which keep them: after a burst of pipelining clients closes,
// RSS would stay at its peak. Once a second, if at least kTrimAfterClosed connections closed since
// the last trim, malloc_trim hands the free pages back (all arenas; it runs here on the main
// thread, never on a network or shard thread).
void Server::ReturnFreedMemory() {
  constexpr uint64_t kTrimAfterClosed = 64;
  uint64_t closed = 0;
  for (const net::NetworkThread* thread : thread_view_) {
    closed += thread->Stats().total_connections.Get() - thread->Stats().curr_connections.Get();
  }
  // Also once the closing has stopped: a trim that ran in the middle of a burst of closes must not
  // leave the memory of the last (< kTrimAfterClosed) connections of that burst pinned.
  const bool burst_ended = closed > closed_at_last_trim_ && closed == closed_at_last_tick_;
  closed_at_last_tick_ = closed;
  if (closed < closed_at_last_trim_ + kTrimAfterClosed && !burst_ended) {
    closed_at_last_trim_ = std::min(closed_at_last_trim_, closed);  // counters read apart
    return;
  }
  closed_at_last_trim_ = closed;
  malloc_trim(0);
}

StatsSources Server::Sources() const {
  StatsSources sources;
  sources.config = &config_;
  sources.shards = shard_view_;
  sources.threads = thread_view_;
  sources.gate = &gate_;
  sources.tls = tls_.get();
  sources.started_seconds = started_seconds_;
  sources.now_seconds = clock_.NowSeconds();
  sources.port = listener_ ? listener_->Port() : config_.port;
  sources.max_connections = static_cast<uint32_t>(gate_.max_open.load());
  sources.log_level = log_level_.load();
  sources.runtime = runtime_.get();
  sources.classes = &classes_;
  sources.baseline = baseline_.get();
  sources.prefix_stats = prefix_stats_.get();
  sources.watch = watch_->Hub();
  return sources;
}

std::optional<core::StatList> Server::Stats(std::string_view group) const {
  if (group == "proxy" && proxy_ != nullptr) {
    return proxy_->Stats();
  }
  if (group == "conns") {
    return ConnStats();
  }
  return CollectStats(Sources(), group);
}

metrics::Snapshot Server::Metrics() const {
  metrics::Snapshot snapshot = CollectSnapshot(Sources());
  if (proxy_ != nullptr) {
    AppendProxyMetrics(*proxy_, &snapshot);
  }
  return snapshot;
}

void Server::StartExporter() {
  if (!config_.metrics.enabled) {
    return;
  }
  try {
    exporter_ = std::make_unique<metrics::PrometheusExporter>(config_.metrics.listen,
                                                              [this] { return Metrics(); });
  } catch (const metrics::MetricsBindError& e) {
    throw net::BindError(e.what());  // main exits 71, as for the memcached port
  }
  core::Log::Info("metrics on http://" + config_.metrics.listen + "/metrics");
}

void Server::Reload() {
  if (!reload_) {
    core::Log::Warn("SIGHUP: no configuration source; nothing reloaded");
    return;
  }
  config::ParseResult parsed = reload_();
  if (parsed.action != config::Action::kRun) {
    std::string error = parsed.error.empty() ? parsed.output : parsed.error;
    constexpr std::string_view kPrefix = "corecached: ";
    if (error.starts_with(kPrefix)) {
      error.erase(0, kPrefix.size());
    }
    while (!error.empty() && error.back() == '\n') {
      error.pop_back();
    }
    core::Log::Error("SIGHUP: configuration not reloaded, the running one stays: " + error);
    return;
  }
  Apply(parsed.config);
}

void Server::ReloadAuth() {
  // auth.file is re-read on every SIGHUP (a changed path needs a restart: see Apply).
  for (auto& thread : threads_) {
    std::string error;
    if (!thread->ReloadAuth(&error)) {
      core::Log::Error("SIGHUP: auth.file not reloaded, the old users stay: " + error);
      return;
    }
  }
}

void Server::ReloadTls() {
  if (tls_) {
    std::string error;
    if (tls_->Reload(&error)) {
      core::Log::Info("SIGHUP: TLS certificates reloaded");
    } else {
      core::Log::Error("SIGHUP: TLS certificates not reloaded, the old ones stay: " + error);
    }
  }
}

std::string Server::RefreshCerts() {
  // Reads the certificate files on the asking network thread, as memcached does: a few KiB,
  // from an operator's command, not on the request path of other commands.
  std::string error;
  if (tls_->Reload(&error)) {
    core::Log::Info("refresh_certs: TLS certificates reloaded");
    return "OK";
  }
  core::Log::Error("refresh_certs: TLS certificates not reloaded, the old ones stay: " + error);
  return error;
}

void Server::Apply(const config::Config& next) {
  ReloadAuth();
  ReloadTls();
  std::size_t applied = 0;
  for (const config::KeyChange& change : config::ChangedKeys(applied_, next)) {
    const std::string what = change.key + " " + change.before + " -> " + change.after;
    if (change.key == "max_connections") {
      // Takes effect at the next accept; open connections above a lowered limit stay open.
      gate_.max_open.store(next.max_connections);
      applied_.max_connections = next.max_connections;
    } else if (change.key == "log_level" || change.key == "verbosity") {
      applied_.log_level = next.log_level;
      applied_.verbosity = next.verbosity;
      log_level_.store(next.log_level);
      runtime_->verbosity.store(next.verbosity);
      core::Log::SetLevel(LogSeverityFor(next));
    } else {
      core::Log::Warn("SIGHUP: " + what + " cannot change at run time; restart to apply it");
      continue;
    }
    core::Log::Info("SIGHUP: " + what);
    ++applied;
  }
  core::Log::Info("SIGHUP: configuration reloaded, " + std::to_string(applied) +
                  " setting(s) changed");
}

void Server::StartThreads() {
  watch_->Start();
  for (auto& t : threads_) {
    t->Start();
  }
}

void Server::StopThreads() {
  // Every thread first stops accepting and lets its connections finish; each thread's shard keeps
  // answering the others' connections until all of them are gone (Shard::MayStop), then flushes
  // its cold tier on its own thread. Only then does any thread exit.
  for (auto& t : threads_) {
    t->RequestStop();
  }
  for (auto& t : threads_) {
    t->Join();
  }
  watch_->Stop();
}

void Server::WritePortFile() const {
  if (listener_->Port() == 0) {
    return;  // no TCP (-s, -p 0): memcached writes no "TCP INET" line either
  }
  // memcached's test convention (testapp.c): MEMCACHED_PORT_FILENAME names a file that receives
  // "TCP INET: <port>", written to a temporary name and renamed so readers never see half of it.
  // Start-up only, and nothing in the process calls setenv.
  const char* path = std::getenv("MEMCACHED_PORT_FILENAME");  // NOLINT(concurrency-mt-unsafe)
  if (path == nullptr) {
    return;
  }
  std::string tmp = std::string(path) + ".lck";
  {
    std::ofstream out(tmp);
    out << "TCP INET: " << listener_->Port() << "\n";
  }
  std::rename(tmp.c_str(), path);
}

}  // namespace corecached::server
