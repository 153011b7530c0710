// b64encode, b64decode, md5, sha1, sha256, sha384, sha512, crc32 (clouddocs.f5.com/api/irules/
// b64encode.html and friends). They work on bytes (value_bytes.h): the digests and b64decode return
// byte arrays, as BIG-IP's do, for `binary scan` or b64encode; crc32 returns an unsigned integer.
#include <array>
#include <cstdint>

#include <openssl/evp.h>

#include "tclext/command_table.h"
#include "tclext/value_bytes.h"

namespace irulesd::tclext {
namespace {

int one_value(Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (objc == 2) return TCL_OK;
  Tcl_WrongNumArgs(interp, 1, objv, "string");
  return TCL_ERROR;
}

// ---- base64 (RFC 4648, standard alphabet, padded, no line breaks) ----

constexpr char kBase64Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> make_base64_values() {
  std::array<std::int8_t, 256> values{};
  for (auto& v : values) v = -1;
  for (int i = 0; i < 64; ++i) values[static_cast<unsigned char>(kBase64Alphabet[i])] = static_cast<std::int8_t>(i);
  return values;
}
constexpr std::array<std::int8_t, 256> kBase64Values = make_base64_values();

int B64encodeCmd(FireContext&, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (one_value(interp, objc, objv) != TCL_OK) return TCL_ERROR;
  std::string scratch;
  const std::string_view in = value_bytes(objv[1], scratch);
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const std::size_t n = in.size();
  // Written straight into the result's string representation: no intermediate buffer.
  Tcl_Obj* result = Tcl_NewObj();
  Tcl_SetObjLength(result, static_cast<int>((n + 2) / 3 * 4));
  char* out = Tcl_GetString(result);
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const std::uint32_t v = (p[i] << 16) | (p[i + 1] << 8) | p[i + 2];
    *out++ = kBase64Alphabet[v >> 18];
    *out++ = kBase64Alphabet[(v >> 12) & 63];
    *out++ = kBase64Alphabet[(v >> 6) & 63];
    *out++ = kBase64Alphabet[v & 63];
  }
  if (i < n) {
    const std::uint32_t v = (p[i] << 16) | (i + 1 < n ? p[i + 1] << 8 : 0);
    *out++ = kBase64Alphabet[v >> 18];
    *out++ = kBase64Alphabet[(v >> 12) & 63];
    *out++ = i + 1 < n ? kBase64Alphabet[(v >> 6) & 63] : '=';
    *out++ = '=';
  }
  Tcl_SetObjResult(interp, result);
  return TCL_OK;
}

bool is_base64_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Whitespace (line-wrapped input) is skipped and the padding may be left out; any other character
// outside the alphabet, data after padding, or a lone trailing character is BIG-IP's runtime error
// "conversion error" (clouddocs b64decode: "seems to trigger a runtime TCL error when decoding fails").
int B64decodeCmd(FireContext&, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (one_value(interp, objc, objv) != TCL_OK) return TCL_ERROR;
  const std::string_view in = arg_view(objv[1]);
  Tcl_Obj* result = Tcl_NewByteArrayObj(nullptr, static_cast<int>(in.size() / 4 * 3 + 3));
  unsigned char* out = Tcl_GetByteArrayFromObj(result, nullptr);
  std::size_t length = 0;
  std::uint32_t bits = 0;
  int count = 0;     // sextets in `bits`
  int padding = 0;   // '=' seen
  bool ok = true;
  for (char c : in) {
    if (is_base64_space(c)) continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    const int v = kBase64Values[static_cast<unsigned char>(c)];
    if (v < 0 || padding > 0) {
      ok = false;
      break;
    }
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    if (++count == 4) {
      out[length++] = static_cast<unsigned char>(bits >> 16);
      out[length++] = static_cast<unsigned char>(bits >> 8);
      out[length++] = static_cast<unsigned char>(bits);
      bits = 0;
      count = 0;
    }
  }
  // A final group of 2 or 3 sextets carries 1 or 2 bytes; padding, if any, must complete it.
  if (ok && (count == 1 || (padding > 0 && count + padding != 4) || (count == 0 && padding > 0))) ok = false;
  if (!ok) {
    Tcl_DecrRefCount(result);
    return command_error(interp, "conversion error");
  }
  if (count == 2) {
    out[length++] = static_cast<unsigned char>(bits >> 4);
  } else if (count == 3) {
    out[length++] = static_cast<unsigned char>(bits >> 10);
    out[length++] = static_cast<unsigned char>(bits >> 2);
  }
  Tcl_SetByteArrayLength(result, static_cast<int>(length));
  Tcl_SetObjResult(interp, result);
  return TCL_OK;
}

// ---- digests (OpenSSL EVP) ----

enum class Digest { Md5, Sha1, Sha256, Sha384, Sha512, Count };
constexpr const char* kDigestNames[] = {"MD5", "SHA1", "SHA256", "SHA384", "SHA512"};

// One context and the fetched algorithms per thread (each worker's interpreter lives on one thread),
// so a digest allocates nothing but its result.
class DigestState {
 public:
  DigestState() = default;
  DigestState(const DigestState&) = delete;
  DigestState& operator=(const DigestState&) = delete;
  ~DigestState() {
    EVP_MD_CTX_free(ctx_);
    for (EVP_MD* md : mds_) EVP_MD_free(md);
  }

