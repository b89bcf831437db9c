// cuda_device_outputs: the same fixed inputs through every kernel family of a device, and a
// comparison of two such runs. It proves that the simulated CUDA device computes what a real GPU
// computes (scripts/gpu-check compares the GPU's outputs with the simulator's, carried from the
// development machine by scripts/gpu-deps), and it is the compact program that gpu-check runs
// under compute-sanitizer.
//
//   cuda_device_outputs --device cuda|cpu --out FILE   run the cases, write every result (on the
//                                                      CPU, row-major) to FILE (safetensors)
//   cuda_device_outputs --compare REFERENCE CANDIDATE  per result: ‖c − r‖ / ‖r‖ against its
//                                                      class's tolerance; exit 1 if one exceeds
//
// Inputs are drawn on the CPU (Philox, fixed seeds) and copied to the device, so every run sees
// the same bytes. A result's name starts with its class, which sets the tolerance:
//   exact/      data movement, integer and comparison results: bit-identical
//   math/       elementwise arithmetic and transcendental functions (device libm vs glibc, FMA)
//   reduce/     reductions and normalisations (a different summation order)
//   cublas/     matrix products (cuBLAS against the simulator's reference BLAS; TF32 stays off)
//   cudnn/      convolutions (cuDNN may pick Winograd or FFT algorithms, whose float32 error is
//               larger than a direct sum's, though below TF32's ~3e-4)
//   train/      parameters after several optimizer steps (the differences above, compounded)
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "ignis/ignis.hpp"

