#include "net/session.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/fiber/all.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "core/executor.h"
#include "net/socket_io.h"
#include "runtime/event_base.h"
#include "runtime/fiber_scheduler.h"

// Session through the execution seam (issue #10): a fake core::Executor with `parts` parts and a
// std::map for a store, so these tests see what Session asks of an executor (order, broadcast,
// rounds) and how it encodes what it gets back (kBusy included), with no shard in the process.
// The socket is one end of a socketpair: the test writes the whole client conversation, shuts
// down its write side, then runs the Session on a fiber until it sees EOF and reads the replies.

namespace corecached::net {
namespace {

class FakeExecutor final : public core::Executor {
 public:
  explicit FakeExecutor(std::size_t parts) : parts_(parts) {}

  Slot Add(core::Command cmd) override {
    added_keys.push_back(cmd.key);
    const auto part = static_cast<uint32_t>(cmd.hash.ShardBits() % parts_.size());
    parts_[part].push_back(std::move(cmd));
    return Slot{part, static_cast<uint32_t>(parts_[part].size() - 1)};
  }
  void Broadcast(const core::Command& cmd, std::vector<Slot>* slots) override {
    ++broadcasts;
    for (uint32_t p = 0; p < parts_.size(); ++p) {
      parts_[p].push_back(cmd);
      slots->push_back(Slot{p, static_cast<uint32_t>(parts_[p].size() - 1)});
    }
  }
  void ExecuteRound() override {
    ++rounds;
    results_.assign(parts_.size(), {});
    for (std::size_t p = 0; p < parts_.size(); ++p) {
      for (const core::Command& cmd : parts_[p]) {
        results_[p].push_back(Execute(cmd));
      }
    }
  }
  core::Result& ResultAt(Slot slot) override { return results_[slot.part][slot.index]; }
  void Reset() override {
    for (auto& part : parts_) {
      part.clear();
    }
    results_.clear();
  }
  [[nodiscard]] std::size_t Pending() const override {
    std::size_t n = 0;
    for (const auto& part : parts_) {
      n += part.size();
    }
    return n;
  }

  // What the test inspects afterwards (one thread: the test's own).
  std::vector<std::string> added_keys;
  int broadcasts = 0;
  int rounds = 0;
  uint32_t busy_ms = 0;  // != 0: every command is shed with this hint
  std::map<std::string, std::string> store;

 private:
  core::Result Execute(const core::Command& cmd) {
    core::Result r;
    if (busy_ms != 0) {
      r.outcome = core::Outcome::kBusy;
      r.retry_after_ms = busy_ms;
      return r;
    }
    switch (cmd.op) {
      case core::Op::kSet:
        store[cmd.key] = cmd.value;
        r.outcome = core::Outcome::kStored;
        break;
      case core::Op::kGet:
        if (auto it = store.find(cmd.key); it != store.end()) {
          r.outcome = core::Outcome::kHit;
          r.value = it->second;
        }
        break;
      case core::Op::kFlushAll:
        store.clear();
        r.outcome = core::Outcome::kOk;
        break;
      default:
        r.outcome = core::Outcome::kNotFound;
        break;
    }
    return r;
  }

  std::vector<std::vector<core::Command>> parts_;
  std::vector<std::vector<core::Result>> results_;
};

// Hands out one FakeExecutor and keeps a pointer to it for the test.
class FakeFactory final : public core::ExecutorFactory {
 public:
  explicit FakeFactory(std::size_t parts, uint32_t busy_ms = 0)
      : parts_(parts), busy_ms_(busy_ms) {}
  std::unique_ptr<core::Executor> Make(std::size_t /*thread*/) override {
    auto executor = std::make_unique<FakeExecutor>(parts_);
    executor->busy_ms = busy_ms_;
    last = executor.get();
    ++made;
    return executor;
  }
  FakeExecutor* last = nullptr;  // valid while the Session that asked for it lives
  int made = 0;                  // executors made so far

