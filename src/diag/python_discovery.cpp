// The interpreter search of `ignis doctor --frameworks` (python_discovery.hpp): PATH, system
// paths, active environments, pyenv, conda and Jupyter kernels. Files and folders only, plus
// `conda env list --json` with a deadline; no interpreter is started here.
#include "ignis/diag/python_discovery.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <system_error>

#include "child_process.hpp"
#include "ignis/diag/compat_tables.hpp"

namespace ignis::diag {

namespace {

namespace fs = std::filesystem;
using Kind = PythonSource::Kind;

bool is_executable_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) && access(p.c_str(), X_OK) == 0;
}

bool is_folder(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, sep);) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

/// The first executable `name` in PATH's folders (what a shell would run), or "".
std::string on_path(const std::string& name, const std::string& path) {
  for (const auto& dir : split(path, ':')) {
    const fs::path p = fs::path(dir) / name;
    if (is_executable_file(p)) return p.string();
  }
  return "";
}

/// <dir>/bin/python3, else <dir>/bin/python (Python 2 installs have only the latter), or "".
std::string interpreter_in(const fs::path& dir) {
  for (const char* name : {"bin/python3", "bin/python"}) {
    if (is_executable_file(dir / name)) return (dir / name).string();
  }
  return "";
}

/// The sub-folders of `dir`, sorted by name; empty when it cannot be listed.
std::vector<fs::path> subfolders(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (is_folder(it->path())) out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// Identity of an interpreter file before asking it anything. A venv's python is a symlink to
/// its base interpreter, so the resolved path alone would merge the two; Python itself detects a
/// venv by a pyvenv.cfg beside the executable or one folder up, so that folder joins the key.
std::string candidate_key(const std::string& command) {
  std::error_code ec;
  const fs::path p(command);
  fs::path real = fs::canonical(p, ec);
  std::string key = ec ? p.lexically_normal().string() : real.string();
  for (const fs::path& dir : {p.parent_path(), p.parent_path().parent_path()}) {
    if (fs::exists(dir / "pyvenv.cfg", ec)) {
      const fs::path venv = fs::canonical(dir, ec);
      key += "|venv:" + (ec ? dir.string() : venv.string());
      break;
    }
  }
  return key;
}

/// The name conda gives an environment folder: its own name inside an envs/ folder, "base" for
/// an installation's root, else the path.
std::string conda_env_name(const fs::path& env) {
  if (env.parent_path().filename() == "envs") return env.filename().string();
  std::error_code ec;
  if (fs::exists(env / "condabin", ec) || is_folder(env / "envs")) return "base";
  return env.string();
}

class Search {
 public:
  Search(const PythonSearch& s, std::vector<Observation>& observations)
      : s_(s), obs_(observations) {}

  std::vector<PythonCandidate> run() {
    path_pythons();
    for (const auto& p : s_.system_pythons) {
      if (is_executable_file(p)) add(p, {Kind::kSystem, p, ""});
      note(Observation::Method::kFile, p, is_executable_file(p) ? "executable" : "not found");
    }
    environment_dir("VIRTUAL_ENV", s_.virtual_env, Kind::kVirtualEnv);
    environment_dir("CONDA_PREFIX", s_.conda_prefix, Kind::kCondaPrefix);
    pyenv();
    conda();
    jupyter();
    return std::move(found_);
  }

 private:
  void note(Observation::Method method, std::string subject, std::string result) {
    obs_.push_back({method, std::move(subject), std::move(result)});
  }

  /// Adds the interpreter at `command`, or records another way of finding one already listed.
  void add(const std::string& command, PythonSource source, bool primary = false) {
    const std::string key = candidate_key(command);
    for (std::size_t i = 0; i < found_.size(); ++i) {
      if (keys_[i] != key) continue;
      auto& c = found_[i];
      const bool known = std::any_of(c.found_as.begin(), c.found_as.end(), [&](const auto& f) {
        return f.kind == source.kind && f.name == source.name;
      });
      if (!known) c.found_as.push_back(std::move(source));
      c.primary = c.primary || primary;
      return;
    }
    keys_.push_back(key);
    found_.push_back({command, {std::move(source)}, primary});
  }

  void path_pythons() {
    for (const char* name : {"python3", "python"}) {
      const std::string p = on_path(name, s_.path);
      note(Observation::Method::kEnvironment, fmt::format("`{}` on PATH", name),
           p.empty() ? "not found" : p);
      if (!p.empty()) add(p, {Kind::kPath, name, ""}, std::string(name) == "python3");
    }
  }

  void environment_dir(const char* variable, const std::string& dir, Kind kind) {
    note(Observation::Method::kEnvironment, variable, dir.empty() ? "unset" : "\"" + dir + "\"");
    if (dir.empty()) return;
    const std::string p = interpreter_in(dir);
    if (p.empty()) {
      note(Observation::Method::kDirectory, dir + "/bin", "no python3 or python in it");
      return;
    }
    std::string name = fs::path(dir).filename().string();
    if (kind == Kind::kCondaPrefix) {
      name = s_.conda_default_env.empty() ? conda_env_name(dir) : s_.conda_default_env;
    }
    add(p, {kind, name, dir});
  }

  void pyenv() {
    const fs::path root = !s_.pyenv_root.empty() ? fs::path(s_.pyenv_root)
                          : !s_.home.empty()     ? fs::path(s_.home) / ".pyenv"
                                                 : fs::path();
    if (root.empty()) return;
    std::vector<fs::path> versions = subfolders(root / "versions");
    // Oldest first by version number; names that are not numbers ("miniconda3-latest", a
    // pyenv-virtualenv name) after them, by name.
    std::stable_sort(versions.begin(), versions.end(), [](const fs::path& a, const fs::path& b) {
      const Version va = Version::parse(a.filename().string());
      const Version vb = Version::parse(b.filename().string());
      if (va.empty() != vb.empty()) return !va.empty();
      if (va.empty()) return false;
      return va < vb;
    });
    std::string names;
    int n = 0;
    for (const auto& v : versions) {
      const std::string p = interpreter_in(v);
      if (p.empty()) continue;
      names += ' ';
      names += v.filename().string();
      ++n;
      add(p, {Kind::kPyenv, v.filename().string(), v.string()});
    }
    note(Observation::Method::kDirectory, (root / "versions").string(),
         is_folder(root / "versions")
             ? fmt::format("{} version(s) with an interpreter:{}", n, names)
             : "not found");
  }

  void conda_env(const fs::path& env) {
    if (const std::string p = interpreter_in(env); !p.empty())
      add(p, {Kind::kConda, conda_env_name(env), env.string()});
  }

  void conda() {
    std::vector<std::string> roots = s_.conda_roots;
    std::string exe = s_.conda_exe;
    if (exe.empty()) exe = on_path("conda", s_.path);
    // CONDA_EXE is <root>/bin/conda (or <root>/condabin/conda): that root is an installation too.
    if (!exe.empty()) roots.push_back(fs::path(exe).parent_path().parent_path().string());
    int installations = 0;
    for (const auto& root : roots) {
      if (!is_folder(root)) continue;
      ++installations;
      conda_env(root);
      const auto envs = subfolders(fs::path(root) / "envs");
      for (const auto& env : envs) conda_env(env);
      note(Observation::Method::kDirectory, root,
           fmt::format("a conda installation; {} env(s) in envs/", envs.size()));
    }
    // conda keeps a list of every environment it created, wherever it lives.
    if (!s_.home.empty()) {
      const fs::path list = fs::path(s_.home) / ".conda" / "environments.txt";
      std::ifstream in(list);
      int n = 0;
      for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.front() == '/') {
          conda_env(line);
          ++n;
        }
      }
      if (in.is_open() || n > 0)
        note(Observation::Method::kFile, list.string(), fmt::format("{} environment(s)", n));
      for (const auto& env : subfolders(fs::path(s_.home) / ".conda" / "envs")) conda_env(env);
    }
    if (installations == 0 && exe.empty()) {
      note(Observation::Method::kDirectory, "conda",
           "no installation in the usual folders, and `conda` is not on PATH");
    }
    if (exe.empty()) return;
    const auto child = detail::run_child({exe, "env", "list", "--json"}, s_.conda_timeout);
    const std::string subject = exe + " env list --json";
    if (child.outcome != detail::ChildResult::Outcome::kExited) {
      note(Observation::Method::kSubprocess, subject,
           child.outcome == detail::ChildResult::Outcome::kTimedOut
               ? fmt::format("no answer within {} s (killed)", s_.conda_timeout.count() / 1000.0)
               : "could not start: " + child.err);
      return;
    }
    try {
      const auto j = nlohmann::json::parse(child.out);
      int n = 0;
      for (const auto& env : j.at("envs")) {
        if (!env.is_string()) continue;
        conda_env(env.get<std::string>());
        ++n;
      }
      note(Observation::Method::kSubprocess, subject, fmt::format("{} environment(s)", n));
    } catch (const nlohmann::json::exception&) {
      note(Observation::Method::kSubprocess, subject,
           "no JSON list of environments: " + detail::last_line(child.err + child.out));
    }
  }

  void kernel(const fs::path& spec) {
    std::ifstream in(spec);
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception&) {
      note(Observation::Method::kFile, spec.string(), "skipped: not JSON");
      return;
    }
    const std::string language = j.value("language", std::string("python"));
    std::string argv0;
    if (j.contains("argv") && j["argv"].is_array() && !j["argv"].empty() &&
        j["argv"][0].is_string())
      argv0 = j["argv"][0].get<std::string>();
    std::string lower = language;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower != "python") {
      note(Observation::Method::kFile, spec.string(), "skipped: language " + language);
    } else if (argv0.empty() || argv0.front() != '/') {
      // Jupyter starts "python"/"python3" kernels with its own interpreter, unknown here.
      note(Observation::Method::kFile, spec.string(),
           "skipped: argv[0] \"" + argv0 + "\" is not a path");
    } else if (!is_executable_file(argv0)) {
      note(Observation::Method::kFile, spec.string(),
           "skipped: argv[0] " + argv0 + " does not exist or is not executable");
    } else {
      const std::string display = j.value("display_name", spec.parent_path().filename().string());
      note(Observation::Method::kFile, spec.string(), "argv[0] " + argv0);
      add(argv0, {Kind::kJupyter, display, spec.parent_path().string()});
    }
  }

  void jupyter() {
    std::vector<std::string> dirs = split(s_.jupyter_path, ':');
    if (!s_.jupyter_data_dir.empty()) {
      dirs.push_back(s_.jupyter_data_dir);
    } else if (!s_.home.empty()) {
      dirs.push_back((fs::path(s_.home) / ".local/share/jupyter").string());
    }
    for (const auto& env : {s_.virtual_env, s_.conda_prefix}) {
      if (!env.empty()) dirs.push_back((fs::path(env) / "share/jupyter").string());
    }
    dirs.insert(dirs.end(), s_.jupyter_system_dirs.begin(), s_.jupyter_system_dirs.end());
    int specs = 0;
    for (const auto& dir : dirs) {
      const fs::path kernels = fs::path(dir) / "kernels";
      if (!is_folder(kernels)) continue;
      for (const auto& k : subfolders(kernels)) {
        std::error_code ec;
        if (!fs::exists(k / "kernel.json", ec)) continue;
        kernel(k / "kernel.json");
        ++specs;
      }
    }
    note(Observation::Method::kDirectory, "Jupyter kernels",
         fmt::format("{} kernel.json file(s) in the kernels/ folders of {} data folder(s)", specs,
                     dirs.size()));
  }

  const PythonSearch& s_;
  std::vector<Observation>& obs_;
  std::vector<PythonCandidate> found_;
  std::vector<std::string> keys_;  // candidate_key of found_[i]
};

}  // namespace

