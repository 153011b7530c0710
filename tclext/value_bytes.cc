#include "tclext/value_bytes.h"

namespace irulesd::tclext {
namespace {

constexpr std::string_view kTclNul("\xC0\x80", 2);

const Tcl_ObjType* byte_array_type() {
  static const Tcl_ObjType* const type = Tcl_GetObjType("bytearray");
  return type;
}

}  // namespace

std::string_view value_bytes(Tcl_Obj* obj, std::string& scratch) {
  // Only a value that already is a byte array is read as one: converting text would drop every
  // character above U+00FF to its low byte instead of keeping its UTF-8 bytes.
  if (obj->typePtr != nullptr && obj->typePtr == byte_array_type()) {
    int length = 0;
    const unsigned char* bytes = Tcl_GetByteArrayFromObj(obj, &length);
    return std::string_view(reinterpret_cast<const char*>(bytes), static_cast<std::size_t>(length));
  }
  int length = 0;
  const char* text = Tcl_GetStringFromObj(obj, &length);
  std::string_view view(text, static_cast<std::size_t>(length));
  std::size_t nul = view.find(kTclNul);
  if (nul == std::string_view::npos) return view;
  scratch.clear();
  while (nul != std::string_view::npos) {
    scratch.append(view.substr(0, nul)).push_back('\0');
    view.remove_prefix(nul + kTclNul.size());
    nul = view.find(kTclNul);
  }
  scratch.append(view);
  return scratch;
}

Tcl_Obj* new_text_obj(std::string_view bytes) {
  std::size_t nuls = 0;
  for (char c : bytes) nuls += c == '\0';
  if (nuls == 0) return Tcl_NewStringObj(bytes.data(), static_cast<int>(bytes.size()));
  Tcl_Obj* obj = Tcl_NewObj();
  Tcl_SetObjLength(obj, static_cast<int>(bytes.size() + nuls));
  char* out = Tcl_GetString(obj);
  for (char c : bytes) {
    if (c == '\0') {
      *out++ = kTclNul[0];
      *out++ = kTclNul[1];
    } else {
      *out++ = c;
    }
  }
  return obj;
}

}  // namespace irulesd::tclext
