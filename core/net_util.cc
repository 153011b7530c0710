#include "core/net_util.h"

#include <arpa/inet.h>

#include <cstring>

#include "core/config_version.h"

namespace irulesd {

bool make_ipv4(const std::string& address, uint16_t port, sockaddr_in& out) {
  std::memset(&out, 0, sizeof out);
  out.sin_family = AF_INET;
  out.sin_port = htons(port);
  return inet_pton(AF_INET, address.c_str(), &out.sin_addr) == 1;
}

std::string address_string(const sockaddr_storage& addr) {
  char buf[INET6_ADDRSTRLEN] = "";
  if (addr.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(addr).sin_addr, buf, sizeof buf);
  } else if (addr.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(addr).sin6_addr, buf, sizeof buf);
  }
  return buf;
}

uint16_t address_port(const sockaddr_storage& addr) {
  if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(addr).sin_port);
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(addr).sin6_port);
  return 0;
}

bool ipv4_in_network(const std::string& address, const std::string& network, int prefix_len) {
  if (prefix_len <= 0) return true;
  in_addr a{}, n{};
  if (inet_pton(AF_INET, address.c_str(), &a) != 1 || inet_pton(AF_INET, network.c_str(), &n) != 1) {
    return false;
  }
  uint32_t mask = prefix_len >= 32 ? 0xffffffffu : ~(0xffffffffu >> prefix_len);
  return (ntohl(a.s_addr) & mask) == (ntohl(n.s_addr) & mask);
}

std::string listen_key(const VirtualServer& vs) {
  return vs.dest_address + ":" + std::to_string(vs.dest_port);
}

}  // namespace irulesd