PythonSearch PythonSearch::from_environment(
    const fs::path& root, const std::optional<std::map<std::string, std::string>>& environment) {
  const auto get = [&](const char* key) -> std::string {
    if (environment) {
      const auto it = environment->find(key);
      return it == environment->end() ? std::string() : it->second;
    }
    const char* value = std::getenv(key);
    return value ? std::string(value) : std::string();
  };
  const auto under = [&](const std::string& absolute) {
    return (root / fs::path(absolute).relative_path()).lexically_normal().string();
  };
  PythonSearch s;
  s.path = get("PATH");
  s.home = get("HOME");
  s.virtual_env = get("VIRTUAL_ENV");
  s.conda_prefix = get("CONDA_PREFIX");
  s.conda_default_env = get("CONDA_DEFAULT_ENV");
  s.pyenv_root = get("PYENV_ROOT");
  s.conda_exe = get("CONDA_EXE");
  s.jupyter_path = get("JUPYTER_PATH");
  s.jupyter_data_dir = get("JUPYTER_DATA_DIR");
  s.system_pythons = {under("/usr/bin/python3"), under("/usr/local/bin/python3")};
  // The installers' default folders: per user below HOME, system-wide below /opt.
  if (!s.home.empty()) {
    for (const char* d : {"miniconda3", "anaconda3", "miniforge3", "mambaforge", "micromamba"})
      s.conda_roots.push_back((fs::path(s.home) / d).string());
  }
  for (const char* d : {"/opt/conda", "/opt/miniconda3", "/opt/anaconda3", "/opt/miniforge3"})
    s.conda_roots.push_back(under(d));
  s.jupyter_system_dirs = {under("/usr/local/share/jupyter"), under("/usr/share/jupyter")};
  return s;
}

std::vector<PythonCandidate> discover_pythons(const PythonSearch& search,
                                              std::vector<Observation>& observations) {
  return Search(search, observations).run();
}

}  // namespace ignis::diag
