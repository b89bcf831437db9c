#include "report.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace libtorch_peer {
namespace {

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

/// A JSON number (NaN and infinities, which JSON lacks, as null).
std::string number(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

std::string to_json(const std::vector<std::pair<std::string, std::string>>& context,
                    const std::vector<double>& load_avg, const std::vector<Row>& rows) {
  std::ostringstream o;
  o << "{\n  \"context\": {";
  for (const auto& [key, value] : context) o << "\n    " << quoted(key) << ": " << quoted(value) << ",";
  o << "\n    \"load_avg\": [";
  for (std::size_t i = 0; i < load_avg.size(); ++i) o << (i ? ", " : "") << number(load_avg[i]);
  o << "]\n  },\n  \"benchmarks\": [";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    o << (i ? "," : "") << "\n    {\"name\": " << quoted(r.name) << ", \"run_name\": " << quoted(r.name)
      << ", \"run_type\": \"aggregate\", \"aggregate_name\": \"median\", \"iterations\": " << r.time.iterations
      << ", \"real_time\": " << number(r.time.wall * 1e6) << ", \"cpu_time\": " << number(r.time.cpu * 1e6)
      << ", \"time_unit\": \"us\"";
    for (const auto& [key, value] : r.counters) o << ", " << quoted(key) << ": " << number(value);
    o << "}";
  }
  o << "\n  ]\n}\n";
  return o.str();
}

double status_mib(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) return std::strtod(line.c_str() + field.size(), nullptr) / 1024.0;  // kB
  }
  return -1;
}

bool reset_peak_rss() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  clear.flush();
  return static_cast<bool>(clear);
}

}  // namespace libtorch_peer
