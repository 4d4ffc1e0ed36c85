#include "net/session.h"

#include <algorithm>
#include <utility>

#include "net/verbose_log.h"
#include "proto/auth.h"
#include "proto/replies.h"

namespace corecached::net {

namespace {
using TimePoint = std::chrono::steady_clock::time_point;

// Requests after which the round must end so that later requests see their effects or so that
// nothing more is read (stats reads counters; quit/shutdown end the connection).
bool EndsRound(const proto::Request& req) {
  return req.kind == proto::RequestKind::kStats || req.kind == proto::RequestKind::kQuit ||
         req.kind == proto::RequestKind::kShutdown || req.kind == proto::RequestKind::kAdmin ||
         req.close_after;
}

// Releases a buffer's memory once it is empty and grew past `keep` bytes.
void ShrinkIfLarge(std::string* buf, std::size_t keep) {
  if (buf->empty() && buf->capacity() > keep) {
    std::string().swap(*buf);
  }
}

// A round's latency is counted under the family of its first keyed command.
template <typename Round>
CommandFamily RoundFamily(const Round& round) {
  for (const auto& pending : round) {
    if (!pending.request.commands.empty()) {
      return FamilyOf(pending.request.commands.front().op);
    }
  }
  return CommandFamily::kOther;
}
}  // namespace

Session::Session(SocketIo* io, const SessionEnv& env)
    : io_(io), env_(env), codec_(env.parser), authenticated_(env.auth == nullptr) {}

Session::RunResult Session::Run() {
  if (Verbose() && !logged_open_) {
    logged_open_ = true;
    VerboseLog::Opened(io_->Fd());
  }
  TakeWork();
  const RunResult result = ServeRounds();
  if (result == RunResult::kClosed && Verbose()) {
    VerboseLog::Closed(io_->Fd());
  }
  return result;
}

bool Session::Verbose() const {
  return env_.settings != nullptr && env_.settings->verbosity.load(std::memory_order_relaxed) >= 2;
}

Session::RunResult Session::ServeRounds() {
  while (!close_) {
    if (!ParseRound()) {
      const Read read = ReadMore();
      if (read == Read::kIdle) {
        return RunResult::kIdle;
      }
      if (read == Read::kClosed) {
        return RunResult::kClosed;
      }
      continue;
    }
    if (w_->executor != nullptr && !w_->executor->empty()) {
      const auto started = std::chrono::steady_clock::now();
      w_->executor->ExecuteRound();
      env_.net_stats->latency[static_cast<std::size_t>(RoundFamily(w_->round))].Record(
          std::chrono::steady_clock::now() - started);
    }
    if (!EncodeRound() || !Flush()) {
      return RunResult::kClosed;
    }
  }
  return RunResult::kClosed;
}

core::Executor& Session::Executor() {
  if (w_->executor == nullptr) {
    w_->executor = env_.executors->Make(env_.thread);
  }
  return *w_->executor;
}

bool Session::DiscardSwallowed() {
  std::size_t available = w_->in.size() - in_pos_;
  std::size_t n = static_cast<std::size_t>(std::min<uint64_t>(swallow_, available));
  in_pos_ += n;
  swallow_ -= n;
  return swallow_ == 0;
}

std::size_t Session::RoundLimit() const {
  // Size the round so its replies stay near max_output_bytes: a client pipelining gets of large
  // values gets fewer per round, so unsent output (and the results behind it) stays bounded.
  std::size_t limit = env_.max_output_bytes / std::max<std::size_t>(avg_reply_bytes_, 1);
  return std::clamp<std::size_t>(
      limit, 1, std::clamp<std::size_t>(env_.max_reqs_per_event, 1, kMaxRequestsPerRound));
}

bool Session::ParseAuthRound() {
  std::string_view view(w_->in.data() + in_pos_, w_->in.size() - in_pos_);
  proto::AuthParse r = proto::ParseAuthRequest(view);
  proto::Request req;
  req.kind = proto::RequestKind::kError;
  switch (r.status) {
    case proto::AuthParseStatus::kNeedMore:
      return false;
    case proto::AuthParseStatus::kClose:
      req.close_after = true;
      break;
    case proto::AuthParseStatus::kReply:
      req.reply = std::string(r.reply);
      break;
    case proto::AuthParseStatus::kCredentials:
      authenticated_ = env_.auth->Check(r.user, r.password);
      CountAuth(authenticated_);
      req.reply = std::string(authenticated_ ? proto::replies::kTextStored
                                             : proto::replies::kTextAuthFailure);
      break;
  }
  in_pos_ += r.consumed;
  Plan(std::move(req));
  return true;
}

void Session::CountAuth(bool accepted) {
  env_.net_stats->auth_cmds.Add();
  if (!accepted) {
    env_.net_stats->auth_errors.Add();
  }
}

Session::Gate Session::GateBinary(std::string_view view) {
  proto::BinaryAuthParse r = proto::ParseBinaryAuth(view, authenticated_);
  proto::Request req;
  req.kind = proto::RequestKind::kError;
  switch (r.status) {
    case proto::BinaryAuthStatus::kPass:
      return Gate::kPass;
    case proto::BinaryAuthStatus::kNeedMore:
      return Gate::kNeedMore;
    case proto::BinaryAuthStatus::kReply:
      req.reply = std::move(r.reply);
      req.close_after = r.close_after;
      break;
    case proto::BinaryAuthStatus::kSasl: {
      const proto::SaslOutcome outcome = sasl_.Handle(
          r.request,
          [this](std::string_view user, std::string_view password) {
            return env_.auth->Check(user, password);
          },
          &req.reply);
      // memcached counts completed and failed exchanges, not List or an Auth waiting for a Step.
      if (outcome == proto::SaslOutcome::kAuthenticated || outcome == proto::SaslOutcome::kFailed) {
        CountAuth(outcome == proto::SaslOutcome::kAuthenticated);
      }
      authenticated_ = sasl_.Authenticated();
      break;
    }
  }
  in_pos_ += r.consumed;
  swallow_ = r.swallow;
  Plan(std::move(req));
  return Gate::kPlanned;
}

bool Session::ParseRound() {
  const std::size_t limit = RoundLimit();
  while (w_->round.size() < limit && !close_) {
    if (!DiscardSwallowed()) {
      break;
    }
    std::string_view view(w_->in.data() + in_pos_, w_->in.size() - in_pos_);
    if (env_.auth != nullptr && codec_.Detect(view) == proto::Codec::Protocol::kBinary) {
      const Gate gate = GateBinary(view);
      if (gate == Gate::kNeedMore) {
        break;
      }
      if (gate == Gate::kPlanned) {
        if (w_->round.back().request.close_after) {
          break;
        }
        continue;
      }
    } else if (!authenticated_) {
      if (!ParseAuthRound() || w_->round.back().request.close_after) {
        break;
      }
      continue;
    }
    if (view.empty()) {
      break;
    }
    proto::Request req;
    proto::ParseResult r = codec_.Parse(view, &req);
    if (r.status == proto::ParseStatus::kNeedMore) {
      break;
    }
    if (Verbose() && codec_.Spoken() == proto::Codec::Protocol::kText) {
      LogRequest(view.substr(0, r.consumed));
    }
    in_pos_ += r.consumed;
    swallow_ = req.swallow;
    if (req.refused_too_large) {
      env_.net_stats->store_too_large.Add();
    }
    // Garbage: too many malformed requests in a row end the connection after their replies.
    consecutive_errors_ = req.kind == proto::RequestKind::kError ? consecutive_errors_ + 1 : 0;
    if (consecutive_errors_ >= kMaxConsecutiveErrors) {
      req.close_after = true;
    }
    bool ends = EndsRound(req);
    Plan(std::move(req));
    if (ends) {
      break;
    }
  }
  if (w_->round.size() >= limit && in_pos_ < w_->in.size()) {
    env_.net_stats->conn_yields.Add();
  }
  return !w_->round.empty();
}

void Session::Plan(proto::Request request) {
  Pending pending;
  pending.first_slot = static_cast<uint32_t>(w_->slots.size());
  if (request.kind == proto::RequestKind::kKeyed) {
    for (core::Command& cmd : request.commands) {
      // The encoder needs the key back; the value moves to the shard.
      std::string value = std::move(cmd.value);
      core::Command routed = cmd;
      routed.value = std::move(value);
      routed.client_fd = io_->Fd();
      w_->slots.push_back(Executor().Add(std::move(routed)));
    }
  } else if (request.kind == proto::RequestKind::kFlushAll && !request.commands.empty()) {
    Executor().Broadcast(request.commands.front(), &w_->slots);
  }
  pending.slot_count = static_cast<uint32_t>(w_->slots.size()) - pending.first_slot;
  pending.request = std::move(request);
  w_->round.push_back(std::move(pending));
}

bool Session::EncodeRound() {
  std::size_t encoded = 0;
  bool ok = true;
  for (Pending& pending : w_->round) {
    const std::size_t before = w_->out.size();
    EncodeOne(pending);
    encoded += w_->out.size() - before;
    // Unsent output stays under max_output_bytes: write before encoding more.
    if (ok && w_->out.size() >= env_.max_output_bytes) {
      ok = Flush();
    }
  }
  if (!w_->round.empty()) {
    avg_reply_bytes_ = (avg_reply_bytes_ + encoded / w_->round.size() + 1) / 2;
  }
  w_->round.clear();
  w_->slots.clear();
  if (w_->executor != nullptr) {
    w_->executor->Reset();
  }
  // Reclaim consumed input so the buffer does not creep.
  if (in_pos_ == w_->in.size()) {
    w_->in.clear();
    in_pos_ = 0;
    ShrinkIfLarge(&w_->in, kKeepBufferBytes);
  }
  return ok;
}

void Session::EncodeOne(Pending& pending) {
  const std::size_t before = w_->out.size();
  EncodeReply(pending);
  if (Verbose()) {
    VerboseLog::Reply(io_->Fd(), pending.request, std::string_view(w_->out).substr(before));
  }
}

void Session::EncodeReply(Pending& pending) {
  const proto::Request& req = pending.request;
  switch (req.kind) {
    case proto::RequestKind::kKeyed:
    case proto::RequestKind::kFlushAll: {
      w_->gathered.clear();
      for (uint32_t i = 0; i < pending.slot_count; ++i) {
        w_->gathered.push_back(
            std::move(w_->executor->ResultAt(w_->slots[pending.first_slot + i])));
      }
      codec_.EncodeResults(req, w_->gathered, &w_->out);
      if (env_.prefix_stats != nullptr &&
          env_.settings->detail_enabled.load(std::memory_order_relaxed)) {
        env_.prefix_stats->Record(req, w_->gathered);
      }
      break;
    }
    case proto::RequestKind::kStats:
      if (std::optional<core::StatList> stats = env_.stats(req.arg)) {
        codec_.EncodeStats(req, *stats, &w_->out);
      } else {
        codec_.EncodeStatsUnknown(req, &w_->out);
      }
      break;
    case proto::RequestKind::kVersion:
      codec_.EncodeVersion(req, env_.version, &w_->out);
      break;
    case proto::RequestKind::kVerbosity:
      if (!req.arg.empty()) {
        env_.settings->verbosity.store(static_cast<uint32_t>(std::stoul(req.arg)),
                                       std::memory_order_relaxed);
      }
      codec_.EncodeOk(req, &w_->out);
      break;
    case proto::RequestKind::kNoop:
      codec_.EncodeOk(req, &w_->out);
      break;
    case proto::RequestKind::kQuit:
      // Text quit closes silently; binary Quit answers first (QuitQ does not: the encoder knows).
      if (codec_.Spoken() == proto::Codec::Protocol::kBinary) {
        codec_.EncodeOk(req, &w_->out);
      }
      close_ = true;
      close_reason_ = core::WatchEvent::CloseReason::kNormal;
      break;
    case proto::RequestKind::kShutdown:
      RunShutdown(req);
      break;
    case proto::RequestKind::kAdmin:
      if (!RunAdmin(req, &pending == &w_->round.front())) {
        close_ = true;
      }
      break;
    case proto::RequestKind::kRefreshCerts:
      if (env_.refresh_certs) {
        w_->out += env_.refresh_certs();
        w_->out += proto::replies::kTextCrlf;
      } else {
        w_->out += proto::replies::kTextTlsNotEnabled;
      }
      break;
    case proto::RequestKind::kError:
      w_->out += req.reply;
      break;
  }
  if (req.close_after) {
    close_ = true;
  }
}

Session::Read Session::ReadMore() {
  // Compact: move the unparsed tail to the front before reading more.
  if (in_pos_ > 0) {
    w_->in.erase(0, in_pos_);
    in_pos_ = 0;
  }
  if (w_->in.size() >= env_.max_input_bytes) {
    // The parsers bound lines and values themselves; this is the last line of defence.
    return Read::kClosed;
  }
  std::size_t room = std::min(kReadChunk, env_.max_input_bytes - w_->in.size());
  const std::size_t before = w_->in.size();
  SocketIo::Status s = SocketIo::Status::kWouldBlock;
  if (env_.release_when_idle && w_->in.empty() && w_->out.empty()) {
    // Nothing half-read and nothing unsent: if the socket has nothing either, end the fiber.
    s = io_->TryRead(&w_->in, room);
    if (s == SocketIo::Status::kWouldBlock) {
      ReleaseBuffers();
      return Read::kIdle;
    }
  } else {
    TimePoint deadline = env_.idle_timeout.count() > 0
                             ? std::chrono::steady_clock::now() + env_.idle_timeout
                             : TimePoint::max();
    s = io_->Read(&w_->in, room, deadline);
  }
  if (s == SocketIo::Status::kTimeout) {
    env_.net_stats->idle_kicks.Add();
    close_reason_ = core::WatchEvent::CloseReason::kIdleTimeout;
  } else if (s == SocketIo::Status::kEof) {
    close_reason_ = core::WatchEvent::CloseReason::kNormal;
  }
  if (s != SocketIo::Status::kOk) {
    return Read::kClosed;
  }
  env_.net_stats->bytes_read.Add(w_->in.size() - before);
  return Read::kOk;
}

void Session::ReleaseBuffers() {
  if (w_ == nullptr) {
    return;
  }
  // A few per thread are kept warm for the next connection that wakes: each keeps small buffers
  // (a large one is freed), an executor and vectors shrunk to their usual size. A kept set holds
  // at most ~2 x kKeepBufferBytes, so the pool bounds the thread's spare memory.
  constexpr std::size_t kMaxSpareWork = 8;
  if (env_.spare_work == nullptr || env_.spare_work->size() >= kMaxSpareWork) {
    w_.reset();
    return;
  }
  w_->in.clear();
  w_->out.clear();
  ShrinkIfLarge(&w_->in, kKeepBufferBytes);
  ShrinkIfLarge(&w_->out, kKeepBufferBytes);
  constexpr std::size_t kKeepRequests = 16;
  if (w_->round.capacity() > kKeepRequests) {
    std::vector<Pending>().swap(w_->round);
    std::vector<core::Executor::Slot>().swap(w_->slots);
    std::vector<core::Result>().swap(w_->gathered);
  }
  w_->round.clear();
  w_->slots.clear();
  w_->gathered.clear();
  if (w_->executor != nullptr) {
    w_->executor->ResetAndShrink();
  }
  env_.spare_work->push_back(std::move(w_));
}

void Session::TakeWork() {
  if (w_ != nullptr) {
    return;
  }
  if (env_.spare_work != nullptr && !env_.spare_work->empty()) {
    w_ = std::move(env_.spare_work->back());
    env_.spare_work->pop_back();
  } else {
    w_ = std::make_unique<SessionWork>();
  }
}

bool Session::Flush() {
  if (w_->out.empty()) {
    return true;
  }
  // The client must keep reading: no byte accepted for slow_client_timeout drops it.
  SocketIo::Status s = io_->WriteAll(w_->out, env_.slow_client_timeout);
  env_.net_stats->bytes_written.Add(w_->out.size());
  w_->out.clear();
  ShrinkIfLarge(&w_->out, kKeepBufferBytes);
  return s == SocketIo::Status::kOk;
}

}  // namespace corecached::net
