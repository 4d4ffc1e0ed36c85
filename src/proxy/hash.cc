#include "proxy/hash.h"

#include <cstring>

namespace corecached::proxy {

namespace {
// A byte as the C originals see it: `(uint32_t)*ptr` with a signed `char`.
uint32_t SignedByte(char c) {
  return static_cast<uint32_t>(static_cast<int32_t>(static_cast<signed char>(c)));
}

constexpr std::array<uint32_t, 64> kMd5K = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};
constexpr std::array<uint32_t, 16> kMd5Shift = {7, 12, 17, 22, 5, 9,  14, 20,
                                                4, 11, 16, 23, 6, 10, 15, 21};

uint32_t Rotl(uint32_t x, uint32_t n) { return (x << n) | (x >> (32 - n)); }

void Md5Block(const uint8_t* block, std::array<uint32_t, 4>* state) {
  std::array<uint32_t, 16> m{};
  for (std::size_t i = 0; i < 16; ++i) {
    m[i] = static_cast<uint32_t>(block[i * 4]) | (static_cast<uint32_t>(block[i * 4 + 1]) << 8) |
           (static_cast<uint32_t>(block[i * 4 + 2]) << 16) |
           (static_cast<uint32_t>(block[i * 4 + 3]) << 24);
  }
  uint32_t a = (*state)[0], b = (*state)[1], c = (*state)[2], d = (*state)[3];
  for (uint32_t i = 0; i < 64; ++i) {
    uint32_t f = 0;
    uint32_t g = 0;
    if (i < 16) {
      f = (b & c) | (~b & d);
      g = i;
    } else if (i < 32) {
      f = (d & b) | (~d & c);
      g = (5 * i + 1) % 16;
    } else if (i < 48) {
      f = b ^ c ^ d;
      g = (3 * i + 5) % 16;
    } else {
      f = c ^ (b | ~d);
      g = (7 * i) % 16;
    }
    f = f + a + kMd5K[i] + m[g];
    a = d;
    d = c;
    c = b;
    b = b + Rotl(f, kMd5Shift[(i / 16) * 4 + i % 4]);
  }
  (*state)[0] += a;
  (*state)[1] += b;
  (*state)[2] += c;
  (*state)[3] += d;
}
}  // namespace

uint32_t OneAtATime(std::string_view key) {
  uint32_t value = 0;
  for (char c : key) {
    value += SignedByte(c);
    value += value << 10;
    value ^= value >> 6;
  }
  value += value << 3;
  value ^= value >> 11;
  value += value << 15;
  return value;
}

uint32_t Fnv1a64Truncated(std::string_view key) {
  constexpr uint64_t kOffsetBasis = 0xcbf29ce484222325ULL;
  constexpr uint64_t kPrime = 0x100000001b3ULL;
  auto hash = static_cast<uint32_t>(kOffsetBasis);
  for (char c : key) {
    hash ^= SignedByte(c);
    hash *= static_cast<uint32_t>(kPrime);
  }
  return hash;
}

std::array<uint8_t, 16> Md5(std::string_view data) {
  std::array<uint32_t, 4> state = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
  std::size_t full = data.size() / 64 * 64;
  for (std::size_t off = 0; off < full; off += 64) {
    Md5Block(reinterpret_cast<const uint8_t*>(data.data() + off), &state);
  }
  std::array<uint8_t, 128> tail{};
  std::size_t rest = data.size() - full;
  std::memcpy(tail.data(), data.data() + full, rest);
  tail[rest] = 0x80;
  std::size_t tail_len = rest + 1 + 8 <= 64 ? 64 : 128;
  uint64_t bits = static_cast<uint64_t>(data.size()) * 8;
  for (std::size_t i = 0; i < 8; ++i) {
    tail[tail_len - 8 + i] = static_cast<uint8_t>(bits >> (8 * i));
  }
  for (std::size_t off = 0; off < tail_len; off += 64) {
    Md5Block(tail.data() + off, &state);
  }
  std::array<uint8_t, 16> digest{};
  for (std::size_t i = 0; i < 16; ++i) {
    digest[i] = static_cast<uint8_t>(state[i / 4] >> (8 * (i % 4)));
  }
  return digest;
}

uint32_t Md5Word(const std::array<uint8_t, 16>& digest, uint32_t alignment) {
  const std::size_t base = std::size_t{alignment} * 4;
  return static_cast<uint32_t>(digest[base]) | (static_cast<uint32_t>(digest[base + 1]) << 8) |
         (static_cast<uint32_t>(digest[base + 2]) << 16) |
         (static_cast<uint32_t>(digest[base + 3]) << 24);
}

}  // namespace corecached::proxy
