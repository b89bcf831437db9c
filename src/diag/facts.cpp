#include "ignis/diag/facts.hpp"

#include <algorithm>
#include <cctype>

namespace ignis::diag {

std::string name(Observation::Method method) {
  switch (method) {
    case Observation::Method::kFile:
      return "file";
    case Observation::Method::kDirectory:
      return "directory";
    case Observation::Method::kDlopen:
      return "dlopen";
    case Observation::Method::kCall:
      return "call";
    case Observation::Method::kEnvironment:
      return "environment";
    case Observation::Method::kBuild:
      return "build";
    case Observation::Method::kSubprocess:
      return "subprocess";
  }
  return "unknown";
}

std::string name(EnvironmentFacts::Container container) {
  switch (container) {
    case EnvironmentFacts::Container::kNone:
      return "none";
    case EnvironmentFacts::Container::kDocker:
      return "docker";
    case EnvironmentFacts::Container::kPodman:
      return "podman";
    case EnvironmentFacts::Container::kKubernetes:
      return "kubernetes";
    case EnvironmentFacts::Container::kOther:
      return "other";
  }
  return "unknown";
}

int HardwareFacts::gpu_count() const {
  return static_cast<int>(
      std::count_if(nvidia.begin(), nvidia.end(), [](const PciDevice& d) { return d.is_gpu(); }));
}

bool KernelDriverFacts::has_node(const std::string& node) const {
  return std::find(device_nodes.begin(), device_nodes.end(), node) != device_nodes.end();
}

int KernelDriverFacts::gpu_node_count() const {
  return static_cast<int>(
      std::count_if(device_nodes.begin(), device_nodes.end(), [](const std::string& n) {
        return n.size() > 11 && n.starts_with("/dev/nvidia") &&
               std::isdigit(static_cast<unsigned char>(n[11]));
      }));
}

bool FrameworkFacts::is_cuda_build() const {
  if (state != State::kChecked) return false;
  if (name == "torch") return cuda.has_value() && version.find("+cpu") == std::string::npos;
  return built_with_cuda;
}

bool FrameworkFacts::is_installed() const {
  return state == State::kChecked || state == State::kImportFailed || state == State::kTimedOut;
}

std::string framework_title(const std::string& name) {
  if (name == "torch") return "PyTorch";
  if (name == "tensorflow") return "TensorFlow";
  return name;
}

std::string name(PythonSource::Kind kind) {
  switch (kind) {
    case PythonSource::Kind::kPath:
      return "path";
    case PythonSource::Kind::kSystem:
      return "system";
    case PythonSource::Kind::kVirtualEnv:
      return "virtualenv";
    case PythonSource::Kind::kCondaPrefix:
      return "conda-prefix";
    case PythonSource::Kind::kPyenv:
      return "pyenv";
    case PythonSource::Kind::kConda:
      return "conda";
    case PythonSource::Kind::kJupyter:
      return "jupyter";
    case PythonSource::Kind::kChosen:
      return "chosen";
  }
  return "unknown";
}

std::string describe(const PythonSource& source) {
  switch (source.kind) {
    case PythonSource::Kind::kPath:
      return "`" + source.name + "` on PATH";
    case PythonSource::Kind::kSystem:
      return source.name;
    case PythonSource::Kind::kVirtualEnv:
      return "the active virtual environment " + source.path;
    case PythonSource::Kind::kCondaPrefix:
      return "the active conda environment " + source.name;
    case PythonSource::Kind::kPyenv:
      return "pyenv " + source.name;
    case PythonSource::Kind::kConda:
      return "conda env " + source.name;
    case PythonSource::Kind::kJupyter:
      return "Jupyter kernel \"" + source.name + "\"";
    case PythonSource::Kind::kChosen:
      return "--python " + source.name;
  }
  return source.name;
}

std::string PythonFacts::label() const {
  const bool path_python3 =
      std::any_of(found_as.begin(), found_as.end(), [](const PythonSource& s) {
        return s.kind == PythonSource::Kind::kPath && s.name == "python3";
      });
  if (primary && path_python3) return "`python3`";
  return path();
}

std::string PythonFacts::path() const { return executable.empty() ? command : executable; }

const FrameworkFacts* PythonFacts::framework(const std::string& name) const {
  for (const auto& fw : frameworks) {
    if (fw.name == name) return &fw;
  }
  return nullptr;
}

const PythonFacts* PythonFrameworkFacts::primary() const {
  for (const auto& p : interpreters) {
    if (p.primary) return &p;
  }
  return nullptr;
}

const CudaLibraryFacts* Facts::library(const std::string& name) const {
  for (const auto& l : libraries) {
    if (l.name == name) return &l;
  }
  return nullptr;
}

}  // namespace ignis::diag
