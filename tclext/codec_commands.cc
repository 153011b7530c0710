// b64encode, b64decode, md5, sha1, sha256, sha384, sha512, crc32.
#include "tclext/command_table.h"

namespace irulesd::tclext {

std::span<const CommandSpec> codec_commands() { return {}; }

}  // namespace irulesd::tclext
