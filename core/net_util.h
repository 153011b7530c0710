// Small socket-address helpers.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>

namespace irulesd {

// Fills `out` from dotted IPv4 + port; false when the address is not dotted IPv4.
bool make_ipv4(const std::string& address, uint16_t port, sockaddr_in& out);
// "127.0.0.1" and the port of an IPv4 sockaddr.
std::string address_string(const sockaddr_storage& addr);
uint16_t address_port(const sockaddr_storage& addr);
// True when `address` lies in network/prefix_len.
bool ipv4_in_network(const std::string& address, const std::string& network, int prefix_len);

}  // namespace irulesd
