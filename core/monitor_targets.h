// The health-monitor targets a config asks for: every pool member whose rule (its own, else its
// pool's) names monitors, and every node whose rule (its own, else `ltm default-node-monitor`) does.
#pragma once

#include <vector>

#include "core/config.h"
#include "core/health_monitor.h"

namespace irulesd {

std::vector<MonitorTarget> monitor_targets(const Config& config);

}  // namespace irulesd
