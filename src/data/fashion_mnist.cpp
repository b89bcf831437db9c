#include "ignis/data/fashion_mnist.hpp"

#include <filesystem>

#include "core/check.hpp"
#include "ignis/autograd/operators.hpp"
#include "ignis/data/readers.hpp"
#include "ignis/tensor/factories.hpp"

namespace ignis::data {

namespace {

/// dir/name or dir/name.gz, whichever exists.
std::string locate(const std::string& dir, const std::string& name) {
  namespace fs = std::filesystem;
  for (const std::string& candidate : {name + ".gz", name}) {
    const fs::path p = fs::path(dir) / candidate;
    if (fs::exists(p)) return p.string();
  }
  detail::fail<FormatError>("[fashion_mnist] {}/{}(.gz) not found; install Debian's dataset-fashion-mnist "
                            "(scripts/setup does) or pass the directory holding the four IDX files",
                            dir, name);
}

Tensor images(const std::string& path, std::int64_t count) {
  const Tensor raw = read_idx(path);
  if (raw.dtype() != DType::kUInt8 || raw.shape() != Shape{count, 28, 28}) {
    detail::fail<FormatError>("[fashion_mnist] {} holds {} {} values, expected ({}, 28, 28) uint8 images", path,
                              raw.shape(), raw.dtype(), count);
  }
  // One pass from bytes to standardised floats: whole-tensor arithmetic would leave three
  // 188 MB temporaries in the CPU block cache for the rest of the run.
  constexpr float kMean = 0.2860f, kStd = 0.3530f;  // of the training pixels scaled to [0, 1]
  Tensor out = empty(raw.shape(), {.dtype = DType::kFloat32});
  const std::uint8_t* src = raw.data_ptr<std::uint8_t>();
  float* dst = out.data_ptr<float>();
  for (std::int64_t i = 0; i < raw.numel(); ++i) dst[i] = (static_cast<float>(src[i]) * (1.0f / 255.0f) - kMean) / kStd;
  return out;
}

Tensor labels(const std::string& path, std::int64_t count) {
  const Tensor raw = read_idx(path);
  if (raw.dtype() != DType::kUInt8 || raw.shape() != Shape{count}) {
    detail::fail<FormatError>("[fashion_mnist] {} holds {} {} values, expected ({}) uint8 labels", path, raw.shape(),
                              raw.dtype(), count);
  }
  return raw.to(DType::kInt64);
}

}  // namespace

FashionMnist load_fashion_mnist(const std::string& dir) {
  FashionMnist d;
  d.train_images = images(locate(dir, "train-images-idx3-ubyte"), 60000);
  d.train_labels = labels(locate(dir, "train-labels-idx1-ubyte"), 60000);
  d.test_images = images(locate(dir, "t10k-images-idx3-ubyte"), 10000);
  d.test_labels = labels(locate(dir, "t10k-labels-idx1-ubyte"), 10000);
  return d;
}

}  // namespace ignis::data
