#include "core/transaction.h"

namespace irulesd {

const char* event_name(Event event) {
  switch (event) {
    case Event::ClientAccepted: return "CLIENT_ACCEPTED";
    case Event::HttpRequest: return "HTTP_REQUEST";
    case Event::HttpResponse: return "HTTP_RESPONSE";
    case Event::ClientClosed: return "CLIENT_CLOSED";
  }
  return "UNKNOWN";
}

}  // namespace irulesd
