#include "ignis/data/fashion_mnist.hpp"

#include <filesystem>

#include "core/check.hpp"
#include "ignis/autograd/operators.hpp"
#include "ignis/data/readers.hpp"

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
  constexpr double kMean = 0.2860, kStd = 0.3530;  // of the training pixels scaled to [0, 1]
  return (raw.to(DType::kFloat32) * (1.0 / 255.0) - kMean) * (1.0 / kStd);
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
