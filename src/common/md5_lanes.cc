// md5_lanes: the eight-lane AVX2 MD5 (RFC 1321's steps, each applied to eight messages) and
// the OpenSSL path it falls back to.
#include "common/md5_lanes.h"

#include "common/assert.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace spate::md5 {
namespace {

// OpenSSL 3 looks an algorithm up (under a lock) on every one-shot digest call; fetch MD5
// once and keep one digest context per thread.
struct openssl_md5 {
  EVP_MD* md = EVP_MD_fetch(nullptr, "MD5", nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~openssl_md5() {
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
  }
};

#if defined(__x86_64__)

constexpr int lanes = 8;
constexpr std::size_t block_bytes = 64;

// RFC 1321: the sine-derived constants, the rotation of each step, and the message word each
// step reads (round 1: i; round 2: 5i + 1; round 3: 3i + 5; round 4: 7i; all mod 16).
constexpr std::uint32_t sines[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};
constexpr int rotations[4][4] = {{7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};
constexpr std::uint32_t initial[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};

// Blocks of a message of `length` bytes once padded: the bytes, 0x80, zeros, and the length
// in bits as 8 little-endian bytes, rounded up to whole blocks.
std::size_t padded_blocks(std::size_t length) {
  return (length + 8) / block_bytes + 1;
}

// Block `index` of `message` as padded, into `out`.
void padded_block(std::string_view message, std::size_t index, std::uint8_t* out) {
  const std::size_t offset = index * block_bytes;
  if (offset + block_bytes <= message.size()) {
    std::memcpy(out, message.data() + offset, block_bytes);
    return;
  }
  std::memset(out, 0, block_bytes);
  if (offset <= message.size()) {
    const std::size_t rest = message.size() - offset;
    std::memcpy(out, message.data() + offset, rest);
    out[rest] = 0x80;
  }
  if (index + 1 == padded_blocks(message.size())) {
    const std::uint64_t bits = static_cast<std::uint64_t>(message.size()) * 8;
    for (int i = 0; i < 8; ++i) out[56 + i] = static_cast<std::uint8_t>(bits >> (8 * i));
  }
}

__attribute__((target("avx2"))) inline __m256i rotate_left(__m256i x, int s) {
  return _mm256_or_si256(_mm256_slli_epi32(x, s), _mm256_srli_epi32(x, 32 - s));
}

// Up to eight messages (lanes past messages.size() idle), digests into out.
__attribute__((target("avx2"))) void hash_group(std::span<const std::string_view> messages,
                                                digest* out) {
  std::size_t blocks[lanes] = {};
  std::size_t most = 0;
  for (std::size_t l = 0; l < messages.size(); ++l) {
    blocks[l] = padded_blocks(messages[l].size());
    most = std::max(most, blocks[l]);
  }
  __m256i state[4];
  for (int i = 0; i < 4; ++i) state[i] = _mm256_set1_epi32(static_cast<int>(initial[i]));

  alignas(32) std::uint32_t words[16][lanes];
  alignas(32) std::uint8_t block[block_bytes];
  for (std::size_t index = 0; index < most; ++index) {
    // Transpose: word w of every lane's block `index` side by side.
    alignas(32) std::int32_t active[lanes] = {};
    for (std::size_t l = 0; l < lanes; ++l) {
      if (index < blocks[l]) {
        padded_block(messages[l], index, block);
        active[l] = -1;
      } else {
        std::memset(block, 0, sizeof block);
      }
      for (int w = 0; w < 16; ++w) std::memcpy(&words[w][l], block + 4 * w, 4);
    }
    __m256i m[16];
    for (int w = 0; w < 16; ++w) {
      m[w] = _mm256_load_si256(reinterpret_cast<const __m256i*>(words[w]));
    }

    __m256i a = state[0], b = state[1], c = state[2], d = state[3];
    for (int i = 0; i < 64; ++i) {
      const int round = i / 16;
      __m256i f;
      int g;
      if (round == 0) {  // F = (b & c) | (~b & d)
        f = _mm256_xor_si256(d, _mm256_and_si256(b, _mm256_xor_si256(c, d)));
        g = i;
      } else if (round == 1) {  // G = (b & d) | (c & ~d)
        f = _mm256_xor_si256(c, _mm256_and_si256(d, _mm256_xor_si256(b, c)));
        g = (5 * i + 1) % 16;
      } else if (round == 2) {  // H = b ^ c ^ d
        f = _mm256_xor_si256(b, _mm256_xor_si256(c, d));
        g = (3 * i + 5) % 16;
      } else {  // I = c ^ (b | ~d)
        f = _mm256_xor_si256(c, _mm256_or_si256(b, _mm256_xor_si256(d, _mm256_set1_epi32(-1))));
        g = (7 * i) % 16;
      }
      f = _mm256_add_epi32(_mm256_add_epi32(f, a),
                           _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(sines[i])), m[g]));
      a = d;
      d = c;
      c = b;
      b = _mm256_add_epi32(b, rotate_left(f, rotations[round][i % 4]));
    }
    // Only lanes that had a block here take its result.
    const __m256i take = _mm256_load_si256(reinterpret_cast<const __m256i*>(active));
    const __m256i sums[4] = {a, b, c, d};
    for (int i = 0; i < 4; ++i) {
      state[i] = _mm256_blendv_epi8(state[i], _mm256_add_epi32(state[i], sums[i]), take);
    }
  }

  alignas(32) std::uint32_t result[4][lanes];
  for (int i = 0; i < 4; ++i) _mm256_store_si256(reinterpret_cast<__m256i*>(result[i]), state[i]);
  for (std::size_t l = 0; l < messages.size(); ++l) {
    for (int i = 0; i < 4; ++i) std::memcpy(out[l].data() + 4 * i, &result[i][l], 4);  // LE host
  }
}

bool cpu_has_avx2() {
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
}

#endif  // __x86_64__

}  // namespace

digest of(std::string_view message) {
  thread_local openssl_md5 md5;
  digest out;
  unsigned int length = 0;
  const bool ok = md5.md && md5.ctx && EVP_DigestInit_ex(md5.ctx, md5.md, nullptr) == 1 &&
                  EVP_DigestUpdate(md5.ctx, message.data(), message.size()) == 1 &&
                  EVP_DigestFinal_ex(md5.ctx, out.data(), &length) == 1;
  SPATE_ASSERT(ok && length == out.size(), "MD5 digest failed");
  return out;
}

bool of_each_in_lanes(std::span<const std::string_view> messages, std::span<digest> out) {
  SPATE_ASSERT(messages.size() == out.size(), "one digest for each message");
#if defined(__x86_64__)
  if (!cpu_has_avx2()) return false;
  for (std::size_t i = 0; i < messages.size(); i += lanes) {
    const std::size_t n = std::min<std::size_t>(lanes, messages.size() - i);
    hash_group(messages.subspan(i, n), out.data() + i);
  }
  return true;
#else
  (void)messages;
  (void)out;
  return false;
#endif
}

void of_each(std::span<const std::string_view> messages, std::span<digest> out) {
  SPATE_ASSERT(messages.size() == out.size(), "one digest for each message");
  if (messages.size() > 1 && of_each_in_lanes(messages, out)) return;
  for (std::size_t i = 0; i < messages.size(); ++i) out[i] = of(messages[i]);
}

}  // namespace spate::md5