 private:
  std::size_t parts_;
  uint32_t busy_ms_;
};

struct Conversation {
  std::string replies;
  std::vector<std::string> added_keys;
  int broadcasts = 0;
  int rounds = 0;
};

// Runs one Session over a socketpair: `input` is everything the client sends before it closes its
// write side. Each run gets a fresh thread, so each gets its own fiber scheduler.
Conversation Converse(const std::string& input, FakeFactory* factory) {
  Conversation conv;
  std::thread([&] {
    int fds[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    REQUIRE(write(fds[1], input.data(), input.size()) == static_cast<ssize_t>(input.size()));
    shutdown(fds[1], SHUT_WR);
    fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    runtime::EventBasePtr base = runtime::NewEventBase();
    runtime::RemoteWake wake;
    boost::fibers::use_scheduling_algorithm<runtime::LoopScheduler>(base.get(), &wake);
    NetStats stats;
    SessionEnv env;
    env.executors = factory;
    env.max_input_bytes = 1 << 20;
    env.net_stats = &stats;
    env.version = "1.6.18-test";
    env.stats = [](std::string_view) { return std::optional<core::StatList>(); };
    boost::fibers::fiber([&] {
      SocketIo io(fds[0], base.get());  // closes fds[0]
      Session session(&io, env);
      session.Run();
      conv.added_keys = factory->last->added_keys;
      conv.broadcasts = factory->last->broadcasts;
      conv.rounds = factory->last->rounds;
    }).join();
    char buf[4096];
    for (ssize_t n = 0; (n = read(fds[1], buf, sizeof buf)) > 0;) {
      conv.replies.append(buf, static_cast<std::size_t>(n));
    }
    close(fds[1]);
  }).join();
  return conv;
}

}  // namespace

TEST_CASE("Session: text set then get through the executor") {
  FakeFactory factory(2);
  Conversation c = Converse("set k 0 0 2\r\nhi\r\nget k\r\nget nope\r\n", &factory);
  CHECK(c.replies == "STORED\r\nVALUE k 0 2\r\nhi\r\nEND\r\nEND\r\n");
  CHECK(c.added_keys == std::vector<std::string>{"k", "k", "nope"});
  // One read, one round: the set, both gets and their replies travel together.
  CHECK(c.rounds == 1);
}

TEST_CASE("Session: a multi-get answers in request order whatever part each key lives on") {
  FakeFactory factory(4);
  std::string input;
  std::string expected;
  std::string get = "get";
  std::string get_reply;
  for (int i = 0; i < 20; ++i) {
    const std::string key = "key" + std::to_string(i);
    const std::string value = "v" + std::to_string(i * 7);
    input += "set " + key + " 0 0 " + std::to_string(value.size()) + "\r\n" + value + "\r\n";
    expected += "STORED\r\n";
  }
  // Asked in reverse order, with a miss in the middle: the reply follows the request.
  for (int i = 19; i >= 0; --i) {
    const std::string key = "key" + std::to_string(i);
    const std::string value = "v" + std::to_string(i * 7);
    get += " " + key + (i == 10 ? " missing" : "");
    get_reply += "VALUE " + key + " 0 " + std::to_string(value.size()) + "\r\n" + value + "\r\n";
  }
  Conversation c = Converse(input + get + "\r\n", &factory);
  CHECK(c.replies == expected + get_reply + "END\r\n");
  REQUIRE(c.added_keys.size() == 41);
  CHECK(c.added_keys[20] == "key19");
  CHECK(c.added_keys[30] == "missing");
}

TEST_CASE("Session: flush_all is broadcast to every part and answered once") {
  FakeFactory factory(3);
  Conversation c = Converse("set a 1 0 1\r\nx\r\nflush_all\r\nget a\r\n", &factory);
  CHECK(c.replies == "STORED\r\nOK\r\nEND\r\n");
  CHECK(c.broadcasts == 1);
}

TEST_CASE("Session: kBusy from the executor becomes the busy reply with its hint") {
  FakeFactory factory(2, 7);
  Conversation c =
      Converse("get a b\r\nset a 0 0 1\r\nx\r\nset b 0 0 1 noreply\r\ny\r\n", &factory);
  // A shed multi-get is one SERVER_ERROR line; a shed noreply set says nothing (memcached's
  // out_string drops every reply of a noreply line, errors included: text_encoder.cc).
  CHECK(c.replies == "SERVER_ERROR busy, retry in 7 ms\r\nSERVER_ERROR busy, retry in 7 ms\r\n");
}

TEST_CASE("Session: binary get of a shed key answers status 0x0086") {
  FakeFactory factory(1, 3);
  // Binary GET (opcode 0x00), key "ab", opaque 0x01020304.
  std::string req("\x80\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x02\x01\x02\x03\x04", 16);
  req += std::string(8, '\0') + "ab";
  Conversation c = Converse(req, &factory);
  REQUIRE(c.replies.size() >= 24);
  CHECK(static_cast<unsigned char>(c.replies[0]) == 0x81);
  CHECK(static_cast<unsigned char>(c.replies[6]) == 0x00);
  CHECK(static_cast<unsigned char>(c.replies[7]) == 0x86);
  CHECK(c.replies.substr(24) == "busy, retry in 3 ms");
}

TEST_CASE("Session: nothing after quit reaches the executor") {
  FakeFactory factory(2);
  Conversation c = Converse("get k1 k2\r\nquit\r\nget never\r\n", &factory);
  CHECK(c.replies == "END\r\n");
  CHECK(c.added_keys == std::vector<std::string>{"k1", "k2"});
}

namespace {

// Reads what the session wrote so far (the client end is non-blocking).
std::string Drain(int fd) {
  std::string got;
  char buf[4096];
  for (ssize_t n = 0; (n = read(fd, buf, sizeof buf)) > 0;) {
    got.append(buf, static_cast<std::size_t>(n));
  }
  return got;
}

// Sessions with release_when_idle on one thread's loop (`base`: the fiber scheduler's) sharing one
// spare pool, as a NetworkThread runs them: each Serve(i, input) writes `input` from session i's
// client end, runs the session until it goes idle, and returns its replies.
struct IdleRig {
  IdleRig(std::size_t sessions, FakeFactory* factory, event_base* base) {
    env.executors = factory;
    env.max_input_bytes = 1 << 20;
    env.net_stats = &stats;
    env.version = "1.6.18-test";
    env.release_when_idle = true;
    env.spare_work = &spare;
    env.stats = [](std::string_view) { return std::optional<core::StatList>(); };
    for (std::size_t i = 0; i < sessions; ++i) {
      int fds[2];
      REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
      fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
      fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK);
      client.push_back(fds[1]);
      io.push_back(std::make_unique<SocketIo>(fds[0], base));
      session.push_back(std::make_unique<Session>(io.back().get(), env));
    }
  }
  ~IdleRig() {
    session.clear();
    io.clear();
    spare.clear();
    for (int fd : client) {
      close(fd);
    }
  }
  IdleRig(const IdleRig&) = delete;
  IdleRig& operator=(const IdleRig&) = delete;

