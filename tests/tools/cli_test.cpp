// The ignis executable: help for every command, `ignis info` and `ignis doctor` telling the truth.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "diag/fake_python.hpp"
#include "diag/json_schema.hpp"
#include "diag/this_machine.hpp"
#include "ignis/core/build_info.hpp"
#include "ignis/io/event_file.hpp"
#include "support/numpy_writer.hpp"
#include "support/reference.hpp"
#include "tools/cli_run.hpp"

namespace {

using ignis::testing::CliResult;
using ignis::testing::run;

TEST(Cli, HelpForTheProgramAndEveryCommand) {
  const CliResult top = run("--help");
  EXPECT_EQ(top.status, 0);
  EXPECT_NE(top.output.find("info"), std::string::npos) << top.output;
  EXPECT_NE(top.output.find("doctor"), std::string::npos) << top.output;
  const CliResult info = run("info --help");
  EXPECT_EQ(info.status, 0);
  EXPECT_NE(info.output.find("--json"), std::string::npos) << info.output;
  const CliResult doctor = run("doctor --help");
  EXPECT_EQ(doctor.status, 0);
  for (const char* text :
       {"--json", "--frameworks", "--timeout", "--no-live", "Exit codes: 0 a GPU is usable"}) {
    EXPECT_NE(doctor.output.find(text), std::string::npos) << text << "\n" << doctor.output;
  }
}

TEST(Cli, VersionAndUnknownCommands) {
  EXPECT_NE(run("--version").output.find(ignis::build_info::kVersion), std::string::npos);
  const CliResult bad = run("frobnicate");
  EXPECT_NE(bad.status, 0);
  const CliResult none = run("");
  EXPECT_NE(none.status, 0);
}

TEST(Cli, InfoJsonReportsTheBuildTruthfully) {
  const CliResult r = run("info --json");
  ASSERT_EQ(r.status, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["version"], ignis::build_info::kVersion);
  EXPECT_EQ(j["cuda"]["built"], ignis::build_info::kCudaBuilt);
  EXPECT_EQ(j["cuda"]["architectures"].empty(), !ignis::build_info::kCudaBuilt);
  if (!j["cuda"]["available"].get<bool>()) {
    EXPECT_FALSE(j["cuda"]["reason"].get<std::string>().empty());
    EXPECT_NE(j["cuda"]["reason_kind"], "available");
  } else {
    EXPECT_EQ(j["cuda"]["reason_kind"], "available");
  }
  EXPECT_FALSE(j["libraries"]["onednn"].get<std::string>().empty());
  EXPECT_GE(j["cpu"]["threads"].get<int>(), 1);
  EXPECT_GE(j["cpu"]["logical_cores"].get<int>(), 1);
}

TEST(Cli, InfoRecognisesTheToolkitsStubDriver) {
  // The classic broken setup: LD_LIBRARY_PATH puts the CUDA toolkit's stub libcuda (which only
  // exists for linking) before the driver's. The plugin must name it, on any machine.
#ifndef IGNIS_CUDA_STUBS_DIR
  GTEST_SKIP() << "this build has no CUDA plugin";
#else
  const std::filesystem::path stub = std::filesystem::path(IGNIS_CUDA_STUBS_DIR) / "libcuda.so";
  if (!std::filesystem::exists(stub)) GTEST_SKIP() << "the toolkit has no stub driver at " << stub;
  const auto dir = std::filesystem::temp_directory_path() / ("ignis_stub_driver_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::filesystem::create_symlink(stub, dir / "libcuda.so.1");
  const CliResult r = run("info --json", "LD_LIBRARY_PATH=" + dir.string());
  std::filesystem::remove_all(dir);
  ASSERT_EQ(r.status, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  EXPECT_FALSE(j["cuda"]["available"].get<bool>());
  EXPECT_EQ(j["cuda"]["reason_kind"], "stub_driver") << j["cuda"]["reason"];
  EXPECT_NE(j["cuda"]["reason"].get<std::string>().find("remove the stubs directory from LD_LIBRARY_PATH"),
            std::string::npos)
      << j["cuda"]["reason"];
#endif
}

// The CUDA plugin probes cuDNN when it loads (cudnnGetVersion needs no GPU), so these run on
// every CUDA build: IGNIS_CUDNN_LIBRARY points the probe at a missing or a fake library.
class CliCudnn : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!ignis::build_info::kCudaBuilt) GTEST_SKIP() << "this build has no CUDA plugin";
    if (!ignis::build_info::kHaveCudnn) GTEST_SKIP() << "this CUDA plugin was built without cuDNN's headers";
  }
  static nlohmann::json cudnn_with(const std::string& library) {
    const CliResult r = run("info --json", "IGNIS_CUDNN_LIBRARY=" + library);
    EXPECT_EQ(r.status, 0) << r.output;
    return nlohmann::json::parse(r.output)["cuda"]["cudnn"];
  }
};

