#include "server/process.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <vector>

#include "core/log.h"

namespace corecached::server {
namespace {

// The write end of the pipe to the waiting parent; -1 when not a daemon child (or once Ready).
int ready_fd = -1;  // NOLINT: main thread only, start-up

std::string ErrnoText(int err) { return std::generic_category().message(err); }

// The parent's side: one byte means ready; end of file means the child exited before that.
int WaitForChild(pid_t child, int read_fd) {
  char byte = 0;
  ssize_t n = -1;
  do {
    n = read(read_fd, &byte, 1);
  } while (n < 0 && errno == EINTR);
  close(read_fd);
  if (n == 1) {
    return 0;
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  return 1;
}

void RedirectToDevNull() {
  const int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd < 0) {
    return;
  }
  for (int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) {
    dup2(null_fd, fd);
  }
  if (null_fd > STDERR_FILENO) {
    close(null_fd);
  }
}

// getpwnam_r with a buffer that grows (bounded) when an entry is large.
bool LookUpUser(const std::string& user, passwd* entry, std::vector<char>* buffer) {
  constexpr std::size_t kMaxBuffer = std::size_t{1} << 20;
  buffer->resize(1024);
  for (;;) {
    passwd* found = nullptr;
    const int rc = getpwnam_r(user.c_str(), entry, buffer->data(), buffer->size(), &found);
    if (rc == ERANGE && buffer->size() < kMaxBuffer) {
      buffer->resize(buffer->size() * 2);
      continue;
    }
    return rc == 0 && found != nullptr;
  }
}

}  // namespace

std::optional<int> Daemon::Start() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    throw ProcessError(kExitOsErr, "failed to daemon() in order to daemonize: " + ErrnoText(errno));
  }
  const pid_t child = fork();
  if (child < 0) {
    throw ProcessError(kExitOsErr, "failed to daemon() in order to daemonize: " + ErrnoText(errno));
  }
  if (child > 0) {
    close(fds[1]);
    return WaitForChild(child, fds[0]);
  }
  close(fds[0]);
  ready_fd = fds[1];
  setsid();
  return std::nullopt;
}

void Daemon::Ready() {
  if (ready_fd < 0) {
    return;
  }
  if (chdir("/") != 0) {
    core::Log::Warn("daemon: chdir / failed: " + ErrnoText(errno));
  }
  RedirectToDevNull();
  const char byte = 0;
  [[maybe_unused]] const ssize_t n = write(ready_fd, &byte, 1);
  close(ready_fd);
  ready_fd = -1;
}

void LockMemory() {
  if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0) {
    // memcached.c's words.
    core::Log::Warn("warning: -k invalid, mlockall() failed: " + ErrnoText(errno));
  }
}

std::string WritePidFile(const std::string& path) {
  std::string absolute = std::filesystem::absolute(path).string();
  std::ofstream out(absolute, std::ios::trunc);
  out << getpid() << '\n';
  out.close();
  if (!out) {
    // memcached.c save_pid: "Could not open the pid file %s for writing".
    throw ProcessError(kExitOsErr, "Could not open the pid file " + absolute + " for writing");
  }
  return absolute;
}

void RemovePidFile(const std::string& absolute_path) {
  if (absolute_path.empty()) {
    return;
  }
  if (unlink(absolute_path.c_str()) != 0 && errno != ENOENT) {
    core::Log::Warn("Could not remove the pid file " + absolute_path + ": " + ErrnoText(errno));
  }
}

void DropPrivileges(const std::string& user, std::span<const std::string> owned) {
  if (geteuid() != 0) {
    return;  // memcached: -u only matters to root
  }
  if (user.empty()) {
    core::Log::Warn(
        "running as root without -u (user:): memcached refuses to (\"can't run as root without "
        "the -u switch\"); corecached runs, but give it an unprivileged user");
    return;
  }
  passwd pw{};
  std::vector<char> buffer;
  if (!LookUpUser(user, &pw, &buffer)) {
    throw ProcessError(kExitNoUser, "can't find the user " + user + " to switch to");
  }
  for (const std::string& path : owned) {
    if (!path.empty() && chown(path.c_str(), pw.pw_uid, pw.pw_gid) != 0) {
      std::string line = "cannot give ";
      line.append(path).append(" to ").append(user).append(": ").append(ErrnoText(errno));
      core::Log::Warn(line);
    }
  }
  if (setgroups(0, nullptr) != 0) {
    throw ProcessError(kExitOsErr, "failed to drop supplementary groups");
  }
  if (setgid(pw.pw_gid) != 0 || setuid(pw.pw_uid) != 0) {
    throw ProcessError(kExitOsErr, "failed to assume identity of user " + user);
  }
}

}  // namespace corecached::server