  std::string Serve(std::size_t i, const std::string& input) {
    REQUIRE(write(client[i], input.data(), input.size()) == static_cast<ssize_t>(input.size()));
    // In a network thread only the socket's readable edge starts an idle connection's fiber: let
    // the loop deliver it (SocketIo trusts a short read to have drained the socket until then).
    boost::this_fiber::sleep_for(std::chrono::milliseconds(2));
    Session::RunResult result = Session::RunResult::kClosed;
    boost::fibers::fiber([&] { result = session[i]->Run(); }).join();
    CHECK(result == Session::RunResult::kIdle);
    return Drain(client[i]);
  }

  NetStats stats;
  SessionEnv env;
  std::vector<std::unique_ptr<SessionWork>> spare;
  std::vector<int> client;
  std::vector<std::unique_ptr<SocketIo>> io;
  std::vector<std::unique_ptr<Session>> session;
};

// Runs `body` on a fresh thread whose fiber scheduler is a LoopScheduler over `loop`, as a
// network thread's (a busy fiber yield would starve its sockets: sleep instead).
// The loop and its wake outlive the thread: the scheduler that uses them is destroyed at thread
// exit.
void OnLoopThread(const std::function<void(event_base* loop)>& body) {
  runtime::EventBasePtr loop = runtime::NewEventBase();
  runtime::RemoteWake wake;
  std::thread([&] {
    boost::fibers::use_scheduling_algorithm<runtime::LoopScheduler>(loop.get(), &wake);
    body(loop.get());
  }).join();
}

}  // namespace

TEST_CASE("Session: an idle session gives its buffers and executor to the thread's pool") {
  OnLoopThread([](event_base* loop) {
    FakeFactory factory(2);
    IdleRig rig(2, &factory, loop);
    CHECK(rig.Serve(0, "set k 0 0 1\r\nx\r\n") == "STORED\r\n");
    REQUIRE(rig.spare.size() == 1);  // the idle session kept nothing
    CHECK(rig.spare[0]->executor != nullptr);
    CHECK(rig.spare[0]->in.empty());
    CHECK(rig.spare[0]->out.empty());
    CHECK(rig.spare[0]->round.empty());
    // Another connection on the thread takes the same working state: no new executor.
    CHECK(rig.Serve(1, "get k\r\n") == "VALUE k 0 1\r\nx\r\nEND\r\n");
    CHECK(factory.made == 1);
    CHECK(rig.spare.size() == 1);
    // The first connection wakes again and still works.
    CHECK(rig.Serve(0, "get k nope\r\n") == "VALUE k 0 1\r\nx\r\nEND\r\n");
    CHECK(factory.made == 1);
    CHECK(factory.last->added_keys.back() == "nope");
  });
}

TEST_CASE("Session: the spare pool is bounded and keeps no large buffer") {
  OnLoopThread([](event_base* loop) {
    FakeFactory factory(1);
    constexpr std::size_t kSessions = 12;
    IdleRig rig(kSessions, &factory, loop);
    // Every session holds its working state at once (the fibers park mid-value), then all go idle.
    const std::string big(200 * 1024, 'v');
    std::vector<boost::fibers::fiber> fibers;
    std::size_t idle = 0;
    for (std::size_t i = 0; i < kSessions; ++i) {
      const std::string head =
          "set big" + std::to_string(i) + " 0 0 " + std::to_string(big.size()) + "\r\n";
      REQUIRE(write(rig.client[i], head.data(), head.size()) == static_cast<ssize_t>(head.size()));
      fibers.emplace_back([&rig, &idle, i] {
        if (rig.session[i]->Run() == Session::RunResult::kIdle) {
          ++idle;
        }
      });
    }
    // Every session reads its line and waits for the value (a sleep lets the loop poll; a busy
    // yield would starve the sockets: runtime/fiber_scheduler.h).
    boost::this_fiber::sleep_for(std::chrono::milliseconds(5));
    for (std::size_t i = 0; i < kSessions; ++i) {
      const std::string tail = big + "\r\n";
      std::size_t off = 0;
      for (int tries = 0; off < tail.size() && tries < 10000; ++tries) {
        const ssize_t n = write(rig.client[i], tail.data() + off, tail.size() - off);
        if (n > 0) {
          off += static_cast<std::size_t>(n);
        } else {
          boost::this_fiber::sleep_for(std::chrono::milliseconds(1));  // the session reads
        }
      }
      REQUIRE(off == tail.size());
    }
    for (auto& f : fibers) {
      f.join();
    }
    CHECK(idle == kSessions);
    for (std::size_t i = 0; i < kSessions; ++i) {
      CHECK(Drain(rig.client[i]) == "STORED\r\n");
    }
    CHECK(factory.made == kSessions);
    CHECK(rig.spare.size() == 8);  // kMaxSpareWork: the other four were freed
    for (const auto& work : rig.spare) {
      CHECK(work->in.capacity() <= 64 * 1024);
    }
  });
}

// A SocketIo on `loop` over one end of a socketpair; fds[1] is the peer's end.
struct PeerSocket {
  // fds is initialized first (declaration order); OpenPair fills it before io takes fds[0].
  explicit PeerSocket(event_base* loop) : io(OpenPair(fds), loop) {}
  ~PeerSocket() { close(fds[1]); }
  PeerSocket(const PeerSocket&) = delete;
  PeerSocket& operator=(const PeerSocket&) = delete;
  static int OpenPair(int* out) {
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, out) == 0);
    fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
    return out[0];
  }
  int fds[2] = {-1, -1};
  SocketIo io;
};

