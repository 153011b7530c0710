// HSL::open / HSL::send for one worker. (Placeholder: handles are refused until the sender is built.)
#include "core/worker_services.h"

namespace irulesd {
namespace {

class HslSender final : public WorkerServices {
 public:
  explicit HslSender(uv_loop_t* loop) : loop_(loop) {}
  std::string hsl_open(const Config&, const std::string&, bool, std::string* error) override {
    *error = "HSL is not available yet";
    return {};
  }
  bool hsl_send(const std::string&, std::string_view) override { return false; }
  void close() override {}

 private:
  uv_loop_t* loop_;
};

}  // namespace

std::unique_ptr<WorkerServices> make_worker_services(uv_loop_t* loop) { return std::make_unique<HslSender>(loop); }

}  // namespace irulesd
