#pragma once

#include <event2/event.h>
#include <netinet/in.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/command.h"
#include "core/result.h"
#include "proxy/ring.h"
#include "proxy/upstream_stats.h"
#include "runtime/event_base.h"
#include "runtime/fiber_scheduler.h"

namespace corecached::proxy {

using SteadyTime = std::chrono::steady_clock::time_point;

// The pool options that shape one server's connections (config `proxy.pools.<name>`).
struct UpstreamOptions {
  std::chrono::milliseconds timeout{250};
  uint32_t failure_limit = 2;
  std::chrono::milliseconds retry_timeout{30'000};
  uint32_t connections_per_server = 2;
};

// Waiter is one executor round's rendezvous: the round's fiber parks on `parker` until
// `remaining` reaches 0. Thread: owning network thread (fiber and callbacks share it).
struct Waiter {
  uint32_t remaining = 0;
  runtime::Parker parker;
  void Done() {
    if (--remaining == 0) {
      parker.Unpark();
    }
  }
};

// One request sent (or queued to send) on a connection. `result` and `waiter` are null for a
// mirror write, whose reply is read and dropped. The Command is kept to interpret the reply.
struct InFlight {
  const core::Command* cmd = nullptr;
  core::Result* result = nullptr;
  Waiter* waiter = nullptr;
  std::size_t bytes = 0;
  SteadyTime sent;
  std::unique_ptr<core::Command> owned;  // mirror writes own their command
  // A multi-get sent as one `gets` (cmd and result unused): its commands and their results.
  std::vector<const core::Command*> batch_cmds;
  std::vector<core::Result*> batch_results;
};

class UpstreamServer;

// UpstreamConnection is one non-blocking TCP connection to one upstream server, driven from the
// network thread's libevent loop without a fiber of its own: a persistent edge-triggered event
// calls back when the socket turns readable (replies are parsed and matched in order, waking each
// round whose last reply arrived) or writable (queued bytes are sent). Requests are pipelined: any
// number may be in flight; the executor bounds the total per thread.
//
// Owner: its UpstreamServer. Thread: owning network thread.
class UpstreamConnection {
 public:
  UpstreamConnection(event_base* base, UpstreamServer* server);
  ~UpstreamConnection();
  UpstreamConnection(const UpstreamConnection&) = delete;
  UpstreamConnection& operator=(const UpstreamConnection&) = delete;

  // Queues one request (sent by the next Flush, or when a connect completes). False when the
  // connection is down and may not reconnect yet (backoff): nothing was queued.
  bool Send(std::string_view request, InFlight entry, SteadyTime now);
  // Writes what Send queued, as far as the socket takes it (the rest on the write edge). One
  // send(2) for a whole round's requests to this server.
  void Flush();
  // For ProxyThread's deferred flush: true while this connection waits in its flush list.
  bool flush_scheduled = false;
  // Fails every request in flight with kUpstreamError, closes the socket and starts the backoff.
  // `timed_out`: count them as timeouts (else as errors).
  void Abort(bool timed_out);
  [[nodiscard]] bool Holds(const Waiter* waiter) const;
  [[nodiscard]] std::size_t InFlightCount() const { return in_flight_.size(); }

 private:
  enum class State : uint8_t { kDown, kConnecting, kUp };
  bool Connect(SteadyTime now);
  static void OnEvent(evutil_socket_t fd, short what, void* arg);
  void OnWritable();
  void OnReadable();
  void ParseReplies();
  void Complete(InFlight& entry, core::Result result);

  event_base* base_;
  UpstreamServer* server_;
  int fd_ = -1;
  State state_ = State::kDown;
  runtime::EventPtr event_;
  std::string out_;
  std::size_t out_pos_ = 0;
  std::string in_;
  std::deque<InFlight> in_flight_;
  SteadyTime next_connect_{};
  std::chrono::milliseconds backoff_{0};
};

// UpstreamServer is one upstream server as seen by one network thread: its connections, its
// health (consecutive failures, ejection) and its stats.
//
// Owner: the thread's Upstreams. Thread: owning network thread; stats() readable from any.
class UpstreamServer {
 public:
  // `addr`: the server's resolved address (resolved once, at start-up).
  // `in_flight_bytes`: the thread's count of request bytes awaiting replies (outlives this).
  UpstreamServer(event_base* base, const sockaddr_in& addr, const UpstreamOptions& options,
                 UpstreamStats* stats, std::size_t* in_flight_bytes);

  // A connection for the next request (round-robin).
  UpstreamConnection* Next();
  // Health: a failed connection or request; returns true when this failure ejected the server.
  bool RecordFailure(SteadyTime now);
  void RecordSuccess() { consecutive_failures_ = 0; }
  // True while ejected; a server whose retry timeout passed rejoins (returns false) and must
  // fail server_failure_limit times again to be ejected again.
  bool Ejected(SteadyTime now);

  [[nodiscard]] const sockaddr_in& Address() const { return addr_; }
  [[nodiscard]] const UpstreamOptions& Options() const { return options_; }
  [[nodiscard]] UpstreamStats& Stats() { return *stats_; }
  [[nodiscard]] std::size_t& InFlightBytes() { return *in_flight_bytes_; }
  // Bumped on every ejection and rejoin: the pool rebuilds its ring when it changes.
  [[nodiscard]] uint64_t MembershipEpoch() const { return membership_epoch_; }

 private:
  sockaddr_in addr_{};
  UpstreamOptions options_;
  UpstreamStats* stats_;
  std::size_t* in_flight_bytes_;
  std::vector<std::unique_ptr<UpstreamConnection>> connections_;
  std::size_t next_ = 0;
  uint32_t consecutive_failures_ = 0;
  bool ejected_ = false;
  SteadyTime ejected_until_{};
  uint64_t membership_epoch_ = 0;
};

}  // namespace corecached::proxy
