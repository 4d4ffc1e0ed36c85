#include "runtime/event_base.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <stdexcept>
#include <system_error>

namespace corecached::runtime {

EventBasePtr NewEventBase() {
  std::unique_ptr<event_config, decltype(&event_config_free)> cfg(event_config_new(),
                                                                  &event_config_free);
  if (!cfg) {
    throw std::runtime_error("event_config_new failed");
  }
  event_config_set_flag(cfg.get(), EVENT_BASE_FLAG_NOLOCK);
  event_config_set_flag(cfg.get(), EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
  EventBasePtr base(event_base_new_with_config(cfg.get()));
  if (!base) {
    throw std::runtime_error("event_base_new_with_config failed");
  }
  return base;
}

Waker::Waker() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (fd_ < 0) {
    throw std::system_error(errno, std::generic_category(), "eventfd");
  }
}

Waker::~Waker() { close(fd_); }

void Waker::Wake() const {
  uint64_t one = 1;
  // EAGAIN means the counter is already non-zero: the loop will wake anyway.
  [[maybe_unused]] ssize_t n = write(fd_, &one, sizeof(one));
}

void Waker::Drain() const {
  uint64_t count = 0;
  [[maybe_unused]] ssize_t n = read(fd_, &count, sizeof(count));
}

}  // namespace corecached::runtime
