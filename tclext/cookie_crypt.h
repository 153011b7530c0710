// HTTP::cookie encrypt / decrypt. BIG-IP's own format is not documented, so irulesd's cannot match
// it: a value encrypted here decrypts here (encrypt in HTTP_RESPONSE, decrypt in HTTP_REQUEST, the
// way rules use the pair), not on a BIG-IP. AES-GCM (authenticated: a changed cookie fails to
// decrypt instead of decrypting to garbage) with a key of `bits` from SHA-256 of the pass phrase, a
// random 96-bit nonce per value, sent as base64(nonce || ciphertext || tag).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace irulesd::tclext {

// bits: 128, 192 or 256. Empty when OpenSSL fails (it does not for these ciphers).
std::string encrypt_cookie_value(std::string_view plain, std::string_view passphrase, int bits);

// nullopt when `sealed` is not base64, too short, or fails authentication under this key.
std::optional<std::string> decrypt_cookie_value(std::string_view sealed, std::string_view passphrase, int bits);

}  // namespace irulesd::tclext
