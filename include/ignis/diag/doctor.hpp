#pragma once
// `ignis doctor` as a library call: gather facts, run the live probes when a CUDA backend is
// usable, check the Python frameworks when asked, diagnose, and render as text or JSON.
#include <string>

#include "ignis/diag/findings.hpp"
#include "ignis/diag/frameworks.hpp"
#include "ignis/diag/probes.hpp"

namespace ignis::diag {

enum class FrameworkCheck { kSkip, kRun };
enum class LiveProbeMode { kWhenUsable, kSkip };

struct DoctorOptions {
  ProbeOptions probes;
  FrameworkCheck frameworks = FrameworkCheck::kSkip;
  FrameworkProbeOptions framework_options;
  LiveProbeMode live = LiveProbeMode::kWhenUsable;
};

struct DoctorReport {
  Facts facts;
  Diagnosis diagnosis;
};

/// Never throws on a broken system: every probe failure is a fact.
DoctorReport run_doctor(const DoctorOptions& options = {});

/// The JSON document of `ignis doctor --json`; its schema is data/doctor.schema.json
/// (documented in docs/doctor.md). `schema_version` changes when a field changes meaning.
inline constexpr int kDoctorSchemaVersion = 1;
std::string report_json(const DoctorReport& report);

/// The human report: the verdict line first, a section per stage with ✓ / ! / ✗, then the
/// numbered fix list.
std::string render_report(const DoctorReport& report);

}  // namespace ignis::diag
