#pragma once

#include <string_view>

#include "proto/request.h"

namespace corecached::net {

// VerboseLog prints what memcached -vv prints for each text request, on stderr, one line each:
// "<fd new auto-negotiating client connection", "fd: Client using the ascii protocol",
// "<fd <command line>", ">fd <reply line>" (">fd sending key <key>" per value of a get, then
// ">fd END"), "<fd connection closed.". Binary requests are not printed (memcached -vv dumps
// their packets in a format of its own). Only at verbosity 2 and more: never on the request path
// otherwise (STYLE.md 10.11).
//
// Thread: any (each line is one write(2) to stderr, so lines of different threads do not mix).
class VerboseLog {
 public:
  static void Opened(int fd);
  static void Closed(int fd);
  static void Protocol(int fd);
  // `consumed`: the bytes one text request took from the input; its first line is printed.
  static void Request(int fd, std::string_view consumed);
  // `reply`: the bytes encoded for `req`.
  static void Reply(int fd, const proto::Request& req, std::string_view reply);

 private:
  static void Line(char direction, int fd, std::string_view text);
};

}  // namespace corecached::net