TEST_F(CliCudnn, InfoReportsTheCudnnTheProbeFound) {
  const CliResult r = run("info --json");
  ASSERT_EQ(r.status, 0) << r.output;
  const auto cudnn = nlohmann::json::parse(r.output)["cuda"]["cudnn"];
  if (cudnn["state"] == "available") {
    EXPECT_EQ(cudnn["version"].get<std::string>().substr(0, 1), "9") << cudnn;
    EXPECT_EQ(cudnn["message"], "");
    EXPECT_NE(run("info").output.find("cuDNN            " + cudnn["version"].get<std::string>() + " loaded"),
              std::string::npos);
  } else {
    EXPECT_NE(cudnn["message"].get<std::string>().find("What to do"), std::string::npos) << cudnn;
  }
}

TEST_F(CliCudnn, AMissingCudnnIsReportedWithWhatToDoAndCudaStaysAsItWas) {
  const std::string missing = "/nonexistent/libcudnn.so.9";
  const CliResult plain = run("info --json");
  const CliResult r = run("info --json", "IGNIS_CUDNN_LIBRARY=" + missing);
  ASSERT_EQ(r.status, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  const auto& cudnn = j["cuda"]["cudnn"];
  EXPECT_EQ(cudnn["state"], "not_found") << cudnn;
  EXPECT_TRUE(cudnn["version"].is_null());
  const std::string message = cudnn["message"];
  EXPECT_NE(message.find(missing), std::string::npos) << message;  // dlerror's text names it
  EXPECT_NE(message.find("What to do: install cuDNN 9"), std::string::npos) << message;
  // cuDNN missing does not change whether CUDA itself is available.
  EXPECT_EQ(j["cuda"]["available"], nlohmann::json::parse(plain.output)["cuda"]["available"]);
  const CliResult text = run("info", "IGNIS_CUDNN_LIBRARY=" + missing);
  EXPECT_NE(text.output.find("cuDNN            not usable, so convolutions cannot run on CUDA"), std::string::npos)
      << text.output;
}

TEST_F(CliCudnn, ATooOldCudnnIsNamedWithItsVersion) {
  const auto cudnn = cudnn_with(FAKE_CUDNN_TOO_OLD);
  EXPECT_EQ(cudnn["state"], "too_old") << cudnn;
  EXPECT_EQ(cudnn["version"], "8.9.7");
  const std::string message = cudnn["message"];
  EXPECT_NE(message.find("cuDNN 8.9.7"), std::string::npos) << message;
  EXPECT_NE(message.find("needs cuDNN 9 or newer"), std::string::npos) << message;
  EXPECT_NE(message.find(FAKE_CUDNN_TOO_OLD), std::string::npos) << message;
}

TEST_F(CliCudnn, ACudnnLackingEntryPointsNamesThem) {
  const auto cudnn = cudnn_with(FAKE_CUDNN_INCOMPLETE);
  EXPECT_EQ(cudnn["state"], "incomplete") << cudnn;
  EXPECT_EQ(cudnn["version"], "9.1.0");
  const std::string message = cudnn["message"];
  EXPECT_NE(message.find("cudnnConvolutionForward"), std::string::npos) << message;
  EXPECT_NE(message.find("What to do"), std::string::npos) << message;
}

TEST(Cli, InfoTextHasItsSectionsAndHonoursOmpNumThreads) {
  const CliResult r = run("info");
  ASSERT_EQ(r.status, 0) << r.output;
  for (const char* section : {"Build", "CUDA backend", "oneDNN", "CPU", "threads", "Devices"}) {
    EXPECT_NE(r.output.find(section), std::string::npos) << section;
  }
  const CliResult forced = run("info --json", "OMP_NUM_THREADS=1");
  ASSERT_EQ(forced.status, 0) << forced.output;
  const auto j = nlohmann::json::parse(forced.output);
  EXPECT_EQ(j["cpu"]["threads"], 1);
  EXPECT_EQ(j["cpu"]["omp_num_threads"], "1");
}

namespace fs = std::filesystem;
using ignis::testing::in_wsl;
using ignis::testing::nvidia_gpus_on_this_machine;

ignis::testing::JsonSchema doctor_schema() {
  const fs::path schema =
      fs::path(__FILE__).parent_path().parent_path().parent_path() / "data" / "doctor.schema.json";
  std::ifstream in(schema);
  std::stringstream text;
  text << in.rdbuf();
  return ignis::testing::JsonSchema(nlohmann::json::parse(text.str()));
}

/// A fake /sys, /proc and /dev below a temporary folder, removed at the end of the test.
class FakeTree : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("ignis-cli-tree-" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  void write(const std::string& path, const std::string& text) {
    fs::create_directories((root_ / path).parent_path());
    std::ofstream(root_ / path) << text;
  }
  /// An H100 on the PCI bus.
  void add_gpu() {
    write("sys/bus/pci/devices/0000:65:00.0/vendor", "0x10de\n");
    write("sys/bus/pci/devices/0000:65:00.0/device", "0x2330\n");
    write("sys/bus/pci/devices/0000:65:00.0/class", "0x030200\n");
  }
  /// The kernel module of driver 580.65.06 and its device nodes.
  void add_kernel_driver() {
    write("proc/driver/nvidia/version",
          "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.65.06  Release Build\n");
    for (const char* node : {"dev/nvidia0", "dev/nvidiactl", "dev/nvidia-uvm"}) write(node, "");
  }
  fs::path root_;
};

TEST(Cli, DoctorOnThisMachineAgreesWithTheMachine) {
  const CliResult r = run("doctor");
  const std::string first_line = r.output.substr(0, r.output.find('\n'));
  EXPECT_EQ(r.status == 0, first_line.rfind("✓ GPU ready", 0) == 0) << r.output;
  if (nvidia_gpus_on_this_machine() == 0 && !in_wsl()) {
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_EQ(first_line.rfind("✗ Training will run on the CPU: no NVIDIA GPU", 0), 0u)
        << first_line;
    EXPECT_NE(r.output.find("[no-nvidia-gpu]"), std::string::npos);
  }
  EXPECT_NE(r.output.find("What to do"), std::string::npos);
  EXPECT_NE(r.output.find("Exit code " + std::to_string(r.status) + "."), std::string::npos)
      << r.output;
}

TEST(Cli, DoctorJsonFollowsTheSchemaAndTheMachine) {
  const CliResult r = run("doctor --json");
  const auto j = nlohmann::json::parse(r.output);
  const auto errors = doctor_schema().validate(j);
  EXPECT_TRUE(errors.empty()) << (errors.empty() ? "" : errors.front()) << " (" << errors.size()
                              << " errors)";
  EXPECT_EQ(j["verdict"]["exit_code"], r.status);
  EXPECT_EQ(j["verdict"]["gpu_usable"], r.status == 0);
  EXPECT_EQ(j["facts"]["build"]["cuda_built"], ignis::build_info::kCudaBuilt);
  EXPECT_EQ(j["facts"]["kernel_driver"]["version"].is_null(),
            !fs::exists("/proc/driver/nvidia/version"));
  if (nvidia_gpus_on_this_machine() == 0 && !in_wsl()) {
    EXPECT_EQ(j["verdict"]["first_blocker"], "no-nvidia-gpu");
    EXPECT_EQ(r.status, 2);
  }
}

TEST_F(FakeTree, DoctorExitCodeFollowsTheFirstBlocker) {
  add_gpu();  // a GPU, but no kernel driver in this tree
  const CliResult r = run("doctor --json --root " + root_.string());
  const auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["verdict"]["first_blocker"], "no-kernel-driver");
  EXPECT_EQ(r.status, 3);
  EXPECT_EQ(j["facts"]["hardware"]["nvidia_devices"][0]["device_id"], "0x2330");
}

