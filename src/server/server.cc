#include "server/server.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <utility>

#include "server/module_options.h"
#include "server/signals.h"
#include "server/stats_collector.h"

namespace corecached::server {

Server::Server(config::Config config)
    : config_(std::move(config)),
      clock_(core::SystemClock::Instance()),
      started_seconds_(clock_.NowSeconds()) {
  gate_.max_open.store(config_.max_connections);
  const uint32_t shard_count = ShardCount(config_);
  for (uint32_t s = 0; s < shard_count; ++s) {
    shards_.push_back(std::make_unique<shard::Shard>(
        s, ShardOptionsFor(config_, s, shard_count), config_.network_threads, clock_,
        started_seconds_));
    shard_ptrs_.push_back(shards_.back().get());
  }
  for (uint32_t t = 0; t < config_.network_threads; ++t) {
    net::SessionEnv env;
    env.shards = shard_ptrs_;
    env.producer = t;
    env.parser.max_item_size = static_cast<std::size_t>(config_.max_item_size_bytes);
    env.version = kProtocolVersion;
    env.enable_shutdown = config_.enable_shutdown;
    env.idle_timeout = std::chrono::seconds(config_.idle_timeout_s);
    env.max_input_bytes = MaxInputBytes(config_);
    env.stats = [this](std::string_view group) { return Stats(group); };
    env.request_shutdown = [this] { RequestStop(); };
    threads_.push_back(
        std::make_unique<net::NetworkThread>(NetworkThreadOptionsFor(config_), env, &gate_));
  }
}

Server::~Server() { StopThreads(); }

void Server::Run() {
  base_ = runtime::NewEventBase();
  // Before anything else, so a SIGTERM during start-up still stops the server cleanly.
  SignalHandlers signals(base_.get(), [this] { RequestStop(); });
  std::vector<net::NetworkThread*> threads;
  for (auto& t : threads_) {
    threads.push_back(t.get());
  }
  listener_ = std::make_unique<net::Listener>(base_.get(), ListenerOptionsFor(config_),
                                              std::move(threads), &gate_);
  StartThreads();
  WritePortFile();
  auto on_stop = [](evutil_socket_t, short, void* arg) {
    auto* self = static_cast<Server*>(arg);
    self->stop_waker_.Drain();
    event_base_loopbreak(self->base_.get());
  };
  runtime::EventPtr stop_event(
      event_new(base_.get(), stop_waker_.fd(), EV_READ | EV_PERSIST, on_stop, this));
  event_add(stop_event.get(), nullptr);
  if (config_.verbosity > 0) {
    std::cerr << "corecached " << CORECACHED_VERSION << ": listening on " << config_.listen << ":"
              << listener_->port() << ", " << shards_.size() << " shards, "
              << threads_.size() << " network threads\n";
  }
  event_base_dispatch(base_.get());
  listener_->Close();
  StopThreads();
}

std::optional<core::StatList> Server::Stats(std::string_view group) const {
  std::vector<const shard::Shard*> shards(shards_.size());
  for (std::size_t i = 0; i < shards_.size(); ++i) {
    shards[i] = shards_[i].get();
  }
  std::vector<const net::NetworkThread*> threads(threads_.size());
  for (std::size_t i = 0; i < threads_.size(); ++i) {
    threads[i] = threads_[i].get();
  }
  StatsSources sources;
  sources.config = &config_;
  sources.shards = shards;
  sources.threads = threads;
  sources.gate = &gate_;
  sources.started_seconds = started_seconds_;
  sources.now_seconds = clock_.NowSeconds();
  sources.port = listener_ ? listener_->port() : config_.port;
  return CollectStats(sources, group);
}

void Server::StartThreads() {
  for (auto& s : shards_) {
    s->Start();
  }
  for (auto& t : threads_) {
    t->Start();
  }
}

void Server::StopThreads() {
  // Producers first: once every network thread has joined, nothing submits to a shard any more.
  for (auto& t : threads_) {
    t->Stop();
  }
  for (auto& s : shards_) {
    s->Stop();
  }
}

void Server::WritePortFile() const {
  // memcached's test convention (testapp.c): MEMCACHED_PORT_FILENAME names a file that receives
  // "TCP INET: <port>", written to a temporary name and renamed so readers never see half of it.
  const char* path = std::getenv("MEMCACHED_PORT_FILENAME");
  if (path == nullptr) {
    return;
  }
  std::string tmp = std::string(path) + ".lck";
  {
    std::ofstream out(tmp);
    out << "TCP INET: " << listener_->port() << "\n";
  }
  std::rename(tmp.c_str(), path);
}

}  // namespace corecached::server
