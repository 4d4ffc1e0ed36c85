#include "net/watch_collector.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>

#include "core/thread_name.h"
#include "proto/admin.h"
#include "proto/replies.h"

namespace corecached::net {

namespace {
constexpr std::chrono::microseconds kMinSleep{1000};
constexpr std::chrono::microseconds kMaxSleep{100'000};
}  // namespace

WatchCollector::~WatchCollector() { Stop(); }

void WatchCollector::Start() {
  running_.store(true);
  thread_ = std::thread([this] { Run(); });
}

void WatchCollector::Stop() {
  running_.store(false);
  hub_.WakeCollector();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void WatchCollector::Run() {
  core::NameThisThread("cc-watch");
  const core::WatchHub::Formatter format = &proto::AppendWatchLine;
  std::chrono::microseconds sleep = kMinSleep;
  while (running_.load()) {
    const std::size_t events =
        hub_.Collect(format, proto::replies::kTextWatchSkippedPrefix, running_);
    // logger.c: the sleep grows by an eighth while idle and halves when there was work.
    sleep = events == 0 ? std::min(kMaxSleep, sleep + sleep / 8) : std::max(kMinSleep, sleep / 2);
    std::this_thread::sleep_for(sleep);
  }
}

void LogConnEvent(core::WatchHub* hub, int fd, core::WatchEvent::Kind kind,
                  core::WatchEvent::CloseReason reason) {
  core::WatchEvent e;
  e.kind = kind;
  e.reason = reason;
  e.cfd = fd;
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    addr.ss_family = AF_UNSPEC;
  }
  if (addr.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &in->sin_addr, e.peer.data(), static_cast<socklen_t>(e.peer.size()));
    e.port = ntohs(in->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, e.peer.data(), static_cast<socklen_t>(e.peer.size()));
    e.port = ntohs(in6->sin6_port);
  } else {
    e.unix_socket = true;  // logger.c: AF_UNIX and AF_UNSPEC print rip=unix
  }
  hub->Log(core::kWatchConnEvents, e, {});
}

}  // namespace corecached::net
