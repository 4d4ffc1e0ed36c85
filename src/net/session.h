#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/executor.h"
#include "core/runtime_settings.h"
#include "core/stat_list.h"
#include "core/watch_log.h"
#include "net/authenticator.h"
#include "net/net_stats.h"
#include "net/prefix_stats.h"
#include "net/socket_io.h"
#include "net/tls_context.h"
#include "proto/binary_sasl.h"
#include "proto/codec.h"
#include "proto/request.h"

namespace corecached::net {

struct SessionWork;

// What every session on a network thread shares. Owned by the NetworkThread; outlives its sessions.
struct SessionEnv {
  // Makes each session's Executor (the local shards, or upstream servers). Outlives the sessions.
  core::ExecutorFactory* executors = nullptr;
  // The thread's working state (buffers, round vectors, executor) kept from connections that went
  // idle, reused by the next connection that wakes (a one-request-at-a-time client goes idle after
  // every request: without this each request would allocate and free its buffers and a Router).
  // Owned by the NetworkThread; thread: owning network thread. nullptr: none kept.
  std::vector<std::unique_ptr<SessionWork>>* spare_work = nullptr;
  std::size_t thread = 0;  // the network thread's index, handed to ExecutorFactory::Make
  proto::ParserOptions parser;
  std::string version;
  bool enable_shutdown = false;
  std::chrono::seconds idle_timeout{0};  // 0 = never
  // memcached -R: requests of one connection served per round (at most kMaxRequestsPerRound).
  std::size_t max_reqs_per_event = 256;
  // Bound on buffered, unparsed input: one request line plus the largest value (plus slack).
  std::size_t max_input_bytes = 0;
  // Bound on encoded, unsent replies (max_connection_output). Past it the session writes before it
  // encodes more, and sizes its rounds so that one round's replies stay near it.
  std::size_t max_output_bytes = std::size_t{4} * 1024 * 1024;
  // Issue #10: Run() returns kIdle instead of parking when the socket has nothing to read and
  // every buffer is empty, so the connection can wait with no fiber (and no buffers). Off when
  // idle_timeout is set (the parked read carries that deadline) and in tests that run to EOF.
  bool release_when_idle = false;
  // A client whose socket accepts no byte of our replies for this long is dropped.
  std::chrono::milliseconds slow_client_timeout{30'000};
  // -Y / auth.file: connections must authenticate first: text connections with memcached 1.6's
  // `set <user> <password>`, binary ones with SASL PLAIN (memcached -S). nullptr = no
  // authentication. Outlives the sessions.
  const Authenticator* auth = nullptr;
  // `stats <group>`: nullopt for a group the server does not have. Called on this thread.
  std::function<std::optional<core::StatList>(std::string_view group)> stats;
  std::function<void()> request_shutdown;  // `shutdown` with -A
  // `refresh_certs` with -Z: reloads the certificates; returns the reply line (memcached's "OK"
  // or its error text, without "\r\n"). Empty function = no TLS. Called on this thread.
  std::function<std::string()> refresh_certs;
  NetStats* net_stats = nullptr;
  // Admin commands change these (owned by the Server, outlives the sessions).
  core::RuntimeSettings* settings = nullptr;
  PrefixStats* prefix_stats = nullptr;  // `stats detail on`: counted here (owned by the Server)
  // `watch`: the server's log hub (owned by the Server, outlives the sessions); nullptr = none.
  core::WatchHub* watch = nullptr;
  // -Z: the server's TLS context (TLS listeners' handshakes, refresh_certs); nullptr = no TLS.
  // Owned by the Server; outlives the sessions.
  TlsContext* tls = nullptr;
};

// One parsed request and where its results are.
struct PendingRequest {
  proto::Request request;
  uint32_t first_slot = 0;
  uint32_t slot_count = 0;
};

// What a session needs only while it serves requests: the input and output buffers, the round's
// requests, slots and results, and the executor. An idle connection gives it back to its thread's
// spare pool (SessionEnv::spare_work), so an idle connection keeps only its Session (issue #10:
// RSS per idle connection) and a busy thread reuses warm buffers instead of allocating them per
// request. Owner: one Session while it serves, else the pool. Thread: owning network thread.
struct SessionWork {
  std::string in;
  std::string out;
  std::vector<PendingRequest> round;
  std::vector<core::Executor::Slot> slots;
  std::vector<core::Result> gathered;
  // Made at the first keyed request (the thread's executor factory), kept with the buffers.
  std::unique_ptr<core::Executor> executor;
};

// Session is one connection's request loop: read, parse every complete request (text, meta or
// binary), hand them to its core::Executor in one round, encode the replies in request order, write
// them in one go. It knows proto/ and the Executor seam, never the shards (pelikan's process.c,
// dragonfly's McTypeToCmdName; issue #10).
//
// Owner: the connection (a heap object that outlives each of its fibers). Thread: owning network
// thread; Run() only inside a fiber. `io` and `env` outlive it. Everything a connection must keep
// between requests (protocol, authentication, a value still to swallow) lives here, not on a fiber
// stack.
class Session {
 public:
  enum class RunResult : uint8_t {
    kClosed,  // the client left, asked to close, misbehaved past repair, or was kicked
    kIdle,    // nothing to read, nothing unsent, buffers released (env.release_when_idle only)
  };
  Session(SocketIo* io, const SessionEnv& env);
  // Serves until the connection closes or (release_when_idle) goes idle; call again when the
  // socket is readable.
  RunResult Run();
  // A `watch` connection (stats conns: conn_watch).
  [[nodiscard]] bool Watching() const { return watching_; }
  // Why Run() returned kClosed, for the watch conn_close line (memcached's close_reason): normal
  // when the client closed or sent quit, idle_timeout, else error (a protocol or socket error).
  [[nodiscard]] core::WatchEvent::CloseReason CloseReason() const { return close_reason_; }

