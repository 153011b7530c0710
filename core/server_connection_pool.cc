#include "core/server_connection_pool.h"

#include <algorithm>

namespace irulesd {

ServerConnectionPool::~ServerConnectionPool() {
  // The worker closes everything before its loop ends (close_all); what is left here was never
  // handed to libuv's close, so only the bookkeeping goes.
  for (auto& [key, entries] : idle_) {
    for (Entry* entry : entries) delete entry;
  }
  for (Entry* entry : spare_) delete entry;
}

ServerConnectionPool::Entry* ServerConnectionPool::park(uv_tcp_t* tcp, uv_close_cb on_closed, std::string_view key,
                                                        const Parking& parking) {
  auto kept = per_profile_.find(parking.profile);
  if (kept == per_profile_.end()) kept = per_profile_.emplace(std::string(parking.profile), 0).first;
  if (kept->second >= parking.max_size) return nullptr;
  Entry* entry = nullptr;
  if (spare_.empty()) {
    entry = new Entry{};
  } else {
    entry = spare_.back();
    spare_.pop_back();
  }
  entry->tcp = tcp;
  entry->on_closed = on_closed;
  entry->pool = this;
  entry->key.assign(key);
  entry->profile.assign(parking.profile);
  entry->expires_ms = parking.idle_timeout_ms == 0 ? 0 : uv_now(loop_) + parking.idle_timeout_ms;
  ++kept->second;
  ++count_;
  auto list = idle_.find(key);
  if (list == idle_.end()) list = idle_.emplace(std::string(key), std::vector<Entry*>{}).first;
  list->second.push_back(entry);
  return entry;
}

void ServerConnectionPool::recycle(Entry* entry) {
  // A bound on what is kept: a worker rarely has more parked at once than this.
  if (spare_.size() < 1024) {
    spare_.push_back(entry);
  } else {
    delete entry;
  }
}

uv_tcp_t* ServerConnectionPool::take(std::string_view key) {
  auto it = idle_.find(key);
  if (it == idle_.end() || it->second.empty()) return nullptr;
  // The most recent: the least likely to have been closed by the server's own keep-alive timeout.
  Entry* entry = it->second.back();
  unlink(entry);
  uv_tcp_t* tcp = entry->tcp;
  recycle(entry);
  ++reused_;
  return tcp;
}

void ServerConnectionPool::sweep(uint64_t now_ms) {
  std::vector<Entry*> expired;
  for (auto& [key, entries] : idle_) {
    for (Entry* entry : entries) {
      if (entry->expires_ms != 0 && entry->expires_ms <= now_ms) expired.push_back(entry);
    }
  }
  for (Entry* entry : expired) close_entry(entry);
  // Lists emptied by takes stay between sweeps (the next park under the key needs no allocation).
  std::erase_if(idle_, [](const auto& item) { return item.second.empty(); });
}

void ServerConnectionPool::close_all() {
  std::vector<Entry*> all;
  for (auto& [key, entries] : idle_) all.insert(all.end(), entries.begin(), entries.end());
  for (Entry* entry : all) close_entry(entry);
}

void ServerConnectionPool::unlink(Entry* entry) {
  auto list = idle_.find(entry->key);
  std::vector<Entry*>& entries = list->second;
  entries.erase(std::find(entries.begin(), entries.end(), entry));
  --per_profile_.find(entry->profile)->second;
  --count_;
}

void ServerConnectionPool::close_entry(Entry* entry) {
  unlink(entry);
  uv_tcp_t* tcp = entry->tcp;
  uv_close_cb on_closed = entry->on_closed;
  recycle(entry);
  uv_close(reinterpret_cast<uv_handle_t*>(tcp), on_closed);
}

}  // namespace irulesd