TEST_F(FakeTree, DoctorFindsAStubLibcudaOnTheLibraryPath) {
  std::string stub;
  for (const char* p : {"/usr/local/cuda/lib64/stubs/libcuda.so",
                        "/usr/local/cuda/targets/x86_64-linux/lib/stubs/libcuda.so"}) {
    if (fs::exists(p)) stub = p;
  }
  if (stub.empty()) GTEST_SKIP() << "no CUDA toolkit stub libcuda on this machine";
  add_gpu();
  add_kernel_driver();
  // What a build script does by accident: the toolkit's stubs folder on LD_LIBRARY_PATH, with a
  // libcuda.so.1 in it.
  const fs::path stubs = root_ / "stubs";
  fs::create_directories(stubs);
  fs::create_symlink(stub, stubs / "libcuda.so.1");
  const CliResult r =
      run("doctor --json --root " + root_.string(), "LD_LIBRARY_PATH=" + stubs.string());
  const auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["verdict"]["first_blocker"], "stub-libcuda") << j["verdict"].dump();
  EXPECT_EQ(r.status, 3);
  EXPECT_EQ(j["facts"]["user_driver"]["init_result"], 34);
  EXPECT_EQ(j["facts"]["user_driver"]["is_stub"], true);
  nlohmann::json finding;
  for (const auto& f : j["findings"]) {
    if (f["code"] == "stub-libcuda") finding = f;
  }
  ASSERT_FALSE(finding.is_null()) << j["findings"].dump(1);
  EXPECT_NE(finding["fix"][0].get<std::string>().find("Remove " + stubs.string() +
                                                      " from LD_LIBRARY_PATH"),
            std::string::npos)
      << finding["fix"].dump();
}

