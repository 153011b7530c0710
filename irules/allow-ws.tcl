# allow-ws: let WebSocket upgrades pass through a virtual server that has an HTTP profile.
#
# The rule of F5's guide for load balancing WebSocket gateways. For every HTTP request it logs
# that it ran; when the request asks for "Upgrade: websocket" it calls HTTP::disable, so the
# HTTP profile stops parsing this connection: the upgrade request and the backend's
# "101 Switching Protocols" pass unchanged and the connection becomes a byte tunnel between
# the client and the pool member. Without it (and without a websocket profile) the Upgrade and
# Connection headers are removed on the way to the backend and the handshake fails.
when HTTP_REQUEST {
 log local0. "processing irule for http request"
 if { "websocket" eq [string tolower [HTTP::header value "Upgrade"]] } {
  HTTP::disable
  log local0. "enabling websockets and disabling http"
 }
}
