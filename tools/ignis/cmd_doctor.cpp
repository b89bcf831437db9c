// `ignis doctor`: why the GPU is or is not used, and what to do about it.
#include <fmt/format.h>

#include <chrono>
#include <memory>

#include "commands.hpp"
#include "ignis/diag/doctor.hpp"

namespace ignis::cli {

namespace {

struct DoctorFlags {
  bool json = false;
  bool frameworks = false;
  bool no_live = false;
  std::string python;  // empty: every interpreter the search finds
  double timeout_s = 60;
  std::string root = "/";
};

}  // namespace

void add_doctor_command(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "doctor", "Diagnose the GPU stack (hardware, driver, CUDA, this build) and say what to do");
  cmd->footer(
      "Exit codes: 0 a GPU is usable; 2 no NVIDIA GPU; 3 driver missing, broken or too old; 4 GPU "
      "hidden or\n"
      "unavailable (CUDA_VISIBLE_DEVICES, container, compute mode); 5 this build cannot use it (no "
      "CUDA build,\n"
      "plugin, architecture); 6 a live probe failed. See docs/doctor.md for every finding code.");
  auto flags = std::make_shared<DoctorFlags>();
  cmd->add_flag("--json", flags->json,
                "Print the report as JSON (schema: data/doctor.schema.json)");
  cmd->add_flag("--frameworks", flags->frameworks,
                "Also check PyTorch and TensorFlow for every Python interpreter found (python3 "
                "and python on PATH, /usr/bin/python3, VIRTUAL_ENV, CONDA_PREFIX, pyenv, conda, "
                "Jupyter kernels)");
  cmd->add_option("--python", flags->python,
                  "Check only this interpreter with --frameworks (default: every one found)");
  cmd->add_option("--timeout", flags->timeout_s,
                  "Seconds each framework check may take (per interpreter; interpreters are "
                  "checked 4 at a time)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--no-live", flags->no_live,
                "Do not run work on the GPU even when a CUDA backend is usable");
  cmd->add_option("--root", flags->root,
                  "Read /proc, /sys and /dev below this folder (for testing the probes)")
      ->capture_default_str();
  cmd->callback([flags, &exit_code] {
    diag::DoctorOptions options;
    options.probes.root = flags->root;
    options.frameworks =
        flags->frameworks ? diag::FrameworkCheck::kRun : diag::FrameworkCheck::kSkip;
    options.framework_options.python = flags->python;
    options.framework_options.timeout =
        std::chrono::milliseconds(static_cast<long long>(flags->timeout_s * 1000));
    options.live = flags->no_live ? diag::LiveProbeMode::kSkip : diag::LiveProbeMode::kWhenUsable;
    const diag::DoctorReport report = diag::run_doctor(options);
    fmt::print("{}\n", flags->json ? diag::report_json(report) : diag::render_report(report));
    exit_code = report.diagnosis.exit_code();
  });
}

}  // namespace ignis::cli
