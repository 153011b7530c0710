// The health-monitor targets a config asks for: every pool member whose rule (its own, else its
// pool's) names monitors, and every node whose rule (its own, else `ltm default-node-monitor`) does.
// A pool with min-up-members-checking enabled gets one PoolUpWatch, carried by its members' targets
// and by the targets of the nodes they sit on: their transitions are what can cross the minimum.
#pragma once

#include <vector>

#include "core/config.h"
#include "core/health_monitor.h"

namespace irulesd {

std::vector<MonitorTarget> monitor_targets(const Config& config);

}  // namespace irulesd