TEST_F(FakeTree, DoctorFrameworksThroughAStandInPython) {
  const fs::path python = root_ / "python";
  std::ofstream(python) << "#!/bin/sh\nif [ \"$3\" = torch ]; then\n"
                           "echo 'IGNIS_FRAMEWORK_REPORT {\"installed\": true, \"version\": "
                           "\"2.9.0+cpu\", \"cuda\": null}'\n"
                           "else echo 'IGNIS_FRAMEWORK_REPORT {\"installed\": false}'; fi\n";
  fs::permissions(python, fs::perms::owner_all);
  CliResult r = run("doctor --frameworks --python " + python.string());
  EXPECT_NE(r.output.find("torch 2.9.0+cpu for " + python.string() +
                          ": torch.version.cuda is None, a CPU-only build  [torch-cpu-build]"),
            std::string::npos)
      << r.output;
  // The interpreter named by --python, not "python3".
  EXPECT_NE(r.output.find("TensorFlow is not installed for " + python.string() +
                          "  [framework-not-installed]"),
            std::string::npos)
      << r.output;
  r = run("doctor --frameworks --python " + (root_ / "none").string() + " --json");
  const auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["facts"]["frameworks"][0]["state"], "no-python");
  EXPECT_EQ(j["facts"]["pythons"].size(), 1u);
}

