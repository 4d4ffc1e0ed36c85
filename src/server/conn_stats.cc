// Server: `stats conns`, memcached's reply shape (proto_text.c process_stats_conns): for each
// socket by fd, "<fd>:addr", "<fd>:listen_addr" (connections only), "<fd>:state",
// "<fd>:secs_since_last_cmd". Each network thread lists its own connections when asked (its accept
// loop answers; network_thread_conns.cc), so no connection list is shared or locked.
#include <algorithm>
#include <boost/fiber/operations.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "server/server.h"

namespace corecached::server {

namespace {
// A thread that does not answer within this long (it is stopping) is left out of the reply.
constexpr std::chrono::milliseconds kAnswerTimeout{2000};
constexpr std::chrono::milliseconds kPoll{1};

void AddConn(const net::NetworkThread::ConnStat& c, core::StatList* out) {
  const std::string prefix = std::to_string(c.fd) + ":";
  out->emplace_back(prefix + "addr", c.addr);
  if (!c.listen_addr.empty()) {
    out->emplace_back(prefix + "listen_addr", c.listen_addr);
  }
  out->emplace_back(prefix + "state", c.state);
  out->emplace_back(prefix + "secs_since_last_cmd", std::to_string(c.secs_since_last_cmd));
}
}  // namespace

core::StatList Server::ConnStats() const {
  const auto deadline = std::chrono::steady_clock::now() + kAnswerTimeout;
  // One request at a time: each thread keeps one answer.
  while (conn_stats_busy_.exchange(true, std::memory_order_acquire)) {
    if (std::chrono::steady_clock::now() > deadline) {
      return {};
    }
    boost::this_fiber::sleep_for(kPoll);
  }
  const uint64_t ticket = conn_stats_ticket_.fetch_add(1) + 1;
  for (const auto& t : threads_) {
    t->RequestConnStats(ticket);
  }
  std::vector<net::NetworkThread::ConnStat> all;
  const int64_t uptime = clock_.NowSeconds() - started_seconds_;
  for (int fd : listen_fds_) {
    // memcached lists its listening sockets too, aged from their last accept; here from start.
    all.push_back({fd, net::SocketAddressText(fd, /*peer=*/false), "", "conn_listening", uptime});
  }
  for (const auto& t : threads_) {
    while (!t->ConnStatsReady(ticket) && std::chrono::steady_clock::now() < deadline) {
      boost::this_fiber::sleep_for(kPoll);
    }
    if (t->ConnStatsReady(ticket)) {
      const auto& listed = t->ConnStats();
      all.insert(all.end(), listed.begin(), listed.end());
    }
  }
  conn_stats_busy_.store(false, std::memory_order_release);
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.fd < b.fd; });
  core::StatList out;
  for (const auto& c : all) {
    AddConn(c, &out);
  }
  return out;
}

}  // namespace corecached::server
