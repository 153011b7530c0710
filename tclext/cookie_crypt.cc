#include "tclext/cookie_crypt.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <memory>
#include <vector>

namespace irulesd::tclext {
namespace {

constexpr int kNonceSize = 12;
constexpr int kTagSize = 16;

const EVP_CIPHER* cipher_for(int bits) {
  switch (bits) {
    case 192:
      return EVP_aes_192_gcm();
    case 256:
      return EVP_aes_256_gcm();
    default:
      return EVP_aes_128_gcm();
  }
}

// The first bits/8 bytes of SHA-256(passphrase).
bool derive_key(std::string_view passphrase, unsigned char key[32]) {
  unsigned int length = 0;
  return EVP_Digest(passphrase.data(), passphrase.size(), key, &length, EVP_sha256(), nullptr) == 1;
}

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

int as_int(std::size_t n) { return static_cast<int>(n); }

}  // namespace

std::string encrypt_cookie_value(std::string_view plain, std::string_view passphrase, int bits) {
  unsigned char key[32];
  if (!derive_key(passphrase, key)) return {};
  std::vector<unsigned char> sealed(kNonceSize + plain.size() + kTagSize);
  unsigned char* nonce = sealed.data();
  unsigned char* body = nonce + kNonceSize;
  if (RAND_bytes(nonce, kNonceSize) != 1) return {};
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int out = 0;
  int final_out = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), cipher_for(bits), nullptr, key, nonce) != 1 ||
      EVP_EncryptUpdate(ctx.get(), body, &out, reinterpret_cast<const unsigned char*>(plain.data()),
                        as_int(plain.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), body + out, &final_out) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize, body + plain.size()) != 1) {
    return {};
  }
  std::string text(4 * ((sealed.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()), sealed.data(), as_int(sealed.size()));
  text.resize(static_cast<std::size_t>(n));
  return text;
}

std::optional<std::string> decrypt_cookie_value(std::string_view sealed_text, std::string_view passphrase, int bits) {
  if (sealed_text.empty() || sealed_text.size() % 4 != 0) return std::nullopt;
  std::vector<unsigned char> sealed(sealed_text.size() / 4 * 3);
  int n = EVP_DecodeBlock(sealed.data(), reinterpret_cast<const unsigned char*>(sealed_text.data()),
                          as_int(sealed_text.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts the bytes that padding stands for as zeros.
  if (sealed_text.back() == '=') --n;
  if (sealed_text[sealed_text.size() - 2] == '=') --n;
  if (n < kNonceSize + kTagSize) return std::nullopt;
  unsigned char key[32];
  if (!derive_key(passphrase, key)) return std::nullopt;
  const unsigned char* nonce = sealed.data();
  const unsigned char* body = nonce + kNonceSize;
  const int body_size = n - kNonceSize - kTagSize;
  std::string plain(static_cast<std::size_t>(body_size), '\0');
  unsigned char tag[kTagSize];
  std::copy(body + body_size, body + body_size + kTagSize, tag);
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int out = 0;
  int final_out = 0;
  auto* plain_bytes = reinterpret_cast<unsigned char*>(plain.data());
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), cipher_for(bits), nullptr, key, nonce) != 1 ||
      EVP_DecryptUpdate(ctx.get(), plain_bytes, &out, body, body_size) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize, tag) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), plain_bytes + out, &final_out) != 1) {
    return std::nullopt;
  }
  return plain;
}

}  // namespace irulesd::tclext
