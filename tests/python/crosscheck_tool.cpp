// The ignis side of the Python cross-checks (tests/python/crosscheck.py runs it):
//   crosscheck_tool write-dtypes FILE        every ignis dtype, values from a formula Python repeats
//   crosscheck_tool dump FILE                prints every tensor of a safetensors file as JSON
//   crosscheck_tool torch-model MODEL X OUT  loads PyTorch's weights into the same architecture,
//                                            writes the outputs for input X
//   crosscheck_tool ignis-model DIR          a seeded model, an input and its outputs, for PyTorch
//   crosscheck_tool events DIR               scalars, a histogram and text for TensorBoard
//   crosscheck_tool warmup-cosine W T LR MIN LR1  each step's rates of optim::warmup_cosine over
//                                            AdamW with two groups (base rates LR and LR1), as JSON
// Exit 1 with the message on any error.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "ignis/ignis.hpp"

namespace {

using namespace ignis;

/// The architecture both sides build: Linear(5, 8), ReLU, Linear(8, 3) (torch.nn.Sequential).
nn::Sequential make_model() { return nn::Sequential(nn::Linear(5, 8), nn::ReLU(), nn::Linear(8, 3)); }

/// Element i of every test tensor is f(i) = (i * 37 % 101) - 50, converted to the dtype.
Tensor pattern(const Shape& shape, DType dtype) {
  const std::int64_t n = numel(shape);
  std::vector<double> v;
  for (std::int64_t i = 0; i < n; ++i) v.push_back(static_cast<double>((i * 37) % 101) - 50);
  Tensor t = from_vector<double>(v, shape).to(dtype);
  return dtype == kFloat32 || dtype == kFloat64 ? t / 8.0 : t;  // fractions exact in binary
}

int write_dtypes(const std::string& file) {
  io::save_safetensors(file,
                       {{"f32", pattern({2, 3, 4}, kFloat32)},
                        {"f64", pattern({7}, kFloat64)},
                        {"i64", pattern({3, 2}, kInt64) * 1'000'000'007},
                        {"i32", pattern({5}, kInt32)},
                        {"u8", (pattern({4, 4}, kInt64) + 50).to(kUInt8)},
                        {"bool", (pattern({6}, kInt64) + 13).to(kBool)},
                        {"scalar", full({}, 2.5)},
                        {"empty", zeros({0, 3})}},
                       {{"format", "pt"}, {"writer", "ignis"}});
  return 0;
}

int dump(const std::string& file) {
  const io::SafetensorsFile f = io::SafetensorsFile::open(file);
  nlohmann::json out = nlohmann::json::object();
  for (const auto& e : f.entries()) {
    const Tensor t = f.tensor(e);
    out[e.name] = {{"dtype", e.dtype}, {"ignis_dtype", std::string(name(t.dtype()))}, {"shape", std::vector<std::int64_t>(t.shape().begin(), t.shape().end())},
                   {"values", t.to_vector<double>()}};
  }
  out["__metadata__"] = f.metadata();
  std::cout << out.dump() << "\n";
  return 0;
}

int torch_model(const std::string& model_file, const std::string& x_file, const std::string& out_file) {
  nn::Sequential model = make_model();
  io::load_safetensors(model_file, model);  // strict: every key and shape must match
  NoGradGuard no_grad;
  const Tensor x = io::SafetensorsFile::open(x_file).tensor("x");
  io::save_safetensors(out_file, {{"y", model(x)}});
  return 0;
}

int ignis_model(const std::string& dir) {
  manual_seed(42);
  nn::Sequential model = make_model();
  const Tensor x = randn({16, 5});
  NoGradGuard no_grad;
  io::save_safetensors(dir + "/ignis_model.safetensors", model);
  io::save_safetensors(dir + "/ignis_io.safetensors", {{"x", x}, {"y", model(x)}});
  return 0;
}

int events(const std::string& dir) {
  io::SummaryWriter w(dir);
  for (int step = 0; step < 5; ++step) w.add_scalar("loss", 1.0 / (step + 1), step * 10);
  w.add_scalar("accuracy", 0.875, 3);
  const std::vector<double> values{0, 1, 1, 2, 3, 3, 3, 10};
  w.add_histogram("weights", std::span<const double>(values), 7, 5);
  w.add_text("notes", "hello from ignis", 2);
  w.close();
  std::cout << w.path() << "\n";
  return 0;
}

/// The rates of iterations 0..total of warmup_cosine({warmup, total, min_lr}), one row per
/// iteration, one column per group.
int warmup_cosine_rates(std::int64_t warmup, std::int64_t total, double lr, double min_lr, double lr1) {
  Tensor a = zeros({2, 2}).requires_grad_(), b = zeros({2}).requires_grad_();
  optim::AdamW opt({{.params = {a}, .weight_decay = 0.1}, {.params = {b}, .lr = lr1, .weight_decay = 0.0}},
                   {.lr = lr});
  optim::SequentialLR schedule =
      optim::warmup_cosine(opt, {.warmup_steps = warmup, .total_steps = total, .min_lr = min_lr});
  nlohmann::json rows = nlohmann::json::array();
  for (std::int64_t it = 0; it <= total; ++it) {
    rows.push_back(schedule.last_lrs());
    schedule.step();
  }
  std::cout << rows.dump() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> a(argv + 1, argv + argc);
  try {
    if (a.size() == 2 && a[0] == "write-dtypes") return write_dtypes(a[1]);
    if (a.size() == 2 && a[0] == "dump") return dump(a[1]);
    if (a.size() == 4 && a[0] == "torch-model") return torch_model(a[1], a[2], a[3]);
    if (a.size() == 2 && a[0] == "ignis-model") return ignis_model(a[1]);
    if (a.size() == 2 && a[0] == "events") return events(a[1]);
    if (a.size() == 6 && a[0] == "warmup-cosine") {
      return warmup_cosine_rates(std::stoll(a[1]), std::stoll(a[2]), std::stod(a[3]), std::stod(a[4]), std::stod(a[5]));
    }
    std::cerr << "usage: crosscheck_tool write-dtypes|dump|torch-model|ignis-model|events|warmup-cosine ARGS\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}
