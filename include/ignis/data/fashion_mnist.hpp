#pragma once
// Fashion-MNIST (Xiao, Rasul, Vollgraf 2017): 60,000 training and 10,000 test images of 28x28
// grey pixels in 10 classes, as IDX files. Debian's dataset-fashion-mnist installs them in
// kFashionMnistDefaultDir (scripts/setup installs the package).
#include <array>
#include <string>
#include <string_view>

#include "ignis/tensor/tensor.hpp"

namespace ignis::data {

inline constexpr const char* kFashionMnistDefaultDir = "/usr/share/datasets/fashion-mnist";

inline constexpr std::array<std::string_view, 10> kFashionMnistClasses = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};

struct FashionMnist {
  Tensor train_images, train_labels;  // (60000, 28, 28) float32, (60000) int64
  Tensor test_images, test_labels;    // (10000, 28, 28), (10000)
};

/// Reads the four files (train-images-idx3-ubyte[.gz], ...) from `dir`. Pixels become float32,
/// scaled to [0, 1] and standardised with the training set's mean 0.2860 and std 0.3530.
/// FormatError names any missing or malformed file and how to get it.
FashionMnist load_fashion_mnist(const std::string& dir = kFashionMnistDefaultDir);

}  // namespace ignis::data
