#pragma once

// Builds protocol-neutral Commands for unit tests, with the KeyHash the Store requires
// (core/command.h: "REQUIRES: KeyHash::Of(key)"). Shared by the shard, cold and router tests.

#include <string>

#include "core/command.h"
#include "core/key_hash.h"

namespace corecached::test {

inline core::Command Cmd(core::Op op, const std::string& key, const std::string& value = "") {
  core::Command cmd;
  cmd.op = op;
  cmd.key = key;
  cmd.hash = core::KeyHash::Of(key);
  cmd.value = value;
  return cmd;
}

}  // namespace corecached::test