 private:
  using Pending = PendingRequest;
  // Fewer requests per round would cost more shard hops; more would grow the reply buffer. 256
  // small requests are ~10 KiB of replies; large values are bounded by max_input_bytes per read.
  static constexpr std::size_t kMaxRequestsPerRound = 256;
  static constexpr std::size_t kReadChunk = std::size_t{64} * 1024;
  // Garbage: after this many malformed requests in a row the connection is closed (issue #6).
  // memcached keeps going; 64 is far past any client's honest mistakes (memcached's own
  // t/bogus-commands pipelines 19 in a row and expects every reply).
  static constexpr uint32_t kMaxConsecutiveErrors = 64;
  // Buffers grown past this (a large value, a large round) are released once empty, so 10,000
  // idle connections do not each keep their high-water mark.
  static constexpr std::size_t kKeepBufferBytes = std::size_t{64} * 1024;

  // Parses and plans up to kMaxRequestsPerRound requests; returns false when nothing is complete.
  bool ParseRound();
  // An unauthenticated text connection's request: refusals, or the credentials `set`.
  bool ParseAuthRound();
  // What GateBinary did with the packet at the front of the input.
  enum class Gate : uint8_t { kPass, kNeedMore, kPlanned };
  // A binary connection of a server with authentication: SASL requests, and the refusal of every
  // other request until the connection has authenticated.
  Gate GateBinary(std::string_view view);
  void CountAuth(bool accepted);
  [[nodiscard]] std::size_t RoundLimit() const;
  void Plan(proto::Request request);
  bool DiscardSwallowed();
  // Encodes the round's replies, writing whenever unsent output reaches its bound. False when a
  // write failed (the connection is gone or too slow).
  bool EncodeRound();
  void EncodeOne(Pending& pending);
  void EncodeReply(Pending& pending);
  RunResult ServeRounds();
  // -vv (verbosity >= 2): memcached's request and reply lines on stderr (net/verbose_log.h).
  [[nodiscard]] bool Verbose() const;
  void LogRequest(std::string_view consumed);
  // Admin commands (admin_session.cc). RunAdmin executes one; REQUIRES: it ends its round (its
  // dump rounds reuse the Router). False when a write failed.
  bool RunAdmin(const proto::Request& req, bool first_in_round);
  bool StreamDump(const proto::Request& req);
  bool DumpShard(const proto::Request& req, uint32_t shard, std::size_t* listed_bytes,
                 std::size_t* listed_items, bool* more_shards);
  void SetMemoryLimit(uint64_t bytes);
  // `watch` (watch_session.cc): serves the log stream until the client leaves. False when the
  // watch ran (the connection ends with it); true when it was refused (a reply was encoded).
  bool RunWatch(const proto::Request& req);
  void RunShutdown(const proto::Request& req);
  enum class Read : uint8_t { kOk, kIdle, kClosed };
  Read ReadMore();
  bool Flush();
  // Going idle: gives the working state back to the thread's spare pool (an idle connection keeps
  // only this object). TakeWork: the working state for a Run(), from the pool or new.
  void ReleaseBuffers();
  void TakeWork();
  core::Executor& Executor();

  SocketIo* io_;
  const SessionEnv& env_;
  proto::Codec codec_;
  // While serving: taken from the thread's spare pool (or made) when Run() starts, given back when
  // the connection goes idle (ReleaseBuffers). nullptr while idle.
  std::unique_ptr<SessionWork> w_;
  std::size_t in_pos_ = 0;
  uint64_t swallow_ = 0;
  std::size_t avg_reply_bytes_ = 64;  // EWMA of the bytes a request's reply takes
  uint32_t consecutive_errors_ = 0;
  core::WatchEvent::CloseReason close_reason_ = core::WatchEvent::CloseReason::kError;
  bool close_ = false;
  bool watching_ = false;
  bool authenticated_ = false;
  bool logged_protocol_ = false;  // -vv: "fd: Client using the ascii protocol" printed
  bool logged_open_ = false;      // -vv: the connection's open line printed (once, not per fiber)
  proto::SaslServer sasl_;
};

}  // namespace corecached::net
