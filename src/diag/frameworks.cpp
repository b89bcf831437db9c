// PyTorch and TensorFlow through python3, one child process per framework with a deadline: an
// import can hang (a stuck driver) or take seconds (TensorFlow), and must not take the doctor
// down with it. The child prints one JSON line after a marker; everything else is ignored.
#include "ignis/diag/frameworks.hpp"

#include <fmt/format.h>
#include <sys/wait.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "child_process.hpp"

namespace ignis::diag {

namespace {

using detail::ChildResult;
using detail::last_line;
using detail::run_child;

constexpr const char* kMarker = "IGNIS_FRAMEWORK_REPORT ";

constexpr const char* kScript = R"py(
import importlib.util, json, sys
name = sys.argv[1]
out = {"name": name, "installed": importlib.util.find_spec(name) is not None}
if out["installed"]:
    try:
        if name == "torch":
            import torch
            out["version"] = str(torch.__version__)
            out["cuda"] = torch.version.cuda
            out["built_with_cuda"] = torch.version.cuda is not None
            try:
                out["cudnn"] = str(torch.backends.cudnn.version() or "")
            except Exception:
                out["cudnn"] = ""
            out["gpu_available"] = bool(torch.cuda.is_available())
            out["device_count"] = torch.cuda.device_count() if out["gpu_available"] else 0
            try:
                out["arch_list"] = list(torch.cuda.get_arch_list())
            except Exception:
                out["arch_list"] = []
        else:
            import tensorflow as tf
            out["version"] = str(tf.__version__)
            out["built_with_cuda"] = bool(tf.test.is_built_with_cuda())
            info = tf.sysconfig.get_build_info()
            out["cuda"] = info.get("cuda_version")
            out["cudnn"] = str(info.get("cudnn_version") or "")
            gpus = tf.config.list_physical_devices("GPU")
            out["gpu_available"] = len(gpus) > 0
            out["device_count"] = len(gpus)
    except BaseException as e:
        text = str(e).strip().splitlines()
        out["error"] = type(e).__name__ + (": " + text[-1] if text else "")
print("IGNIS_FRAMEWORK_REPORT " + json.dumps(out), flush=True)
)py";

}  // namespace

FrameworkFacts parse_framework_report(const std::string& name, const std::string& json_text) {
  FrameworkFacts fw;
  fw.name = name;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    fw.state = FrameworkFacts::State::kImportFailed;
    fw.error = std::string("unreadable report from python3: ") + e.what();
    return fw;
  }
  const auto str = [&](const char* key) {
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
  };
  const auto flag = [&](const char* key) {
    return j.contains(key) && j[key].is_boolean() && j[key].get<bool>();
  };
  if (!flag("installed")) {
    fw.state = FrameworkFacts::State::kNotInstalled;
    return fw;
  }
  fw.version = str("version");
  if (j.contains("cuda") && j["cuda"].is_string()) fw.cuda = j["cuda"].get<std::string>();
  fw.cudnn = str("cudnn");
  fw.built_with_cuda = flag("built_with_cuda");
  fw.gpu_available = flag("gpu_available");
  if (j.contains("device_count") && j["device_count"].is_number_integer())
    fw.device_count = j["device_count"].get<int>();
  if (j.contains("arch_list") && j["arch_list"].is_array()) {
    for (const auto& a : j["arch_list"]) {
      if (a.is_string()) fw.arch_list.push_back(a.get<std::string>());
    }
  }
  fw.error = str("error");
  fw.state =
      fw.error.empty() ? FrameworkFacts::State::kChecked : FrameworkFacts::State::kImportFailed;
  return fw;
}

std::vector<FrameworkFacts> probe_frameworks(const FrameworkProbeOptions& options) {
  std::vector<FrameworkFacts> out;
  for (const char* name : {"torch", "tensorflow"}) {
    const auto started = std::chrono::steady_clock::now();
    const ChildResult child = run_child({options.python, "-c", kScript, name}, options.timeout);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();
    FrameworkFacts fw;
    fw.name = name;
    const std::string subject = fmt::format("{} -c <check {}>", options.python, name);
    if (child.outcome == ChildResult::Outcome::kSpawnFailed) {
      fw.state = FrameworkFacts::State::kNoPython;
      fw.error = fmt::format("could not start {}: {}", options.python, child.err);
    } else if (child.outcome == ChildResult::Outcome::kTimedOut) {
      fw.state = FrameworkFacts::State::kTimedOut;
      fw.error =
          fmt::format("no answer within {} s (killed); a hanging import often means a stuck driver",
                      options.timeout.count() / 1000.0);
    } else if (const auto at = child.out.find(kMarker); at != std::string::npos) {
      const auto end = child.out.find('\n', at);
      fw = parse_framework_report(
          name, child.out.substr(at + std::strlen(kMarker),
                                 end == std::string::npos ? end : end - at - std::strlen(kMarker)));
    } else if (WIFEXITED(child.status) && WEXITSTATUS(child.status) == 127) {
      fw.state = FrameworkFacts::State::kNoPython;  // a shell wrapper that found no interpreter
      fw.error = last_line(child.err);
    } else {
      fw.state = FrameworkFacts::State::kImportFailed;
      fw.error = WIFSIGNALED(child.status)
                     ? fmt::format("python3 died of signal {} while importing {}",
                                   WTERMSIG(child.status), name)
                     : "no report; stderr: " + last_line(child.err);
    }
    fw.observations.push_back(
        {Observation::Method::kSubprocess, subject,
         fmt::format("{} after {} ms: {}",
                     child.outcome == ChildResult::Outcome::kTimedOut ? "timed out" : "finished",
                     ms,
                     fw.state == FrameworkFacts::State::kNotInstalled ? "not installed"
                     : fw.error.empty()                               ? "version " + fw.version
                                                                      : fw.error)});
    out.push_back(std::move(fw));
    if (out.back().state == FrameworkFacts::State::kNoPython) {
      FrameworkFacts rest = out.back();  // no interpreter: the second framework has the same answer
      rest.name = "tensorflow";
      if (std::string(name) == "torch") out.push_back(std::move(rest));
      break;
    }
  }
  return out;
}

}  // namespace ignis::diag
