# The "realistic 30-line rule" of the performance issue: header reads, switch -glob on the URI, class
# match against data groups, a header insert and a pool choice, on every request.
when HTTP_REQUEST {
  set host [string tolower [HTTP::host]]
  set uri [HTTP::uri]
  set agent [HTTP::header value "User-Agent"]
  if { [HTTP::header exists "X-Forwarded-For"] } {
    set client [lindex [split [HTTP::header value "X-Forwarded-For"] ","] 0]
  } else {
    set client [IP::client_addr]
  }
  switch -glob -- $uri {
    "/api/v1/*" { set backend api_pool }
    "/static/*" - "*.css" - "*.js" { set backend web_pool }
    "/admin*" {
      if { ![class match $client equals admin_clients] } {
        HTTP::respond 403 content "forbidden"
        return
      }
      set backend web_pool
    }
    default { set backend web_pool }
  }
  if { [class match $host ends_with blocked_hosts] } {
    log local0. "blocked host $host"
  }
  if { $agent contains "bot" } { set backend web_pool }
  HTTP::header insert "X-Client-IP" $client
  HTTP::header replace "X-Request-Path" [HTTP::path]
  pool $backend
}
