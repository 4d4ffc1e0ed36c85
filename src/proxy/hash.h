#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace corecached::proxy {

// The key hashes the placement schemes of our clients use, bit for bit. Each reads the key's bytes
// as plain `char` the way the C originals do: on x86-64 a byte >= 0x80 is sign-extended before it
// is mixed in, and we copy that so UTF-8 keys land where libmemcached and nutcracker put them.
// Thread: any (pure functions).

// libhashkit's one-at-a-time (libmemcached's MEMCACHED_HASH_DEFAULT; pylibmc's hash "default").
uint32_t OneAtATime(std::string_view key);
// nutcracker's hash_fnv1a_64 (its default `hash:`): FNV-1a with the 64-bit offset basis and prime
// truncated to 32 bits, as nc_hash's code does.
uint32_t Fnv1a64Truncated(std::string_view key);
// RFC 1321 MD5. Hand-written (80 lines) rather than pulling in libcrypto: it runs only when a ring
// is built (a few hundred short server names), never per request.
std::array<uint8_t, 16> Md5(std::string_view data);
// The four little-endian words of an MD5 digest, as libmemcached's ketama_server_hash and
// nutcracker's ketama_hash read them (`alignment` 0..3).
uint32_t Md5Word(const std::array<uint8_t, 16>& digest, uint32_t alignment);

}  // namespace corecached::proxy
