#include "net/listener.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
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

// One -l entry: "host", "host:port", "[v6]", "[v6]:port" or a bare IPv6 address ("::1").
struct Endpoint {
  std::string host;
  int port = -2;  // -2: none given, the listener's port applies
};

Endpoint ParseEndpoint(const std::string& entry) {
  Endpoint e;
  std::string port;
  if (entry.starts_with('[')) {
    const std::size_t close = entry.find(']');
    if (close == std::string::npos) {
      throw BindError("failed to parse listen address " + entry + ": missing ']'");
    }
    e.host = entry.substr(1, close - 1);
    if (close + 1 < entry.size()) {
      if (entry[close + 1] != ':') {
        throw BindError("failed to parse listen address " + entry);
      }
      port = entry.substr(close + 2);
    }
  } else if (std::count(entry.begin(), entry.end(), ':') == 1) {
    const std::size_t colon = entry.find(':');
    e.host = entry.substr(0, colon);
    port = entry.substr(colon + 1);
  } else {
    e.host = entry;
  }
  if (!port.empty() || entry.ends_with(':')) {
    int value = -1;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || ptr != port.data() + port.size() || value < 1 || value > 65535) {
      throw BindError("failed to parse listen address " + entry + ": bad port '" + port + "'");
    }
    e.port = value;
  }
  return e;
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
}  // namespace

Listener::Listener(event_base* base, const ListenerOptions& options,
                   std::vector<NetworkThread*> threads, ConnectionGate* gate)
    : threads_(std::move(threads)), gate_(gate) {
  RaiseFileLimit(gate_->max_open.load());
  if (!options.unix_socket.empty()) {
    BindUnix(base, options);
  }
  // memcached: -p 0 turns TCP off, every -l entry included.
  if (options.port != 0) {
    const int port = options.port < 0 ? 0 : options.port;
    int shared = 0;  // the port of the entries without one: the first bind picks an ephemeral one
    for (std::string entry : SplitCommas(options.address)) {
      // memcached's "notls:" prefix: this entry stays plain under -Z.
      constexpr std::string_view kNoTls = "notls:";
      const bool tls = options.tls && !entry.starts_with(kNoTls);
      if (entry.starts_with(kNoTls)) {
        entry.erase(0, kNoTls.size());
      }
      const Endpoint e = ParseEndpoint(entry);
      const int bound = Bind(base, e.host, e.port >= 0 ? e.port : (shared != 0 ? shared : port),
                             options.backlog, tls);
      if (e.port < 0 && shared == 0) {
        shared = bound;
      }
      port_ = shared != 0 ? shared : (port_ != 0 ? port_ : bound);
    }
  }
  if (listeners_.empty()) {
    throw BindError("no listen address given");
  }
}

Listener::~Listener() { Close(); }

void Listener::Close() {
  listeners_.clear();
  if (!unix_path_.empty()) {
    unlink(unix_path_.c_str());
    unix_path_.clear();
  }
}

// memcached.c server_socket_unix: a stale socket file is replaced, the mask applies through the
// umask while binding (start-up: no other thread creates files then), then listen.
void Listener::BindUnix(event_base* base, const ListenerOptions& options) {
  const std::string path = std::filesystem::absolute(options.unix_socket).string();
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    throw BindError("unix socket path too long: " + path);
  }
  path.copy(addr.sun_path, path.size());
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
    unlink(path.c_str());
  }
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw BindError("failed to create unix socket: " + std::generic_category().message(errno));
  }
  const mode_t old_mask = umask(static_cast<mode_t>(~options.unix_socket_mask & 0777U));
  const int rc = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  const int bind_errno = errno;
  umask(old_mask);
  if (rc != 0 || listen(fd, options.backlog) != 0) {
    const int err = rc != 0 ? bind_errno : errno;
    close(fd);
    throw BindError("failed to listen on unix socket " + path + ": " +
                    std::generic_category().message(err));
  }
  // backlog 0: the socket is already listening.
  evconnlistener* l = evconnlistener_new(base, &OnAccept, NewBound(false),
                                         LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
  if (l == nullptr) {
    close(fd);
    throw BindError("failed to listen on unix socket " + path);
  }
  listeners_.emplace_back(l);
  unix_path_ = path;
}

Listener::Bound* Listener::NewBound(bool tls) {
  bound_.push_back(std::make_unique<Bound>(Bound{this, tls}));
  return bound_.back().get();
}

int Listener::Bind(event_base* base, const std::string& host, int port, int backlog, bool tls) {
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
  evconnlistener* l =
      evconnlistener_new_bind(base, &OnAccept, NewBound(tls),
                              LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
                              backlog, found->ai_addr, static_cast<int>(found->ai_addrlen));
  if (l == nullptr) {
    throw BindError("failed to listen on TCP port " + service + " at " + host + ": " +
                    std::generic_category().message(errno));
  }
  listeners_.emplace_back(l);
  if (backlog == 0) {
    listen(evconnlistener_get_fd(l), 0);  // libevent takes a backlog of 0 as "already listening"
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  getsockname(evconnlistener_get_fd(l), reinterpret_cast<sockaddr*>(&bound), &len);
  return bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                     : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
}

void Listener::OnAccept(evconnlistener* /*l*/, evutil_socket_t fd, sockaddr* /*addr*/, int /*len*/,
                        void* arg) {
  const auto* bound = static_cast<const Bound*>(arg);
  bound->owner->Accept(fd, bound->tls);
}

std::vector<int> Listener::ListenFds() const {
  std::vector<int> fds;
  for (const auto& l : listeners_) {
    fds.push_back(evconnlistener_get_fd(l.get()));
  }
  return fds;
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