TEST_CASE("SocketIo: a short read drains the socket; bytes after it come with the next edge") {
  OnLoopThread([](event_base* loop) {
    PeerSocket peer(loop);
    SocketIo& io = peer.io;
    const int* fds = peer.fds;
    std::string got;
    CHECK(io.TryRead(&got, 64) == SocketIo::Status::kWouldBlock);  // nothing sent yet
    REQUIRE(write(fds[1], "ab", 2) == 2);
    boost::this_fiber::sleep_for(std::chrono::milliseconds(2));  // the loop sees the edge
    CHECK(io.TryRead(&got, 64) == SocketIo::Status::kOk);
    CHECK(got == "ab");
    REQUIRE(write(fds[1], "cd", 2) == 2);
    // The short read took all there was; until the loop reports the new bytes no read is tried.
    CHECK(io.TryRead(&got, 64) == SocketIo::Status::kWouldBlock);
    // A read that fills `max` may have left bytes behind: the next one reads again.
    boost::this_fiber::sleep_for(std::chrono::milliseconds(2));
    CHECK(io.TryRead(&got, 1) == SocketIo::Status::kOk);
    CHECK(io.TryRead(&got, 64) == SocketIo::Status::kOk);
    CHECK(got == "abcd");
    // Read parks the fiber until the edge, then returns the bytes.
    ssize_t late_written = -1;  // doctest's assertions belong to the test's thread: checked below
    std::thread late([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      late_written = write(fds[1], "ef", 2);
    });
    CHECK(io.Read(&got, 64, std::chrono::steady_clock::now() + std::chrono::seconds(5)) ==
          SocketIo::Status::kOk);
    late.join();
    REQUIRE(late_written == 2);
    CHECK(got == "abcdef");
  });
}

TEST_CASE("SocketIo: a FIN behind the data of a short read is still read") {
  OnLoopThread([](event_base* loop) {
    PeerSocket peer(loop);
    SocketIo& io = peer.io;
    const int* fds = peer.fds;
    REQUIRE(write(fds[1], "ma k", 4) == 4);
    REQUIRE(shutdown(fds[1], SHUT_WR) == 0);
    boost::this_fiber::sleep_for(std::chrono::milliseconds(2));  // one edge: data and FIN
    std::string got;
    CHECK(io.TryRead(&got, 64) == SocketIo::Status::kOk);
    CHECK(got == "ma k");
    CHECK(io.TryRead(&got, 64) == SocketIo::Status::kEof);  // no edge comes after the read
  });
}

}  // namespace corecached::net
