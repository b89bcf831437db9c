// gather and its adjoint scatter_add on the CPU (index_select arrives as a gather with an
// expanded index).
#include "core/check.hpp"
#include "cpu_backend.hpp"
#include "parallel.hpp"
#include "strided_loop.hpp"

namespace ignis::backend {

void CpuBackend::gather(const Tensor& in, int dim, const Tensor& index, const Tensor& out) {
  if (out.numel() == 0) return;
  // Walk out, index and `in` together over out's shape, with in's stride along `dim` set to 0:
  // each row then adds index * stride(dim) to reach the selected element.
  Strides in_strides = in.strides();
  in_strides[dim] = 0;
  const std::int64_t item = static_cast<std::int64_t>(in.item_size());
  const std::int64_t dim_step = in.stride(dim) * item;
  const std::int64_t limit = in.size(dim);
  const auto loop = cpu::make_loop<3>(
      out.shape(),
      {static_cast<char*>(out.data_ptr()), static_cast<char*>(index.data_ptr()), static_cast<char*>(in.data_ptr())},
      {&out.strides(), &index.strides(), &in_strides}, {item, sizeof(std::int64_t), item});
  visit_dtype(in.dtype(), "gather", [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::parallel_for(0, loop.numel, cpu::kGrain, [&](std::int64_t b, std::int64_t e) {
      cpu::for_each_row(loop, loop.base, b, e, [&](char* const* p, const std::int64_t* s, std::int64_t n) {
        for (std::int64_t k = 0; k < n; ++k) {
          const std::int64_t i = *reinterpret_cast<const std::int64_t*>(p[1] + k * s[1]);
          if (i < 0 || i >= limit) {
            detail::fail<IndexError>("[gather] index {} is out of range for dimension {} of size {}",
                                     i, dim, limit);
          }
          *reinterpret_cast<T*>(p[0] + k * s[0]) = *reinterpret_cast<const T*>(p[2] + k * s[2] + i * dim_step);
        }
      });
    });
  });
}

void CpuBackend::scatter_add(const Tensor& out, int dim, const Tensor& index, const Tensor& src) {
  if (src.numel() == 0) return;
  // The gather walk with the roles swapped: src and index over src's shape, out with its stride
  // along `dim` set to 0. Serial: two elements may land on the same output.
  Strides out_strides = out.strides();
  out_strides[dim] = 0;
  const std::int64_t item = static_cast<std::int64_t>(out.item_size());
  const std::int64_t dim_step = out.stride(dim) * item;
  const std::int64_t limit = out.size(dim);
  const auto loop = cpu::make_loop<3>(
      src.shape(),
      {static_cast<char*>(out.data_ptr()), static_cast<char*>(index.data_ptr()), static_cast<char*>(src.data_ptr())},
      {&out_strides, &index.strides(), &src.strides()}, {item, sizeof(std::int64_t), item});
  visit_dtype(out.dtype(), "scatter_add", [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::for_each_row(loop, loop.base, 0, loop.numel, [&](char* const* p, const std::int64_t* s, std::int64_t n) {
      for (std::int64_t k = 0; k < n; ++k) {
        const std::int64_t i = *reinterpret_cast<const std::int64_t*>(p[1] + k * s[1]);
        if (i < 0 || i >= limit) {
          detail::fail<IndexError>("[scatter_add] index {} is out of range for dimension {} of size {}", i,
                                   dim, limit);
        }
        T& target = *reinterpret_cast<T*>(p[0] + k * s[0] + i * dim_step);
        target = static_cast<T>(target + *reinterpret_cast<const T*>(p[2] + k * s[2]));
      }
    });
  });
}

}  // namespace ignis::backend
