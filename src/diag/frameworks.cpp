// PyTorch and TensorFlow through each Python interpreter, one child process per framework with a
// deadline: an import can hang (a stuck driver) or take seconds (TensorFlow), and must not take
// the doctor down with it. The child prints one JSON line after a marker; everything else is
// ignored. Interpreters are checked a few at a time on worker threads.
#include "ignis/diag/frameworks.hpp"

#include <fmt/format.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <nlohmann/json.hpp>
#include <thread>

#include "child_process.hpp"

namespace ignis::diag {

namespace {

using detail::ChildResult;

constexpr const char* kMarker = "IGNIS_FRAMEWORK_REPORT ";

// Runs under every Python the search finds, Python 2.7 included (pyenv keeps old versions
// around): no f-strings, no print function, importlib.util only where it exists. It also reports
// the interpreter itself, which is how a pyenv shim and the version it runs are found to be one.
constexpr const char* kScript = R"py(
import json, os, sys
name = sys.argv[1]
def installed(n):
    try:
        import importlib.util
        return importlib.util.find_spec(n) is not None
    except (ImportError, AttributeError):
        import imp
        try:
            imp.find_module(n)
            return True
        except ImportError:
            return False
def externally_managed():
    try:
        import sysconfig
        if getattr(sys, "base_prefix", sys.prefix) != sys.prefix:
            return False
        return os.path.isfile(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED"))
    except Exception:
        return False
exe = sys.executable or ""
out = {"name": name, "installed": installed(name),
       "python": {"executable": exe, "real_executable": os.path.realpath(exe) if exe else "",
                  "prefix": sys.prefix, "version": "%d.%d.%d" % tuple(sys.version_info[:3]),
                  "externally_managed": externally_managed()}}
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
sys.stdout.write("IGNIS_FRAMEWORK_REPORT " + json.dumps(out) + "\n")
sys.stdout.flush()
)py";

/// The "python" object of a report: the interpreter as it describes itself. Fills only what
/// `py` does not know yet.
void read_identity(const std::string& json_text, PythonFacts& py) {
  if (!py.real_executable.empty()) return;
  try {
    const auto j = nlohmann::json::parse(json_text);
    if (!j.contains("python") || !j["python"].is_object()) return;
    const auto& p = j["python"];
    const auto str = [&](const char* key) {
      return p.contains(key) && p[key].is_string() ? p[key].get<std::string>() : std::string();
    };
    py.executable = str("executable");
    py.real_executable = str("real_executable");
    py.prefix = str("prefix");
    py.version = str("version");
    py.externally_managed = p.value("externally_managed", false);
  } catch (const nlohmann::json::exception&) {
    // parse_framework_report records the unreadable report
  }
}

/// Who the interpreter is, for merging: itself resolved plus its prefix (a venv shares its
/// base's binary); the command when it never answered.
std::string identity(const PythonFacts& py) {
  if (!py.real_executable.empty()) return py.real_executable + "\n" + py.prefix;
  return "command:" + py.command;
}

}  // namespace

FrameworkFacts parse_framework_report(const std::string& name, const std::string& json_text) {
  FrameworkFacts fw;
  fw.name = name;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    fw.state = FrameworkFacts::State::kImportFailed;
    fw.error = std::string("unreadable report from the interpreter: ") + e.what();
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

PythonFacts probe_python(const PythonCandidate& candidate, std::chrono::milliseconds timeout) {
  PythonFacts py;
  py.command = candidate.command;
  py.found_as = candidate.found_as;
  py.primary = candidate.primary;
  for (const char* name : {"torch", "tensorflow"}) {
    const auto started = std::chrono::steady_clock::now();
    const ChildResult child = detail::run_child({py.command, "-c", kScript, name}, timeout);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();
    FrameworkFacts fw;
    fw.name = name;
    const std::string subject = fmt::format("{} -c <check {}>", py.command, name);
    if (child.outcome == ChildResult::Outcome::kSpawnFailed) {
      fw.state = FrameworkFacts::State::kNoPython;
      fw.error = fmt::format("could not start {}: {}", py.command, child.err);
    } else if (child.outcome == ChildResult::Outcome::kTimedOut) {
      fw.state = FrameworkFacts::State::kTimedOut;
      fw.error =
          fmt::format("no answer within {} s (killed); a hanging import often means a stuck driver",
                      timeout.count() / 1000.0);
    } else if (const auto at = child.out.find(kMarker); at != std::string::npos) {
      const auto end = child.out.find('\n', at);
      const std::string report =
          child.out.substr(at + std::strlen(kMarker),
                           end == std::string::npos ? end : end - at - std::strlen(kMarker));
      fw = parse_framework_report(name, report);
      read_identity(report, py);
    } else if (WIFEXITED(child.status) && WEXITSTATUS(child.status) == 127) {
      fw.state = FrameworkFacts::State::kNoPython;  // a shell wrapper that found no interpreter
      fw.error = detail::last_line(child.err);
    } else {
      fw.state = FrameworkFacts::State::kImportFailed;
      fw.error = WIFSIGNALED(child.status) ? fmt::format("{} died of signal {} while importing {}",
                                                         py.command, WTERMSIG(child.status), name)
                                           : "no report; stderr: " + detail::last_line(child.err);
    }
    fw.observations.push_back(
        {Observation::Method::kSubprocess, subject,
         fmt::format("{} after {} ms: {}",
                     child.outcome == ChildResult::Outcome::kTimedOut ? "timed out" : "finished",
                     ms,
                     fw.state == FrameworkFacts::State::kNotInstalled ? "not installed"
                     : fw.error.empty()                               ? "version " + fw.version
                                                                      : fw.error)});
    py.frameworks.push_back(std::move(fw));
    if (py.frameworks.back().state == FrameworkFacts::State::kNoPython) {
      // No interpreter: the second framework has the same answer.
      FrameworkFacts rest = py.frameworks.back();
      rest.name = "tensorflow";
      if (std::string(name) == "torch") py.frameworks.push_back(std::move(rest));
      break;
    }
  }
  return py;
}

PythonFrameworkFacts probe_python_frameworks(const FrameworkProbeOptions& options) {
  PythonFrameworkFacts out;
  out.checked = true;
  std::vector<PythonCandidate> candidates;
  if (!options.python.empty()) {
    candidates.push_back(
        {options.python, {{PythonSource::Kind::kChosen, options.python, ""}}, true});
  } else {
    const PythonSearch search = options.search ? *options.search : PythonSearch::from_environment();
    candidates = discover_pythons(search, out.observations);
    if (candidates.size() > options.max_pythons) {
      out.observations.push_back({Observation::Method::kDirectory, "interpreter search",
                                  fmt::format("{} interpreters found; the first {} checked",
                                              candidates.size(), options.max_pythons)});
      candidates.resize(options.max_pythons);
    }
  }
  std::vector<PythonFacts> checked(candidates.size());
  {
    std::atomic<std::size_t> next{0};
    const auto work = [&] {
      for (std::size_t i; (i = next.fetch_add(1)) < candidates.size();)
        checked[i] = probe_python(candidates[i], options.timeout);
    };
    const std::size_t workers =
        std::min<std::size_t>(std::max(options.parallel, 1), candidates.size());
    std::vector<std::jthread> pool;
    for (std::size_t w = 1; w < workers; ++w) pool.emplace_back(work);
    work();
  }  // the pool joins here
  for (auto& py : checked) {
    const auto same =
        std::find_if(out.interpreters.begin(), out.interpreters.end(),
                     [&](const PythonFacts& p) { return identity(p) == identity(py); });
    if (same == out.interpreters.end()) {
      out.interpreters.push_back(std::move(py));
      continue;
    }
    // The same interpreter found another way (a shim, a symlink): keep the first check and every
    // way it was found.
    for (auto& source : py.found_as) same->found_as.push_back(std::move(source));
    same->primary = same->primary || py.primary;
  }
  std::stable_partition(out.interpreters.begin(), out.interpreters.end(),
                        [](const PythonFacts& p) { return p.primary; });
  return out;
}

}  // namespace ignis::diag
