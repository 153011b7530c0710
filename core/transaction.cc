#include "core/transaction.h"

namespace irulesd {

const char* event_name(Event event) {
  switch (event) {
    case Event::RuleInit: return "RULE_INIT";
    case Event::ClientAccepted: return "CLIENT_ACCEPTED";
    case Event::ClientData: return "CLIENT_DATA";
    case Event::HttpRequest: return "HTTP_REQUEST";
    case Event::HttpRequestData: return "HTTP_REQUEST_DATA";
    case Event::LbSelected: return "LB_SELECTED";
    case Event::LbFailed: return "LB_FAILED";
    case Event::ServerConnected: return "SERVER_CONNECTED";
    case Event::HttpRequestSend: return "HTTP_REQUEST_SEND";
    case Event::HttpRequestRelease: return "HTTP_REQUEST_RELEASE";
    case Event::ServerData: return "SERVER_DATA";
    case Event::HttpResponse: return "HTTP_RESPONSE";
    case Event::HttpResponseData: return "HTTP_RESPONSE_DATA";
    case Event::HttpResponseRelease: return "HTTP_RESPONSE_RELEASE";
    case Event::HttpDisabled: return "HTTP_DISABLED";
    case Event::ServerClosed: return "SERVER_CLOSED";
    case Event::ClientClosed: return "CLIENT_CLOSED";
  }
  return "UNKNOWN";
}

std::optional<Event> event_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kEventCount; ++i) {
    const Event event = static_cast<Event>(i);
    if (name == event_name(event)) return event;
  }
  return std::nullopt;
}

void Transaction::begin_request() {
  http_disabled = false;
  lb_reselect = false;
  local_response.reset();
  has_responded = false;
  http_collect = Collect{};
  response = nullptr;
}

}  // namespace irulesd
