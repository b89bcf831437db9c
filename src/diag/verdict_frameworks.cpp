// Verdict stage 12, the Python frameworks: for each interpreter found, whether its PyTorch and
// TensorFlow are CUDA builds that fit this driver and GPU; then across interpreters, whether the
// framework is installed (with CUDA, or at all) for another interpreter than the one `python3`
// runs, the usual reason for "torch.cuda.is_available() is False" on a machine whose GPU works.
// Framework findings never change ignis's own verdict or exit code.
#include <fmt/format.h>

#include <algorithm>

#include "verdict_stages.hpp"

namespace ignis::diag::detail {

namespace {

using State = FrameworkFacts::State;

/// The PyTorch wheel index that fits this driver and these GPUs (newest first), if any.
const TorchBuild* fitting_torch_build(const VerdictContext& ctx) {
  const Version driver_cuda = driver_cuda_version(ctx.facts);
  const Version driver = Version::parse(driver_version(ctx.facts));
  for (const auto& b : ctx.tables.torch_builds()) {
    if (!driver_cuda.empty() && driver_cuda.major() < b.cuda.major()) continue;
    const auto min = ctx.tables.family_min_driver(b.cuda.major());
    if (min && !driver.empty() && driver < *min) continue;
    const CodeSet code{b.archs,
                       b.ptx.empty() ? std::vector<Version>{} : std::vector<Version>{b.ptx}};
    const auto ccs = device_ccs(ctx.facts);
    if (std::all_of(ccs.begin(), ccs.end(),
                    [&](const Version& cc) { return runs_on(code, cc) != Runs::kNo; }))
      return &b;
  }
  return nullptr;
}

/// Neither a GPU on the PCI bus nor a driver that answered: nothing to match a CUDA build to.
bool no_gpu_here(const Facts& f) {
  return f.hardware.gpu_count() == 0 && f.driver.devices.empty() && f.nvml.devices.empty() &&
         driver_cuda_version(f).empty();
}

/// An install line of the tables ("pip install torch --index-url ...") as a command for exactly
/// this interpreter: `<python> -m pip ...`, since a bare `pip` may belong to another one. An
/// interpreter owned by the system's package manager (PEP 668: Debian's and Ubuntu's python3)
/// refuses pip, so it gets a virtual environment made from it instead.
std::string pip_command(const PythonFacts& py, const std::string& install, const std::string& env) {
  const std::string args = install.starts_with("pip ") ? install.substr(4) : install;
  if (!py.externally_managed) return fmt::format("`{} -m pip {}`", py.path(), args);
  const std::string venv = "~/.venvs/" + env;
  return fmt::format(
      "`{0} -m venv {1} && {1}/bin/python -m pip {2}` ({0} belongs to the system's package "
      "manager and pip refuses to install into it (PEP 668), so the package goes into a virtual "
      "environment made from it; run your program with {1}/bin/python)",
      py.path(), venv, args);
}

/// What an install step is for: a framework `py` lacks, or one whose CPU-only build it replaces.
enum class Goal { kInstall, kReplaceCpuBuild };

/// Without a GPU or driver there is nothing to match a CUDA build to: say so instead of naming
/// a CUDA wheel that could not be checked against anything.
std::string no_gpu_step(const PythonFacts& py, const std::string& name,
                        const std::string& cpu_install, Goal goal) {
  const std::string title = framework_title(name);
  const std::string elsewhere = fmt::format(
      "On a GPU machine, `ignis doctor --frameworks` there names the {} build that fits its "
      "driver.",
      title);
  if (goal == Goal::kReplaceCpuBuild) {
    return fmt::format(
        "Nothing to change here: this machine has no NVIDIA GPU or driver, so {} runs on the CPU "
        "whichever build is installed. {}",
        title, elsewhere);
  }
  return fmt::format(
      "This machine has no NVIDIA GPU or driver to match a CUDA build to, so {} runs on the CPU "
      "whichever build is installed; the CPU build: {}. {}",
      title, pip_command(py, cpu_install, name), elsewhere);
}

/// The step that installs the PyTorch build fitting this machine into `py`.
std::string torch_install_step(const VerdictContext& ctx, const PythonFacts& py,
                               Goal goal = Goal::kInstall) {
  const CompatTables& t = ctx.tables;
  if (no_gpu_here(ctx.facts))
    return no_gpu_step(py, "torch", t.torch_install_command(t.torch_cpu_index()), goal);
  const Version driver_cuda = driver_cuda_version(ctx.facts);
  if (const TorchBuild* b = fitting_torch_build(ctx)) {
    return fmt::format("Install the CUDA {} build, which fits this driver (CUDA {}) and GPU: {}{}.",
                       b->cuda.str(), driver_cuda.empty() ? "?" : driver_cuda.str(),
                       pip_command(py, t.torch_install_command(b->index), "torch"),
                       goal == Goal::kReplaceCpuBuild || py.framework("torch") == nullptr ||
                               py.framework("torch")->is_installed()
                           ? " (with --force-reinstall to replace the installed build)"
                           : "");
  }
  return "No PyTorch CUDA build in ignis's table fits this driver and GPU: update the driver "
         "first, then pick a build at https://pytorch.org/get-started/locally/.";
}

std::string tensorflow_install_step(const VerdictContext& ctx, const PythonFacts& py,
                                    Goal goal = Goal::kInstall) {
  if (no_gpu_here(ctx.facts)) return no_gpu_step(py, "tensorflow", "pip install tensorflow", goal);
  return fmt::format("On Linux: {} (needs driver >= {}).",
                     pip_command(py, ctx.tables.tensorflow_install(), "tensorflow"),
                     ctx.tables.tensorflow_min_driver().str());
}

/// Adds the finding `code` about interpreter `py`: its scope is py's path, which the text report
/// groups by.
void add_for(VerdictContext& ctx, const PythonFacts& py, std::string_view code, std::string seen,
             std::string why = {}, std::vector<std::string> fix = {}) {
  ctx.add(code, std::move(seen), std::move(why), std::move(fix)).scope = py.path();
}

/// "Run your program with A", with how to make A the one that runs where its kind has a way.
std::string run_with_step(const PythonFacts& py) {
  std::string how;
  for (const auto& s : py.found_as) {
    switch (s.kind) {
      case PythonSource::Kind::kConda:
      case PythonSource::Kind::kCondaPrefix:
        how = fmt::format("; or `conda activate {}` first, so that `python3` is this one", s.name);
        break;
      case PythonSource::Kind::kVirtualEnv:
        how = fmt::format("; or `source {}/bin/activate` first, so that `python3` is this one",
                          s.path);
        break;
      case PythonSource::Kind::kPyenv:
        how = fmt::format(
            "; or `pyenv shell {0}` (this shell) or `pyenv global {0}`, so that `python3` is "
            "this one",
            s.name);
        break;
      case PythonSource::Kind::kJupyter:
        how = fmt::format("; in Jupyter, choose the kernel \"{}\"", s.name);
        break;
      default:
        continue;
    }
    break;
  }
  return fmt::format("Run your program with {0}: `{0} your_program.py`{1}.", py.path(), how);
}

void check_torch(VerdictContext& ctx, const PythonFacts& py, const FrameworkFacts& fw) {
  const std::string who = py.label();
  const Version driver_cuda = driver_cuda_version(ctx.facts);
  const auto ccs = device_ccs(ctx.facts);
  const Version torch_cuda = Version::parse(fw.cuda.value_or(""));
  if (!fw.is_cuda_build()) {
    add_for(ctx, py, "torch-cpu-build",
            fmt::format("torch {} for {}: torch.version.cuda is None, a CPU-only build", fw.version,
                        who),
            "A CPU-only wheel has no CUDA code at all: torch.cuda.is_available() is False on any "
            "machine. pip installs it when the default index has no CUDA build for the platform, "
            "or from the /whl/cpu index; distributions package it too (Debian's python3-torch).",
            {torch_install_step(ctx, py, Goal::kReplaceCpuBuild)});
  } else if (!driver_cuda.empty() && torch_cuda.major() > driver_cuda.major()) {
    add_for(
        ctx, py, "torch-cuda-too-new",
        fmt::format("torch {} for {} is built for CUDA {}, but the driver supports only CUDA {}",
                    fw.version, who, *fw.cuda, driver_cuda.str()),
        "PyTorch bundles its CUDA runtime; a runtime of a newer major version than the "
        "driver fails, and torch.cuda.is_available() returns False.",
        {torch_install_step(ctx, py), "Or update the NVIDIA driver to one that supports CUDA " +
                                          torch_cuda.str() + " (see driver-too-old)."});
  } else if (!fw.arch_list.empty() && !ccs.empty() &&
             std::any_of(ccs.begin(), ccs.end(), [&](const Version& cc) {
               return runs_on(code_of_torch(fw.arch_list), cc) == Runs::kNo;
             })) {
    add_for(ctx, py, "torch-arch-missing",
            fmt::format("torch {} for {} carries {} but not the GPU's compute capability {}",
                        fw.version, who, join(fw.arch_list, " "), ccs.front().str()),
            "Kernels for an architecture missing from the wheel fail with \"no kernel image is "
            "available for execution on the device\".",
            {torch_install_step(ctx, py)});
  } else if (!fw.gpu_available) {
    add_for(ctx, py, "torch-no-gpu",
            fmt::format("torch {} (CUDA {}) for {} is a CUDA build but torch.cuda.is_available() "
                        "is False",
                        fw.version, *fw.cuda, who),
            "PyTorch uses the same driver as ignis; the blockers above are usually the reason.",
            {"Fix the blockers above first.",
             fmt::format("`{} -c 'import torch; torch.cuda.init()'` prints PyTorch's own error.",
                         py.path())});
  } else {
    add_for(ctx, py, "torch-ok",
            fmt::format("torch {} (CUDA {}, cuDNN {}) for {} sees {} GPU(s)", fw.version, *fw.cuda,
                        fw.cudnn.empty() ? "?" : fw.cudnn, who, fw.device_count));
  }
}

void check_tensorflow(VerdictContext& ctx, const PythonFacts& py, const FrameworkFacts& fw) {
  const std::string who = py.label();
  const Version driver = Version::parse(driver_version(ctx.facts));
  if (!fw.built_with_cuda) {
    add_for(
        ctx, py, "tensorflow-cpu-build",
        fmt::format(
            "tensorflow {} for {} is built without CUDA (tf.test.is_built_with_cuda() is False)",
            fw.version, who),
        "This TensorFlow package has no GPU code; on Linux the GPU build comes with the "
        "[and-cuda] extra, and native Windows lost GPU support after TF 2.10.",
        {tensorflow_install_step(ctx, py, Goal::kReplaceCpuBuild),
         "On Windows: use WSL 2 and install it there."});
  } else if (!fw.gpu_available) {
    std::vector<std::string> fix;
    if (!driver.empty() && driver < ctx.tables.tensorflow_min_driver()) {
      fix.push_back(fmt::format(
          "Update the NVIDIA driver to {} or newer (TensorFlow's CUDA {} build needs it).",
          ctx.tables.tensorflow_min_driver().str(), ctx.tables.tensorflow_cuda_major()));
    }
    fix.push_back(fmt::format("Install the CUDA libraries TensorFlow expects with it: {}.",
                              pip_command(py, ctx.tables.tensorflow_install(), "tensorflow")));
    fix.push_back(fmt::format(
        "`TF_CPP_MIN_LOG_LEVEL=0 {} -c \"import tensorflow as tf; "
        "print(tf.config.list_physical_devices('GPU'))\"` names the library it could not load.",
        py.path()));
    add_for(ctx, py, "tensorflow-no-gpu",
            fmt::format("tensorflow {} for {} (built for CUDA {}, cuDNN {}) lists no GPU",
                        fw.version, who, fw.cuda.value_or("?"), fw.cudnn.empty() ? "?" : fw.cudnn),
            "TensorFlow loads cuDNN and the CUDA libraries at start-up and silently falls back "
            "to the CPU when one is missing or the driver is too old.",
            fix);
  } else {
    add_for(ctx, py, "tensorflow-ok",
            fmt::format("tensorflow {} (CUDA {}) for {} lists {} GPU(s)", fw.version,
                        fw.cuda.value_or("?"), who, fw.device_count));
  }
}

/// The findings of one interpreter. For interpreters other than the primary one only frameworks
/// that are there are reported: "not installed" for each of a dozen pyenv versions is noise.
void check_python(VerdictContext& ctx, const PythonFacts& py) {
  const std::string who = py.label();
  for (const FrameworkFacts& fw : py.frameworks) {
    const std::string title = framework_title(fw.name);
    if (!py.primary && !fw.is_installed()) continue;
    switch (fw.state) {
      case State::kNotChecked:
        continue;
      case State::kNoPython:
        add_for(ctx, py, "python-not-found",
                fmt::format("{} cannot be started: {}", who, fw.error));
        return;  // the other framework has the same answer
      case State::kNotInstalled:
        add_for(ctx, py, "framework-not-installed",
                fmt::format("{} is not installed for {}", title, who));
        continue;
      case State::kImportFailed:
      case State::kTimedOut:
        add_for(ctx, py, "framework-check-failed",
                fmt::format("checking {} for {}: {}", title, who, fw.error),
                "The framework is installed but could not be imported, so whether it can use the "
                "GPU is unknown.",
                {fmt::format("Run `{} -c 'import {}'` to see the full error; a missing "
                             "libcudnn/libcublas usually means a CUDA package of another version.",
                             py.path(), fw.name)});
        continue;
      case State::kChecked:
        break;
    }
    if (fw.name == "torch") {
      check_torch(ctx, py, fw);
    } else {
      check_tensorflow(ctx, py, fw);
    }
  }
}

std::string paths_of(const std::vector<const PythonFacts*>& pythons) {
  std::vector<std::string> out;
  for (const PythonFacts* p : pythons) out.push_back(p->path());
  return join(out, ", ");
}

/// What the interpreter `python3` runs has of framework `name` when it is not a CUDA build.
std::string what_python3_has(const FrameworkFacts& here) {
  const std::string title = framework_title(here.name);
  switch (here.state) {
    case State::kNotInstalled:
      return "which has no " + title;
    case State::kChecked:
      return fmt::format("whose {} {} is a CPU-only build", title, here.version);
    default:
      return fmt::format("whose {} cannot be imported ({})", title, here.error);
  }
}

/// Framework `name` across interpreters: a CUDA build for another interpreter while `python3`
/// has none (or a CPU-only or broken one); or, when `python3` has none at all, only CPU-only
/// builds elsewhere.
void check_elsewhere(VerdictContext& ctx, const PythonFacts& primary, const std::string& name) {
  const FrameworkFacts* here = primary.framework(name);
  if (here == nullptr || !(here->state == State::kNotInstalled || here->is_installed()) ||
      here->is_cuda_build())
    return;
  std::vector<const PythonFacts*> cuda, cpu;
  for (const auto& py : ctx.facts.python.interpreters) {
    const FrameworkFacts* fw = py.framework(name);
    if (&py == &primary || fw == nullptr || fw->state != State::kChecked) continue;
    (fw->is_cuda_build() ? cuda : cpu).push_back(&py);
  }
  const std::string title = framework_title(name);
  const bool is_torch = name == "torch";
  const std::string python3 = fmt::format("{} runs {}", primary.label(), primary.path());
  const std::string install =
      is_torch ? torch_install_step(ctx, primary) : tensorflow_install_step(ctx, primary);
  if (!cuda.empty()) {
    const FrameworkFacts& there = *cuda.front()->framework(name);
    ctx.add(
        "cuda-framework-in-other-python",
        fmt::format("{} {} with CUDA {} is installed for {}, but {}, {}", title, there.version,
                    there.cuda.value_or("?"), paths_of(cuda), python3, what_python3_has(*here)),
        fmt::format(
            "A program imports the {} of the interpreter that runs it. Started with `python3` "
            "it gets {}, and training runs on the CPU ({} is False), although a CUDA build is "
            "installed. Reinstalling with a bare `pip` can go wrong the same way: it may "
            "belong to yet another interpreter; `<python> -m pip` installs into exactly that "
            "one.",
            title,
            here->state == State::kNotInstalled ? "no " + title
            : here->state == State::kChecked    ? "a CPU-only build"
                                                : "a " + title + " that fails to import",
            is_torch ? "torch.cuda.is_available()" : "tf.config.list_physical_devices('GPU')"),
        {run_with_step(*cuda.front()),
         fmt::format("Or install the CUDA build for the interpreter `python3` runs: {}", install)});
    return;
  }
  if (!cpu.empty() && here->state == State::kNotInstalled) {
    const FrameworkFacts& there = *cpu.front()->framework(name);
    ctx.add("cpu-framework-in-other-python",
            fmt::format("{} is installed only for {}, and it is a CPU-only build ({} {}); {}, "
                        "which has no {}",
                        title, paths_of(cpu), name, there.version, python3, title),
            fmt::format("A program started with `python3` cannot import {} at all, and the one "
                        "installed for another interpreter has no GPU code: with either, training "
                        "runs on the CPU.",
                        title),
            {fmt::format("Install {} for the interpreter `python3` runs. {}", title, install),
             run_with_step(*cpu.front()) + fmt::format(" Its {} is a CPU-only build, so training "
                                                       "runs on the CPU.",
                                                       title)});
  }
}

}  // namespace

void check_frameworks(VerdictContext& ctx) {
  const PythonFrameworkFacts& python = ctx.facts.python;
  if (python.interpreters.empty()) {
    ctx.add("python-not-found",
            "no Python interpreter found (`python3` and `python` on PATH, /usr/bin/python3, "
            "VIRTUAL_ENV, CONDA_PREFIX, pyenv, conda and Jupyter kernels were searched)");
    return;
  }
  const PythonFacts* primary = python.primary();
  if (primary == nullptr) {
    ctx.add("python-not-found",
            fmt::format("`python3` is not on PATH; checked the {} interpreter(s) found elsewhere",
                        python.interpreters.size()));
  }
  for (const auto& py : python.interpreters) check_python(ctx, py);
  if (primary != nullptr) {
    for (const char* name : {"torch", "tensorflow"}) check_elsewhere(ctx, *primary, name);
  }
}

}  // namespace ignis::diag::detail