namespace {

using namespace ignis;

struct Case {
  std::string name;
  Tensor value;
};

/// Inputs: drawn on the CPU from their own seed, then moved.
Tensor input(const Shape& shape, std::uint64_t seed, Device device, DType dtype = kFloat32) {
  Generator g(seed);
  return randn(shape, {.dtype = dtype}, &g).to(device);
}

Tensor positive(const Shape& shape, std::uint64_t seed, Device device) {
  Generator g(seed);
  return (rand(shape, {}, &g) + 0.1).to(device);
}

std::vector<Case> run_cases(Device d) {
  std::vector<Case> out;
  auto add = [&](const std::string& name, const Tensor& t) { out.push_back({name, t.detach().to(Device::cpu())}); };

  const Tensor a = input({37, 53}, 1, d), b = input({37, 53}, 2, d);
  const Tensor p = positive({37, 53}, 3, d);
  const Tensor a64 = input({19, 23}, 4, d, kFloat64);

  // Data movement, casts, comparisons, indexing: no arithmetic, so bit-identical.
  add("exact/transpose_contiguous", a.t().contiguous());
  add("exact/cast_f32_f64", a.to(kFloat64));
  add("exact/cast_f32_i64", (a * 10.0).to(kInt64));
  add("exact/fill", full({5, 7}, 3.25, {.device = d}));
  add("exact/greater", a > b);
  add("exact/where", where(a > b, a, b));
  add("exact/relu", relu(a));
  add("exact/argmax_dim1", argmax(a, 1));
  add("exact/max_dim0", max(a, {0}));
  const Tensor rows = tensor({3, 0, 36, 3, 17}, {.dtype = kInt64}).to(d);
  add("exact/index_select", index_select(a, 0, rows));
  Generator gi(5);
  const Tensor idx = randint(0, 53, {37, 11}, {}, &gi).to(d);
  add("exact/gather", gather(a, 1, idx));
  // Small integers: every order of the atomic additions gives the same exact sums.
  const Tensor counts = scatter_add(zeros({37, 53}, {.device = d}), 1, idx, ones({37, 11}, {.device = d}));
  add("exact/scatter_add_integers", counts);
  add("exact/cat", cat({a, b}, 0));
  Generator gr(6);
  add("exact/rand_on_device", rand({1000}, {.device = d}, &gr));
  Generator gd(7);
  add("exact/dropout_mask", nn::functional::dropout(ones({64, 33}, {.device = d}), 0.3, true, &gd) != 0);

  // Elementwise arithmetic.
  add("math/add_mul_broadcast", a * input({1, 53}, 8, d) + input({37, 1}, 9, d));
  add("math/div", a / p);
  add("math/exp", exp(a));
  add("math/log", log(p));
  add("math/sqrt", sqrt(p));
  add("math/tanh", tanh(a));
  add("math/sigmoid", sigmoid(a));
  add("math/gelu", gelu(a));
  add("math/erf", erf(a));
  add("math/sin", sin(a));
  add("math/pow", p.pow(1.7));
  add("math/exp_f64", exp(a64));
  add("math/linspace", linspace(-3, 5, 1001, {.device = d}));
  Generator gn(10);
  add("math/randn_on_device", randn({1000}, {.device = d}, &gn));

  // Reductions and normalisations.
  add("reduce/sum_all", sum(a));
  add("reduce/sum_dim0", sum(a, {0}));
  add("reduce/mean_dim1", mean(a, {1}));
  add("reduce/var_dim1", var(a, {1}));
  add("reduce/logsumexp_dim1", logsumexp(a, {1}));
  add("reduce/softmax_dim1", softmax(a, 1));
  add("reduce/log_softmax_dim0", log_softmax(a, 0));
  add("reduce/sum_f64", sum(a64, {1}));
  add("reduce/layer_norm", nn::functional::layer_norm(a, Shape{53}));

  // cuBLAS (on the simulator: the reference BLAS).
  add("cublas/matmul", matmul(a, input({53, 29}, 11, d)));
  add("cublas/matmul_batched", matmul(input({4, 17, 9}, 12, d), input({4, 9, 13}, 13, d)));
  add("cublas/linear", linear(a, input({21, 53}, 14, d), input({21}, 15, d)));
  add("cublas/matmul_f64", matmul(a64, input({23, 7}, 16, d, kFloat64)));

  // A convolution block forward and backward: conv (cuDNN), batch norm, pooling (our kernels).
  Tensor x = input({4, 3, 12, 12}, 17, d).requires_grad_();
  Tensor w = (input({8, 3, 3, 3}, 18, d) * 0.3).requires_grad_();
  Tensor bias = input({8}, 19, d).requires_grad_();
  Tensor y = conv2d(x, w, bias, {.padding = {1, 1}});
  add("cudnn/conv2d", y);
  Tensor gamma = positive({8}, 20, d).requires_grad_(), beta = input({8}, 21, d).requires_grad_();
  Tensor normed = nn::functional::batch_norm(y, std::nullopt, std::nullopt, gamma, beta, true);
  add("reduce/batch_norm", normed);
  Tensor pooled = max_pool2d(relu(normed), {.kernel_size = {2, 2}});
  add("math/max_pool2d_of_batch_norm", pooled);
  Tensor averaged = avg_pool2d(pooled, {.kernel_size = {3, 3}, .stride = Size2{1, 1}, .padding = {1, 1}});
  add("math/avg_pool2d", averaged);
  // The bias's gradient through batch norm alone is zero up to rounding; y's own term keeps it finite.
  ((averaged * input({4, 8, 6, 6}, 22, d)).sum() + (y * input({4, 8, 12, 12}, 26, d)).sum()).backward();
  add("cudnn/conv2d_grad_input", x.grad());
  add("cudnn/conv2d_grad_weight", w.grad());
  add("reduce/conv2d_grad_bias", bias.grad());
  add("reduce/batch_norm_grad_weight", gamma.grad());
  add("reduce/batch_norm_grad_bias", beta.grad());

  // Training: an MLP with Adam and one with SGD momentum, several steps each.
  for (const bool adam : {true, false}) {
    manual_seed(23);
    nn::Sequential model(nn::Linear(20, 48), nn::GELU(), nn::LayerNorm(Shape{48}), nn::Linear(48, 5));
    model.to(d);
    const Tensor inputs = input({64, 20}, 24, d);
    Generator gl(25);
    const Tensor labels = randint(0, 5, {64}, {}, &gl).to(d);
    std::unique_ptr<optim::Optimizer> opt;
    if (adam) {
      opt = std::make_unique<optim::AdamW>(model.parameters(), optim::AdamOptions{.lr = 1e-2, .weight_decay = 0.01});
    } else {
      opt = std::make_unique<optim::SGD>(model.parameters(), optim::SgdOptions{.lr = 0.1, .momentum = 0.9});
    }
    for (int step = 0; step < 8; ++step) {
      opt->zero_grad();
      nn::functional::cross_entropy(model(inputs), labels).backward();
      opt->step();
    }
    for (const auto& [name, value] : model.state_dict()) add(std::string("train/") + (adam ? "adamw/" : "sgd/") + name, value);
  }
  return out;
}

/// The tolerance on ‖c − r‖ / ‖r‖ of a result's class and dtype.
double tolerance(const std::string& name, DType dtype) {
  const bool f64 = dtype == kFloat64;
  if (name.rfind("exact/", 0) == 0) return 0.0;
  if (name.rfind("math/", 0) == 0) return f64 ? 1e-13 : 1e-6;
  if (name.rfind("reduce/", 0) == 0) return f64 ? 1e-12 : 1e-5;
  if (name.rfind("cublas/", 0) == 0) return f64 ? 1e-12 : 1e-5;
  if (name.rfind("cudnn/", 0) == 0) return f64 ? 1e-12 : 1e-4;
  return f64 ? 1e-9 : 1e-3;  // train/
}

int compare(const std::string& reference_path, const std::string& candidate_path) {
  const nn::StateDict reference = io::load_safetensors(reference_path);
  const nn::StateDict candidate = io::load_safetensors(candidate_path);
  int failures = 0;
  double worst_ratio = 0;
  std::string worst;
  std::printf("%-44s %-8s %12s %12s %10s\n", "result", "dtype", "rel. error", "max |diff|", "tolerance");
  for (const auto& [name, r] : reference) {
    const Tensor* c = nullptr;
    for (const auto& [n, t] : candidate) {
      if (n == name) c = &t;
    }
    if (c == nullptr) {
      std::printf("%-44s missing from %s\n", name.c_str(), candidate_path.c_str());
      ++failures;
      continue;
    }
    if (c->shape() != r.shape() || c->dtype() != r.dtype()) {
      std::printf("%-44s shape or dtype differ\n", name.c_str());
      ++failures;
      continue;
    }
    const Tensor rd = r.to(kFloat64), cd = c->to(kFloat64);
    const double nan_mismatch = (isnan(rd) != isnan(cd)).to(kFloat64).sum().item<double>();
    const Tensor diff = where(isnan(rd), 0.0, cd - rd);
    const double norm = std::sqrt((rd * rd).sum().item<double>());
    const double err_norm = std::sqrt((diff * diff).sum().item<double>());
    const double rel = norm > 0 ? err_norm / norm : err_norm;
    const double max_abs = r.numel() > 0 ? abs(diff).max().item<double>() : 0.0;
    const double tol = tolerance(name, r.dtype());
    const bool ok = nan_mismatch == 0 && !std::isnan(rel) && rel <= tol;
    if (!ok) ++failures;
    const double ratio = tol > 0 ? rel / tol : (rel > 0 ? INFINITY : 0);
    if (ratio > worst_ratio || worst.empty()) worst_ratio = ratio, worst = name;
    std::printf("%-44s %-8s %12.3g %12.3g %10.0e%s%s\n", name.c_str(), std::string(ignis::name(r.dtype())).c_str(), rel, max_abs, tol,
                ok ? "" : "  DIFFERS", nan_mismatch > 0 ? " (NaN in one only)" : "");
  }
  std::printf("cuda_device_outputs: %zu of %zu results agree (%s against %s); nearest its tolerance: %s\n",
              reference.size() - static_cast<std::size_t>(failures), reference.size(), candidate_path.c_str(),
              reference_path.c_str(), worst.c_str());
  return failures == 0 ? 0 : 1;
}

int usage() {
  std::fprintf(stderr,
               "usage: cuda_device_outputs --device cuda|cpu --out FILE\n"
               "       cuda_device_outputs --compare REFERENCE CANDIDATE\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc == 4 && std::strcmp(argv[1], "--compare") == 0) return compare(argv[2], argv[3]);
    if (argc != 5 || std::strcmp(argv[1], "--device") != 0 || std::strcmp(argv[3], "--out") != 0) return usage();
    const Device device(argv[2]);
    if (device.is_cuda() && !cuda::is_available()) {
      std::fprintf(stderr, "cuda_device_outputs: %s\n", cuda::unavailable_reason().message.c_str());
      return 3;
    }
    const std::vector<Case> cases = run_cases(device);
    nn::StateDict tensors;
    for (const Case& c : cases) tensors.emplace_back(c.name, c.value);
    const std::string device_name = device.is_cuda() ? cuda::device_name(device.index()) : "cpu";
    io::save_safetensors(argv[4], tensors, {{"device", device_name}, {"ignis", build_info::kVersion}});
    std::printf("cuda_device_outputs: %zu results from %s (%s) in %s\n", cases.size(), device.str().c_str(),
                device_name.c_str(), argv[4]);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cuda_device_outputs: %s\n", e.what());
    return 1;
  }
}
