#pragma once

#include <optional>
#include <span>
#include <stdexcept>
#include <string>

namespace corecached::server {

// What the process does around the server, as memcached does for -d, -P, -u and -k: become a
// daemon, write and remove the pid file, lock memory, give up root. Thread: main, start-up and
// shutdown only (fork, setuid and chdir act on the whole process).

// Start-up failed with memcached's own exit status: EX_NOUSER (67) for an unknown -u user,
// EX_OSERR (71) when the identity cannot be assumed or the pid file cannot be written.
struct ProcessError : std::runtime_error {
  ProcessError(int code, const std::string& message)
      : std::runtime_error(message), exit_code(code) {}
  int exit_code;
};

inline constexpr int kExitNoUser = 67;  // sysexits.h EX_NOUSER, memcached's for -u nosuchuser
inline constexpr int kExitOsErr = 71;   // sysexits.h EX_OSERR

// memcached -d. Call before any thread exists (fork copies only the calling thread).
class Daemon {
 public:
  // Forks. In the parent it waits until the child reports Ready() (returns 0) or exits (returns
  // the child's exit status, its error already on the shared stderr); the parent then exits with
  // it. In the child it calls setsid() and returns nullopt: start up, then call Ready().
  [[nodiscard]] static std::optional<int> Start();
  // In a daemon child: start-up is complete (listening, pid file written, privileges dropped):
  // chdir("/"), stdin/stdout/stderr to /dev/null, and the parent exits 0. A no-op otherwise.
  static void Ready();
};

// memcached -k: mlockall(MCL_CURRENT | MCL_FUTURE); on failure memcached's warning, and go on.
void LockMemory();

// memcached -P: writes "<pid>\n" to `path` and returns its absolute path (the daemon leaves its
// working directory). Throws ProcessError (71) when the file cannot be written.
[[nodiscard]] std::string WritePidFile(const std::string& path);
// Removes the pid file written by WritePidFile; "" = none. A failure is logged, never thrown.
void RemovePidFile(const std::string& absolute_path);

// memcached -u, after the sockets are bound and the cold tier opened. As root with a user: the
// files in `owned` (pid file, unix socket) are given to that user, then supplementary groups,
// group and user are dropped (memcached's messages; ProcessError 67 or 71). As root without one:
// a warning (memcached refuses to start; corecached runs). Not root: `user` is ignored, as in
// memcached.
void DropPrivileges(const std::string& user, std::span<const std::string> owned);

}  // namespace corecached::server
