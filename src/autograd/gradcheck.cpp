#include "ignis/autograd/gradcheck.hpp"

#include <fmt/format.h>

#include <cmath>

#include "ignis/autograd/grad_mode.hpp"
#include "ignis/ops/copy.hpp"
#include "ignis/tensor/factories.hpp"

namespace ignis {

GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                          const std::vector<Tensor>& inputs, GradcheckOptions options) {
  std::vector<Tensor> xs;
  for (const Tensor& input : inputs) {
    Tensor x = ops::clone(ops::to(ops::to(input.detach(), Device::cpu()), DType::kFloat64));
    x.requires_grad_();
    xs.push_back(x);
  }
  const Tensor y0 = f(xs);
  if (!y0.requires_grad()) return {false, "the function's output does not depend on any input (no grad_fn)"};
  const std::int64_t n_out = y0.numel();

  // Analytical Jacobian rows: backward of each output element.
  std::vector<std::vector<std::vector<double>>> analytical(xs.size());  // [input][out][in elem]
  for (std::int64_t i = 0; i < n_out; ++i) {
    for (Tensor& x : xs) x.set_grad(Tensor());
    Tensor seed = zeros(y0.shape(), {.dtype = y0.dtype()});
    static_cast<double*>(seed.data_ptr())[i] = 1.0;
    f(xs).backward(seed);
    for (std::size_t k = 0; k < xs.size(); ++k) {
      const Tensor g = xs[k].grad();
      analytical[k].push_back(g.defined() ? ops::contiguous(g).to_vector<double>()
                                          : std::vector<double>(static_cast<std::size_t>(xs[k].numel()), 0.0));
    }
  }

  // Numerical Jacobian columns: central differences, one input element at a time.
  NoGradGuard no_grad;
  double worst = 0;
  std::string worst_message = "ok";
  bool ok = true;
  for (std::size_t k = 0; k < xs.size(); ++k) {
    double* data = static_cast<double*>(xs[k].data_ptr());
    for (std::int64_t j = 0; j < xs[k].numel(); ++j) {
      const double saved = data[j];
      data[j] = saved + options.eps;
      const std::vector<double> plus = ops::contiguous(f(xs)).to_vector<double>();
      data[j] = saved - options.eps;
      const std::vector<double> minus = ops::contiguous(f(xs)).to_vector<double>();
      data[j] = saved;
      for (std::int64_t i = 0; i < n_out; ++i) {
        const double numerical = (plus[static_cast<std::size_t>(i)] - minus[static_cast<std::size_t>(i)]) / (2 * options.eps);
        const double a = analytical[k][static_cast<std::size_t>(i)][static_cast<std::size_t>(j)];
        const double excess = std::abs(a - numerical) - (options.atol + options.rtol * std::abs(numerical));
        if (!(excess <= 0) && (ok || excess > worst)) {  // NaN counts as a mismatch
          ok = false;
          worst = std::isnan(excess) ? INFINITY : excess;
          worst_message = fmt::format("input {} element {}, output element {}: analytical {:.8g} vs numerical "
                                      "{:.8g} (atol {}, rtol {})",
                                      k, j, i, a, numerical, options.atol, options.rtol);
        }
      }
    }
  }
  return {ok, worst_message};
}

}  // namespace ignis