// The machine of issue 18, as a tree: `python3` on PATH has no PyTorch, the system's
// /usr/bin/python3 has a CPU-only build. `--frameworks` alone must find both.
TEST_F(FakeTree, DoctorFrameworksFindsEveryInterpreter) {
  ignis::testing::write_fake_python(root_ / "bin/python3", {.prefix = (root_ / "pyenv").string()});
  ignis::testing::write_fake_python(root_ / "usr/bin/python3",
                                    {.torch = ignis::testing::kCpuTorch, .version = "3.11.2"});
  const std::string env = "PATH=" + (root_ / "bin").string() +
                          " HOME=" + (root_ / "home").string() +
                          " PYENV_ROOT= VIRTUAL_ENV= CONDA_PREFIX= CONDA_EXE= JUPYTER_PATH= "
                          "JUPYTER_DATA_DIR=";
  CliResult r = run("doctor --frameworks --root " + root_.string(), env);
  const std::string python3 = (root_ / "bin/python3").string();
  const std::string system = (root_ / "usr/bin/python3").string();
  EXPECT_NE(r.output.find("`python3` runs " + python3 +
                          " (Python 3.11.7; found as `python3` on PATH)\n"
                          "    ✓ PyTorch is not installed for `python3`"),
            std::string::npos)
      << r.output;
  EXPECT_NE(
      r.output.find("  " + system + " (Python 3.11.2; found as " + system +
                    ")\n"
                    "    ! torch 1.13.0a0 for " +
                    system + ": torch.version.cuda is None, a CPU-only build  [torch-cpu-build]"),
      std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("PyTorch is installed only for " + system +
                          ", and it is a CPU-only build (torch 1.13.0a0); `python3` runs " +
                          python3 + ", which has no PyTorch  [cpu-framework-in-other-python]"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("`" + python3 +
                          " -m pip install torch --index-url "
                          "https://download.pytorch.org/whl/cpu`"),
            std::string::npos)
      << r.output;
  r = run("doctor --frameworks --json --root " + root_.string(), env);
  const auto j = nlohmann::json::parse(r.output);
  const auto errors = doctor_schema().validate(j);
  EXPECT_TRUE(errors.empty()) << (errors.empty() ? "" : errors.front());
  ASSERT_EQ(j["facts"]["pythons"].size(), 2u);
  EXPECT_EQ(j["facts"]["pythons"][0]["primary"], true);
  EXPECT_EQ(j["facts"]["pythons"][1]["frameworks"][0]["version"], "1.13.0a0");
}

TEST(Cli, InfoListsGpusLikeNvidiaSmi) {
  const CliResult r = run("info");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("GPUs (as nvidia-smi lists them)"), std::string::npos) << r.output;
  const auto j = nlohmann::json::parse(run("info --json").output);
  const auto& gpus = j["gpus"];
  if (nvidia_gpus_on_this_machine() == 0 && !fs::exists("/proc/driver/nvidia/version")) {
    EXPECT_TRUE(gpus["devices"].empty());
    EXPECT_TRUE(gpus["driver_version"].is_null());
    EXPECT_NE(r.output.find("none: no NVIDIA GPU on the PCI bus; no NVIDIA driver loaded"),
              std::string::npos)
        << r.output;
  } else {
    EXPECT_FALSE(gpus["devices"].empty());
    EXPECT_NE(r.output.find("CUDA Version:"), std::string::npos) << r.output;
  }
}

}  // namespace

