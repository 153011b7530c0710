// What a rule sees and decides. The core fills it, the rule engine reads and edits it through the
// iRule commands, the core applies the decisions. One Transaction lives as long as its client
// connection; the request/response parts are reset for each keep-alive request.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/header_list.h"

namespace irulesd {

// The iRule events irulesd fires, in the order BIG-IP fires them on an HTTP/1.1 connection (RULE_INIT
// once per rule version and worker; the HTTP events once per request; *_DATA after a collect).
enum class Event {
  RuleInit,
  ClientAccepted,
  ClientData,
  HttpRequest,
  HttpRequestData,
  LbSelected,
  LbFailed,
  ServerConnected,
  HttpRequestSend,
  HttpRequestRelease,
  ServerData,
  HttpResponse,
  HttpResponseData,
  HttpResponseRelease,
  HttpDisabled,
  ServerClosed,
  ClientClosed,
};
constexpr std::size_t kEventCount = static_cast<std::size_t>(Event::ClientClosed) + 1;
const char* event_name(Event event);   // "CLIENT_ACCEPTED", "HTTP_REQUEST", ...
std::optional<Event> event_from_name(std::string_view name);

struct RequestHead {
  std::string method;
  std::string uri;        // request-target as sent: /path?query
  int version_major = 1;
  int version_minor = 1;
  HeaderList headers;
};

struct ResponseHead {
  int status = 0;
  std::string reason;
  int version_major = 1;
  int version_minor = 1;
  HeaderList headers;
};

// Per-connection state owned by the rule engine (e.g. the connection's Tcl variables). The core only
// keeps it alive and destroys it, on the worker thread, before the engine that made it.
class RuleScope {
 public:
  virtual ~RuleScope() = default;
};

struct Transaction {
  // Connection facts.
  std::string virtual_name;
  std::string client_addr;
  uint16_t client_port = 0;
  std::string local_addr;
  uint16_t local_port = 0;

  // The current request (HTTP_REQUEST and later) and response (HTTP_RESPONSE); null outside them.
  RequestHead* request = nullptr;
  ResponseHead* response = nullptr;

  // Decisions made by rules.
  std::string selected_pool;   // `pool NAME`: canonical name; empty = the virtual's default pool
  bool http_disabled = false;  // `HTTP::disable`: tunnel once the current request is forwarded

  std::unique_ptr<RuleScope> rule_scope;   // created lazily by the engine
};

}  // namespace irulesd
