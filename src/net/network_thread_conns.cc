// NetworkThread: `stats conns`. The thread that serves `stats conns` asks every network thread for
// a list of its connections; each answers from its own accept loop (its live list is touched by no
// other thread), so the request path takes no lock and pays nothing.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include <string>

#include "net/network_thread.h"

namespace corecached::net {

int64_t CoarseSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return ts.tv_sec;
}

std::string SocketAddressText(int fd, bool peer) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  auto* sa = reinterpret_cast<sockaddr*>(&addr);
  if ((peer ? getpeername(fd, sa, &len) : getsockname(fd, sa, &len)) != 0) {
    return {};
  }
  char ip[INET6_ADDRSTRLEN] = {};
  switch (addr.ss_family) {
    case AF_INET: {
      const auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
      inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
      return std::string("tcp:") + ip + ":" + std::to_string(ntohs(in->sin_port));
    }
    case AF_INET6: {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr);
      inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
      return std::string("tcp6:[") + ip + "]:" + std::to_string(ntohs(in6->sin6_port));
    }
    case AF_UNIX: {
      const auto* un = reinterpret_cast<const sockaddr_un*>(&addr);
      const std::size_t path_bytes = len > offsetof(sockaddr_un, sun_path)
                                         ? std::size_t{len} - offsetof(sockaddr_un, sun_path)
                                         : 0;
      return "unix:" + std::string(un->sun_path, strnlen(un->sun_path, path_bytes));
    }
    default:
      return {};
  }
}

void NetworkThread::RequestConnStats(uint64_t ticket) {
  conn_stats_asked_.store(ticket, std::memory_order_release);
  inbox_waker_.Wake();  // the accept loop answers at its next turn
}

bool NetworkThread::ConnStatsReady(uint64_t ticket) const {
  return conn_stats_answered_.load(std::memory_order_acquire) == ticket;
}

void NetworkThread::AnswerConnStats() {
  const uint64_t ticket = conn_stats_asked_.load(std::memory_order_acquire);
  const int64_t now = CoarseSeconds();
  conn_stats_.clear();
  for (const Connection* conn = live_; conn != nullptr; conn = conn->next) {
    ConnStat s;
    s.fd = conn->io.Fd();
    s.addr = SocketAddressText(s.fd, /*peer=*/true);
    s.listen_addr = SocketAddressText(s.fd, /*peer=*/false);
    // memcached's states: a watcher is conn_watch, a connection being served conn_parse_cmd, an
    // idle one (no fiber, waiting for its socket) conn_read.
    s.state = conn->session.Watching() ? "conn_watch"
              : conn->running          ? "conn_parse_cmd"
                                       : "conn_read";
    s.secs_since_last_cmd = now - conn->last_active_s;
    conn_stats_.push_back(std::move(s));
  }
  conn_stats_answered_.store(ticket, std::memory_order_release);
}

}  // namespace corecached::net
