#pragma once
// The Python interpreters a user may be running, for `ignis doctor --frameworks`.
//
// "torch.cuda.is_available() is False" is very often a PyTorch with CUDA installed for another
// interpreter than the one that runs the program. So the doctor looks where interpreters live:
// `python3` and `python` on PATH, the system's python3, the active virtual and conda
// environments, pyenv's versions, conda's environments and Jupyter kernels. The search only lists
// folders, reads small files and (when conda exists) runs `conda env list --json` with a
// deadline; it never starts an interpreter (frameworks.hpp does that).
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ignis/diag/facts.hpp"

namespace ignis::diag {

/// Where to look. from_environment() fills it from the process environment (or a map, for
/// tests) and a root folder: fixed system locations (/usr/bin/python3, /opt/conda, ...) are read
/// below `root`, like the other file probes; locations from variables are used as they are.
struct PythonSearch {
  std::string path;               // PATH
  std::string home;               // HOME: ~/.pyenv, ~/miniconda3, ~/.conda, ~/.local/share/jupyter
  std::string virtual_env;        // VIRTUAL_ENV
  std::string conda_prefix;       // CONDA_PREFIX
  std::string conda_default_env;  // CONDA_DEFAULT_ENV: the active conda environment's name
  std::string pyenv_root;         // PYENV_ROOT; empty: ~/.pyenv
  std::string conda_exe;          // CONDA_EXE; empty: `conda` on PATH, if any
  std::string jupyter_path;       // JUPYTER_PATH: extra data folders, ':'-separated
  std::string jupyter_data_dir;   // JUPYTER_DATA_DIR; empty: ~/.local/share/jupyter
  /// Fixed interpreter paths (already below root).
  std::vector<std::string> system_pythons;
  /// Conda installations whose base and envs/* are listed (already below root where fixed).
  std::vector<std::string> conda_roots;
  /// Jupyter data folders of the system (already below root); kernels are in <dir>/kernels.
  std::vector<std::string> jupyter_system_dirs;
  /// For `conda env list --json` (conda is itself a Python program and can be slow to start).
  std::chrono::milliseconds conda_timeout{15000};

  static PythonSearch from_environment(
      const std::filesystem::path& root = "/",
      const std::optional<std::map<std::string, std::string>>& environment = std::nullopt);
};

/// An interpreter to check, before it has been asked anything.
struct PythonCandidate {
  std::string command;                 // an absolute path (PATH names are resolved)
  std::vector<PythonSource> found_as;  // every way it was found, in search order
  bool primary = false;                // what `python3` on PATH runs
};

/// Every interpreter found, in this order: `python3` on PATH (the primary one), `python` on PATH,
/// the system pythons, $VIRTUAL_ENV, $CONDA_PREFIX, pyenv's versions (oldest first), conda's
/// environments, Jupyter kernels. Paths are deduplicated by their resolved path, except that an
/// interpreter inside a virtual environment (a pyvenv.cfg beside or above it) stays apart from
/// the interpreter its symlink points at: its packages differ. Only executable files are listed;
/// a Jupyter kernel whose argv[0] is a bare name ("python3") is skipped, since Jupyter replaces it
/// with its own interpreter, which the doctor cannot know. What was looked at is appended to
/// `observations`. Never throws.
std::vector<PythonCandidate> discover_pythons(const PythonSearch& search,
                                              std::vector<Observation>& observations);

}  // namespace ignis::diag