  // Digest of data into out (EVP_MAX_MD_SIZE bytes); its length, or 0 when OpenSSL fails.
  unsigned int run(Digest digest, std::string_view data, unsigned char* out) {
    const auto index = static_cast<std::size_t>(digest);
    if (ctx_ == nullptr) ctx_ = EVP_MD_CTX_new();
    if (mds_[index] == nullptr) mds_[index] = EVP_MD_fetch(nullptr, kDigestNames[index], nullptr);
    unsigned int length = 0;
    if (ctx_ == nullptr || mds_[index] == nullptr || EVP_DigestInit_ex2(ctx_, mds_[index], nullptr) != 1 ||
        EVP_DigestUpdate(ctx_, data.data(), data.size()) != 1 || EVP_DigestFinal_ex(ctx_, out, &length) != 1) {
      return 0;
    }
    return length;
  }

 private:
  EVP_MD_CTX* ctx_ = nullptr;
  std::array<EVP_MD*, static_cast<std::size_t>(Digest::Count)> mds_{};
};

DigestState& digest_state() {
  thread_local DigestState state;
  return state;
}

template <Digest kDigest>
int DigestCmd(FireContext&, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (one_value(interp, objc, objv) != TCL_OK) return TCL_ERROR;
  std::string scratch;
  unsigned char md[EVP_MAX_MD_SIZE];
  // BIG-IP: "If an error occurs, an empty string is returned".
  const unsigned int length = digest_state().run(kDigest, value_bytes(objv[1], scratch), md);
  Tcl_SetObjResult(interp, Tcl_NewByteArrayObj(md, static_cast<int>(length)));
  return TCL_OK;
}

// ---- crc32 (IEEE 802.3, reflected polynomial 0xEDB88320: zlib's and Ethernet's CRC) ----

constexpr std::array<std::uint32_t, 256> make_crc32_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr std::array<std::uint32_t, 256> kCrc32Table = make_crc32_table();

int Crc32Cmd(FireContext&, Tcl_Interp* interp, int objc, Tcl_Obj* const objv[]) {
  if (one_value(interp, objc, objv) != TCL_OK) return TCL_ERROR;
  std::string scratch;
  std::uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char b : value_bytes(objv[1], scratch)) crc = kCrc32Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
  Tcl_SetObjResult(interp, Tcl_NewWideIntObj(static_cast<Tcl_WideInt>(crc ^ 0xFFFFFFFFu)));
  return TCL_OK;
}

constexpr CommandSpec kCodecCommands[] = {
    {"b64encode", kAnyEvent, B64encodeCmd},
    {"b64decode", kAnyEvent, B64decodeCmd},
    {"md5", kAnyEvent, DigestCmd<Digest::Md5>},
    {"sha1", kAnyEvent, DigestCmd<Digest::Sha1>},
    {"sha256", kAnyEvent, DigestCmd<Digest::Sha256>},
    {"sha384", kAnyEvent, DigestCmd<Digest::Sha384>},
    {"sha512", kAnyEvent, DigestCmd<Digest::Sha512>},
    {"crc32", kAnyEvent, Crc32Cmd},
};

}  // namespace

std::span<const CommandSpec> codec_commands() { return kCodecCommands; }

}  // namespace irulesd::tclext
