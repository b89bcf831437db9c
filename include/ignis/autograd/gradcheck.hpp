#pragma once
// gradcheck: compares the gradients backward() computes with central finite differences, in
// float64, element by element of the Jacobian (PyTorch's torch.autograd.gradcheck; the same
// default tolerances). For tests of every differentiable op, and for users' own layers.
#include <functional>
#include <string>
#include <vector>

#include "ignis/tensor/tensor.hpp"

namespace ignis {

struct GradcheckOptions {
  double eps = 1e-6;   // finite-difference step
  double atol = 1e-5;  // |analytical - numerical| <= atol + rtol * |numerical|
  double rtol = 1e-3;
};

struct GradcheckResult {
  bool ok = false;
  /// The worst mismatch (input, element, both values) or "ok".
  std::string message;
};

/// f maps the inputs to one tensor. Inputs are copied to float64 on the CPU and made to require
/// grad; each Jacobian entry d f_i / d x_j is compared.
GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                          const std::vector<Tensor>& inputs, GradcheckOptions options = {});

}  // namespace ignis