namespace {

TEST(CliTrain, HelpListsEveryFlag) {
  const CliResult r = run("train --help");
  EXPECT_EQ(r.status, 0);
  for (const char* flag : {"--model", "--epochs", "--batch-size", "--lr", "--optimizer", "--device", "--data", "--seed", "--out", "--log-dir", "--checkpoint-dir", "--resume"}) {
    EXPECT_NE(r.output.find(flag), std::string::npos) << flag;
  }
}

TEST(CliTrain, BadArgumentsFailWithAReason) {
  const CliResult model = run("train --model resnet --epochs 1");
  EXPECT_NE(model.status, 0);
  EXPECT_NE(model.output.find("known: mlp, cnn"), std::string::npos) << model.output;
  const CliResult data = run("train --data /nonexistent");
  EXPECT_NE(data.status, 0);
  EXPECT_NE(data.output.find("dataset-fashion-mnist"), std::string::npos) << data.output;
  EXPECT_NE(run("train --optimizer lbfgs").status, 0);
}

TEST(CliTrain, BatchSizeIsANumberOrAuto) {
  for (const char* bad : {"0", "-3", "lots", "12x"}) {
    const CliResult r = run(std::string("train --batch-size ") + bad);
    EXPECT_NE(r.status, 0) << bad;
    EXPECT_NE(r.output.find("positive number or auto"), std::string::npos) << r.output;
  }
  EXPECT_NE(run("train --help").output.find("auto"), std::string::npos);
}

// --batch-size auto under a CPU budget: the search finds a batch below the bound (the dataset
// itself takes ~220 MiB of the 240) and training runs with it without running out of memory.
TEST(CliTrain, AutoBatchSizeFitsTheBudget) {
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "dataset-fashion-mnist is not installed (scripts/setup installs it)";
  }
  const CliResult r = run("train --epochs 1 --batch-size auto --device cpu", "IGNIS_MEMORY_LIMIT=cpu=240MiB");
  ASSERT_EQ(r.status, 0) << r.output;
  const std::size_t at = r.output.find("Batch size: auto -> ");
  ASSERT_NE(at, std::string::npos) << r.output;
  const long long batch = std::stoll(r.output.substr(at + 20));
  EXPECT_GT(batch, 1);
  EXPECT_LT(batch, 8192);
  EXPECT_NE(r.output.find(std::to_string(batch + 1) + " does not fit"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("memory budget 240.0 MiB on cpu"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Test loss"), std::string::npos) << r.output;
}

TEST(CliTrain, OneEpochWritesResults) {
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "dataset-fashion-mnist is not installed (scripts/setup installs it)";
  }
  const auto dir = ignis::testing::unique_temp_path("ignis_cli_train_test");
  std::filesystem::remove_all(dir);
  const CliResult r = run("train --epochs 1 --out " + dir.string() + " --log-dir " + (dir / "tb").string());
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("Device: "), std::string::npos);
  EXPECT_NE(r.output.find("Total params: 235146"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Per-class accuracy"), std::string::npos);
  std::ifstream f(dir / "results.json");
  const auto j = nlohmann::json::parse(f);
  EXPECT_GE(j["test_accuracy"].get<double>(), 0.80);
  EXPECT_EQ(j["epochs"], 1);
  EXPECT_TRUE(std::filesystem::exists(dir / "history.csv"));
  EXPECT_TRUE(std::filesystem::exists(dir / "model.safetensors"));
  std::ifstream report_file(dir / "report.html");
  const std::string report((std::istreambuf_iterator<char>(report_file)), std::istreambuf_iterator<char>());
  EXPECT_NE(report.find("<polyline class=\"series\" data-name=\"loss\""), std::string::npos);
  EXPECT_NE(report.find("Total params: 235146"), std::string::npos);
  // --log-dir: one event file whose epoch_val_accuracy is the accuracy of results.json's history.
  std::vector<std::filesystem::path> event_files;
  for (const auto& entry : std::filesystem::directory_iterator(dir / "tb")) event_files.push_back(entry.path());
  ASSERT_EQ(event_files.size(), 1u);
  bool found = false;
  for (const auto& e : ignis::io::read_event_file(event_files[0].string())) {
    for (const auto& v : e.values) {
      if (v.tag != "epoch_val_accuracy") continue;
      found = true;
      EXPECT_EQ(e.step, 0);
      EXPECT_EQ(v.scalar, static_cast<float>(j["history"]["val_accuracy"][0].get<double>()));
    }
  }
  EXPECT_TRUE(found) << "no epoch_val_accuracy in " << event_files[0];
  EXPECT_NE(r.output.find("tensorboard --logdir"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(CliTrain, ResumeContinuesBitForBit) {
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "dataset-fashion-mnist is not installed (scripts/setup installs it)";
  }
  const auto dir = std::filesystem::temp_directory_path() / ("ignis_cli_resume_test_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  const std::string common = " --optimizer sgd --lr 0.05 --batch-size 256 --device cpu";
  const CliResult straight = run("train --epochs 2 --out " + (dir / "straight").string() + common);
  ASSERT_EQ(straight.status, 0) << straight.output;
  const CliResult first = run("train --epochs 1 --checkpoint-dir " + (dir / "ckpt").string() + common);
  ASSERT_EQ(first.status, 0) << first.output;
  const CliResult resumed =
      run("train --epochs 2 --resume " + (dir / "ckpt").string() + " --out " + (dir / "resumed").string() + common);
  ASSERT_EQ(resumed.status, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("Resuming from"), std::string::npos) << resumed.output;
  EXPECT_NE(resumed.output.find("at epoch 2/2"), std::string::npos) << resumed.output;
  auto slurp = [](const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  };
  const std::string a = slurp(dir / "straight" / "model.safetensors");
  ASSERT_GT(a.size(), 900'000u);  // 235,146 float32 parameters
  EXPECT_TRUE(a == slurp(dir / "resumed" / "model.safetensors")) << "the resumed weights differ from the straight run's";
  EXPECT_TRUE(std::filesystem::exists(dir / "ckpt" / "ckpt-000002" / "MANIFEST.json"));
  std::filesystem::remove_all(dir);
}

// The user's own data end to end: a CSV (text labels) and an NPZ (a regression), made here, are
// trained on, and the saved folder alone predicts and evaluates (README: "Training on your own
// data").
TEST(CliTrain, YourCsvAndNpzTrainThenPredictAndEvaluateFromTheFolder) {
  const auto dir = ignis::testing::unique_temp_path("ignis_cli_user_data");
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  {
    std::ofstream csv(dir / "flowers.csv");
    csv << "petal,sepal,species\n";
    for (int i = 0; i < 120; ++i) {
      const bool big = i % 2 == 0;
      csv << (big ? 5.0 : 1.0) + 0.01 * (i % 7) << "," << (big ? 3.0 : 0.5) - 0.01 * (i % 5) << ","
          << (big ? "big one" : "small") << "\n";
    }
  }
  const CliResult train = run("train --data " + (dir / "flowers.csv").string() + " --epochs 10 --hidden 16 --normalize --out " +
                              (dir / "flowers").string());
  ASSERT_EQ(train.status, 0) << train.output;
  EXPECT_NE(train.output.find("Task: classification of \"species\" into 2 labels (big one, small"), std::string::npos)
      << train.output;
  EXPECT_NE(train.output.find("Validation loss"), std::string::npos) << train.output;
  EXPECT_TRUE(std::filesystem::exists(dir / "flowers" / "model.json"));
  {
    std::ofstream csv(dir / "new.csv");  // other column order, an extra column, no target
    csv << "id,sepal,petal\n1,3.0,5.0\n2,0.5,1.0\n";
  }
  const CliResult predicted = run("predict --model " + (dir / "flowers").string() + " --data " +
                                  (dir / "new.csv").string() + " --out " + (dir / "p.csv").string());
  ASSERT_EQ(predicted.status, 0) << predicted.output;
  std::ifstream p(dir / "p.csv");
  const std::string text((std::istreambuf_iterator<char>(p)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.rfind("species,p(big one),p(small)\nbig one,", 0), 0u) << text;
  EXPECT_NE(text.find("\nsmall,"), std::string::npos) << text;
  const CliResult evaluated =
      run("evaluate --model " + (dir / "flowers").string() + " --data " + (dir / "flowers.csv").string());
  ASSERT_EQ(evaluated.status, 0) << evaluated.output;
  EXPECT_NE(evaluated.output.find("120 examples: loss"), std::string::npos) << evaluated.output;
  EXPECT_NE(evaluated.output.find("accuracy 100.00%"), std::string::npos) << evaluated.output;

  // An NPZ with x (N, 2, 2) and fractional y: a regression.
  ignis::manual_seed(1);
  const ignis::Tensor x = ignis::randn({200, 2, 2});
  const ignis::Tensor y = x.sum({1, 2}) * 2.0 + 10.0;
  ignis::testing::write_npz((dir / "d.npz").string(), {{"x", x}, {"y", y}});
  const CliResult reg = run("train --data " + (dir / "d.npz").string() + " --epochs 20 --hidden 16 --lr 0.01 --out " +
                            (dir / "reg").string());
  ASSERT_EQ(reg.status, 0) << reg.output;
  EXPECT_NE(reg.output.find("Task: regression of \"y\""), std::string::npos) << reg.output;
  const CliResult values = run("predict --model " + (dir / "reg").string() + " --data " + (dir / "d.npz").string());
  ASSERT_EQ(values.status, 0) << values.output;
  EXPECT_NE(values.output.find("\ny\n"), std::string::npos) << values.output;  // the header, then one value a row
  const CliResult scored = run("evaluate --model " + (dir / "reg").string() + " --data " + (dir / "d.npz").string());
  ASSERT_EQ(scored.status, 0) << scored.output;
  EXPECT_NE(scored.output.find("200 examples: loss (MSE)"), std::string::npos) << scored.output;

  // The folder alone is needed, and bad input is named.
  const CliResult missing = run("predict --model " + dir.string() + " --data " + (dir / "new.csv").string());
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.output.find("has no model.json"), std::string::npos) << missing.output;
  {
    std::ofstream csv(dir / "ragged.csv");
    csv << "petal,sepal,species\n1,2,small\n1,2\n";
  }
  const CliResult ragged = run("train --data " + (dir / "ragged.csv").string());
  EXPECT_NE(ragged.status, 0);
  EXPECT_NE(ragged.output.find("ragged.csv:3: 2 fields, but the header has 3 columns"), std::string::npos)
      << ragged.output;
}

}  // namespace
