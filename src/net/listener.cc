#include "net/listener.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>
#include <string_view>
#include <system_error>

#include "core/log.h"

namespace corecached::net {

namespace {
// memcached.c: the reply to a client over the connection limit (then the server closes).
constexpr std::string_view kTooManyConnections = "ERROR Too many open connections\r\n";

// Descriptors the server holds besides its clients: stdio, listeners, each thread's eventfds and
// epoll, LMDB's files, the metrics exposer's sockets, and the one a refused client briefly takes.
constexpr rlim_t kReservedFds = 256;

// memcached's main(): "If needed, increase rlimits to allow as many connections as needed."
// Never lowers a limit; raising the hard one needs root (CAP_SYS_RESOURCE). Without root, a hard
// limit that holds max_connections but not the reserve is used as it is (memcached, which asks
// for exactly -c, would start there too); below max_connections it fails as memcached does.
void RaiseFileLimit(int64_t max_connections) {
  const auto clients = static_cast<rlim_t>(std::max<int64_t>(max_connections, 0));
  const rlim_t need = clients + kReservedFds;
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
    throw BindError("failed to getrlimit number of files");
  }
  if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need) {
    return;
  }
  rlimit want = rl;
  want.rlim_cur = need;
  if (want.rlim_max != RLIM_INFINITY && want.rlim_max < need) {
    want.rlim_max = need;
  }
  if (setrlimit(RLIMIT_NOFILE, &want) == 0) {
    return;
  }
  if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max >= clients) {
    want = rl;
    want.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &want) == 0) {
      core::Log::Warn("open file limit " + std::to_string(rl.rlim_max) +
                      " leaves little room beside max_connections " + std::to_string(clients));
      return;
    }
  }
  throw BindError(
      "failed to set rlimit for open files. Try starting as root or requesting smaller "
      "maxconns value.");
}

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> parts;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, ',')) {
    if (!part.empty()) {
      parts.push_back(part);
    }
  }
  return parts;
}
// One -l entry: "HOST", "HOST:PORT", "[V6]:PORT", each optionally prefixed "notls:" (memcached's
// server_sockets). A port given here wins over -p; "notls:" makes that listener plain under -Z.
struct ListenSpec {
  std::string host;
  int port = -1;  // -1: the -p port
  bool tls = false;
};

ListenSpec ParseListenSpec(std::string entry, bool tls) {
  ListenSpec spec;
  spec.tls = tls;
  constexpr std::string_view kNoTls = "notls:";
  if (entry.starts_with(kNoTls)) {
    spec.tls = false;
    entry.erase(0, kNoTls.size());
  }
  std::string port;
  if (entry.starts_with('[')) {
    const std::size_t close = entry.find(']');
    if (close != std::string::npos && close + 1 < entry.size() && entry[close + 1] == ':') {
      port = entry.substr(close + 2);
    }
    entry = entry.substr(1, close == std::string::npos ? std::string::npos : close - 1);
  } else if (std::count(entry.begin(), entry.end(), ':') == 1) {
    const std::size_t colon = entry.find(':');
    port = entry.substr(colon + 1);
    entry.erase(colon);
  }
  if (!port.empty()) {
    try {
      spec.port = std::stoi(port);
    } catch (const std::exception&) {
      throw BindError("invalid port in listen address: " + port);
    }
  }
  spec.host = std::move(entry);
  return spec;
}
}  // namespace

Listener::Listener(event_base* base, const ListenerOptions& options,
                   std::vector<NetworkThread*> threads, ConnectionGate* gate)
    : threads_(std::move(threads)), gate_(gate) {
  RaiseFileLimit(gate_->max_open.load());
  int port = options.port < 0 ? 0 : options.port;
  int bound_port = 0;  // the -p port once bound (the ephemeral one when -p -1)
  for (const std::string& entry : SplitCommas(options.address)) {
    const ListenSpec spec = ParseListenSpec(entry, options.tls);
    // Addresses without a port share -p: the first bind picks it when it was ephemeral.
    const int want = spec.port >= 0 ? spec.port : (bound_port != 0 ? bound_port : port);
    const int got = Bind(base, spec.host, want, spec.tls);
    if (spec.port < 0 && bound_port == 0) {
      bound_port = got;
    }
  }
  port_ = bound_port != 0 ? bound_port : port_;
  if (listeners_.empty()) {
    throw BindError("no listen address given");
  }
}

Listener::~Listener() { Close(); }

void Listener::Close() { listeners_.clear(); }

int Listener::Bind(event_base* base, const std::string& host, int port, bool tls) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string service = std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    throw BindError("failed to resolve " + host + ": " + gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(found, &freeaddrinfo);
  bound_.push_back(std::make_unique<Bound>(Bound{this, tls}));
  evconnlistener* l =
      evconnlistener_new_bind(base, &OnAccept, bound_.back().get(),
                              LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
                              1024, found->ai_addr, static_cast<int>(found->ai_addrlen));
  if (l == nullptr) {
    throw BindError("failed to listen on TCP port " + service + " at " + host + ": " +
                    std::generic_category().message(errno));
  }
  listeners_.emplace_back(l);
  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  getsockname(evconnlistener_get_fd(l), reinterpret_cast<sockaddr*>(&bound), &len);
  const int got = bound.ss_family == AF_INET6
                      ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                      : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  if (port_ == 0) {
    port_ = got;
  }
  return got;
}

void Listener::OnAccept(evconnlistener* /*l*/, evutil_socket_t fd, sockaddr* /*addr*/, int /*len*/,
                        void* arg) {
  const auto* bound = static_cast<const Bound*>(arg);
  bound->owner->Accept(fd, bound->tls);
}

void Listener::Accept(int fd, bool tls) {
  if (gate_->open.load() >= gate_->max_open.load()) {
    gate_->rejected.fetch_add(1);
    // Best effort, non-blocking: the socket buffer of a fresh connection always has room.
    [[maybe_unused]] ssize_t n =
        send(fd, kTooManyConnections.data(), kTooManyConnections.size(), MSG_NOSIGNAL);
    // close() with unread input sends an RST, which can destroy the reply before the client
    // reads it (a client that sent its request before we accepted, e.g. under a slow accept):
    // FIN after the reply, and drop what already arrived (bounded), then close.
    shutdown(fd, SHUT_WR);
    char sink[4096];
    for (int i = 0; i < 16 && recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0; ++i) {
    }
    close(fd);
    return;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  gate_->open.fetch_add(1);
  gate_->accepted.fetch_add(1);
  for (std::size_t tries = 0; tries < threads_.size(); ++tries) {
    NetworkThread* thread = threads_[next_];
    next_ = (next_ + 1) % threads_.size();
    if (thread->Adopt(fd, tls)) {
      return;
    }
  }
  gate_->open.fetch_sub(1);
  close(fd);
}

}  // namespace corecached::net
