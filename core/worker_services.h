// What rules reach of their worker beyond their own connection: high-speed logging (HSL::open /
// HSL::send). core implements it (core/hsl_sender.cc), one per worker, on the worker's loop, so the
// Tcl side never touches a socket itself.
#pragma once

#include <uv.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/config.h"

namespace irulesd {

class WorkerServices {
 public:
  virtual ~WorkerServices() = default;
  // HSL::open: a handle for sending to the members of `pool` (a name in `config`) over UDP or TCP.
  // Empty, with *error set, when the pool is unknown or has no members.
  virtual std::string hsl_open(const Config& config, const std::string& pool, bool tcp, std::string* error) = 0;
  // HSL::send: sends (UDP) or queues (TCP) data on a handle from hsl_open. False when the handle is
  // unknown or the message was dropped: data a member cannot take is dropped and counted, never
  // buffered without bound.
  virtual bool hsl_send(const std::string& handle, std::string_view data) = 0;
  // The worker is stopping and its connections are gone: close every socket (the loop ends once
  // they are closed).
  virtual void close() = 0;
};

std::unique_ptr<WorkerServices> make_worker_services(uv_loop_t* loop);

}  // namespace irulesd
