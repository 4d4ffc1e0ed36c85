// Session: a `watch` connection (memcached's conn_watch). Once it answers OK the connection only
// receives log lines: memcached hands it to its logger thread and never back; here its fiber
// stays on its network thread, writing what the collector put in its WatchHub ring, and ends the
// connection when the client leaves (or the server stops).
#include <chrono>
#include <string>

#include "core/watch_log.h"
#include "net/session.h"
#include "proto/admin.h"

namespace corecached::net {

namespace {
// How often the watcher's ring is emptied onto the socket; the read that waits this long also
// notices a client that left.
constexpr std::chrono::milliseconds kWatchPoll{10};
// Input a watcher sends is read and ignored (memcached does not parse it either).
constexpr std::size_t kWatchReadChunk = 4096;
}  // namespace

bool Session::RunWatch(const proto::Request& req) {
  core::WatchHub::Watcher* watcher =
      env_.watch != nullptr ? env_.watch->AddWatcher(req.admin.watch_mask) : nullptr;
  if (watcher == nullptr) {
    proto::EncodeAdmin(req, proto::AdminOutcome::kWatcherTooMany, &w_->out);
    return true;
  }
  // logger_add_watcher puts "OK\r\n" in the watcher's buffer whether or not noreply was given.
  proto::AppendWatchOk(&w_->out);
  watching_ = true;
  bool open = Flush();
  std::string ignored;
  while (open) {
    env_.watch->Take(watcher, &w_->out);
    if (!Flush()) {
      break;
    }
    ignored.clear();
    const SocketIo::Status s =
        io_->Read(&ignored, kWatchReadChunk, std::chrono::steady_clock::now() + kWatchPoll);
    open = s == SocketIo::Status::kOk || s == SocketIo::Status::kTimeout;
  }
  env_.watch->RemoveWatcher(watcher);
  return false;  // the connection ends with its watch
}

}  // namespace corecached::net
