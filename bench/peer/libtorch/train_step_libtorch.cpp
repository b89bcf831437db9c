// The libtorch peer of W1–W4: the same training steps as bench/peer/train_step_peer.py (PyTorch
// eager from Python) written against libtorch, PyTorch's C++ API, and built against the libtorch
// inside the same PyPI torch wheel (scripts/bench-libtorch builds and runs it). What a C++ user
// would pick instead of ignis: the Python interpreter's share of each op is gone.
//
//   W?/libtorch/step            one whole step (zero_grad, forward, loss, backward, optimizer
//                               step); items_per_second counts steps (W1) or samples (W2–W4),
//                               FLOP (W3) the model arithmetic per second, loss the last loss
//   W?/libtorch/phases          the step with a clock reading between the phases (zero_grad_us,
//                               forward_us, loss_us, backward_us, step_us: µs per step)
//   W?/libtorch/forward_nograd  forward + loss under NoGradGuard
//   W3/libtorch/sgemm1024       torch::mm 1024³, float32, fresh output: libtorch's SGEMM rate
//   memory/W?/libtorch          (--memory) peak resident memory of 20 steps and its increase
//
// Everything is libtorch's default: zero_grad sets gradients to undefined, and SGD and Adam are
// the C++ frontend's own (one loop over the parameters). The data is random, made once, the same
// batch at every step; 200 warm-up steps run first. The step benchmarks run --repetitions
// repetitions of at least --min-time seconds, the diagnostics min(3, --repetitions) of
// --min-time / 2; each reports the median. Output: Google Benchmark JSON, as the Python peer's.
//
// Usage: train_step_libtorch --threads N [--out FILE] [--workloads W1,W2,W3,W4] [--min-time 0.2]
//                            [--repetitions 5] [--device cpu|cuda] [--memory]
#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <torch/cuda.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "benches.hpp"
#include "report.hpp"

namespace {

using libtorch_peer::Row;

constexpr const char* kUsage =
    "usage: train_step_libtorch --threads N [--out FILE] [--workloads W1,W2,W3,W4] [--min-time 0.2]\n"
    "                           [--repetitions 5] [--device cpu|cuda] [--memory]\n";

struct Args {
  int threads = 0;
  std::string out;
  std::string workloads = "W1,W2,W3";
  libtorch_peer::Options options;
  bool memory = false;
};

[[noreturn]] void usage_error(const std::string& message) {
  std::cerr << "train_step_libtorch: " << message << "\n" << kUsage;
  std::exit(2);
}

double number_arg(const std::string& flag, const std::string& value) {
  try {
    std::size_t used = 0;
    const double v = std::stod(value, &used);
    if (used == value.size() && v > 0) return v;
  } catch (const std::exception&) {
  }
  usage_error(flag + " needs a positive number, got '" + value + "'");
}

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream s(list);
  for (std::string item; std::getline(s, item, ',');) {
    const auto b = item.find_first_not_of(' '), e = item.find_last_not_of(' ');
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
  }
  return out;
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << kUsage;
      std::exit(0);
    }
    if (flag == "--memory") {
      a.memory = true;
      continue;
    }
    if (i + 1 >= argc) usage_error("missing value after " + flag);
    const std::string value = argv[++i];
    if (flag == "--threads") {
      a.threads = static_cast<int>(number_arg(flag, value));
    } else if (flag == "--out") {
      a.out = value;
    } else if (flag == "--workloads") {
      a.workloads = value;
    } else if (flag == "--min-time") {
      a.options.min_time = number_arg(flag, value);
    } else if (flag == "--repetitions") {
      a.options.repetitions = static_cast<int>(number_arg(flag, value));
    } else if (flag == "--device") {
      if (value != "cpu" && value.rfind("cuda", 0) != 0) usage_error("--device is cpu or cuda, got '" + value + "'");
      a.options.device = torch::Device(value);
    } else {
      usage_error("unknown argument " + flag);
    }
  }
  if (a.threads <= 0) usage_error("--threads N is required");
  for (const std::string& name : split(a.workloads)) {
    if (name != "W1" && name != "W2" && name != "W3" && name != "W4") {
      usage_error("unknown workload '" + name + "' in --workloads (have W1, W2, W3, W4)");
    }
  }
  return a;
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&now));
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  // Threads set explicitly, as torch.set_num_threads on the Python side; inter-op threads before
  // any inter-op work (libtorch refuses a change after it).
  setenv("OMP_NUM_THREADS", std::to_string(args.threads).c_str(), 1);
  at::set_num_interop_threads(args.threads);
  at::set_num_threads(args.threads);
  const torch::Device device = args.options.device;
  if (device.is_cuda()) {
    if (!torch::cuda::is_available()) {
      std::cerr << "train_step_libtorch: --device " << device << " but this libtorch sees no CUDA device "
                << "(a CPU-only build, or no GPU/driver here)\n";
      return 3;
    }
    // Float32 GEMMs and convolutions in full precision, as ignis's default (no TF32).
    at::globalContext().setAllowTF32CuBLAS(false);
    at::globalContext().setAllowTF32CuDNN(false);
  }
  double load[3] = {-1, -1, -1};
  getloadavg(load, 3);
  const std::vector<std::pair<std::string, std::string>> context = {
      {"peer", "libtorch"},
      {"device", device.str()},
      {"cuda_devices", std::to_string(torch::cuda::device_count())},
      {"torch_version", TORCH_VERSION},
      {"torch_wheel", TORCH_WHEEL_VERSION},
      {"torch_config", at::show_config()},
      {"torch_parallel_info", at::get_parallel_info()},
      {"omp_threads", std::to_string(at::get_num_threads())},
      {"interop_threads", std::to_string(at::get_num_interop_threads())},
      {"compiler", __VERSION__},
      {"date", utc_now()},
  };
  std::vector<Row> rows;
  try {
    for (const std::string& name : split(args.workloads)) {
      auto more = args.memory ? libtorch_peer::memory_rows(name, args.options)
                              : libtorch_peer::bench_workload(name, args.options);
      rows.insert(rows.end(), more.begin(), more.end());
    }
  } catch (const std::exception& e) {
    std::cerr << "train_step_libtorch: " << e.what() << "\n";
    return 1;
  }
  const std::string text = libtorch_peer::to_json(context, {load[0], load[1], load[2]}, rows);
  if (args.out.empty()) {
    std::cout << text;
  } else {
    std::ofstream f(args.out);
    f << text;
    if (!f) {
      std::cerr << "train_step_libtorch: cannot write " << args.out << "\n";
      return 1;
    }
  }
  for (const Row& r : rows) std::fprintf(stderr, "train_step_libtorch: %s: %.2f µs\n", r.name.c_str(), r.time.wall * 1e6);
  return 0;
}
