// PyTorch-style printing: tensor([[1., 2.],
//                                  [3., 4.]], dtype=float64)
// Float formatting follows torch/_tensor_str.py: integers-only data prints as "1.", otherwise
// 4 decimals, or scientific notation when the magnitudes span more than 1000x, exceed 1e8 or
// fall below 1e-4. Tensors above 1000 elements are summarised with "..." (3 edge items).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "ignis/tensor/layout.hpp"

namespace ignis {

namespace {

constexpr std::int64_t kSummarizeAbove = 1000;
constexpr std::int64_t kEdgeItems = 3;
constexpr int kLineWidth = 80;

enum class FloatStyle { kInteger, kFixed, kScientific };

struct Formatter {
  DType dtype;
  FloatStyle style = FloatStyle::kFixed;
  std::size_t width = 1;

  std::string format(double v) const {
    if (dtype == DType::kBool) return v != 0 ? "True" : "False";
    if (!is_floating_point(dtype)) return fmt::format("{}", static_cast<std::int64_t>(v));
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    switch (style) {
      case FloatStyle::kInteger:
        return fmt::format("{:.0f}.", v);
      case FloatStyle::kScientific:
        return fmt::format("{:.4e}", v);
      case FloatStyle::kFixed:
        break;
    }
    return fmt::format("{:.4f}", v);
  }
};

Formatter make_formatter(DType dtype, const std::vector<double>& shown) {
  Formatter f{dtype};
  if (is_floating_point(dtype)) {
    bool all_integers = true;
    double max_abs = 0, min_abs = INFINITY;
    for (double v : shown) {
      if (!std::isfinite(v)) continue;
      all_integers = all_integers && std::ceil(v) == v;
      if (v != 0) {
        max_abs = std::max(max_abs, std::abs(v));
        min_abs = std::min(min_abs, std::abs(v));
      }
    }
    const bool any_nonzero = max_abs > 0;
    if (all_integers) {
      f.style = any_nonzero && (max_abs / min_abs > 1000 || max_abs > 1e8) ? FloatStyle::kScientific
                                                                            : FloatStyle::kInteger;
    } else {
      f.style = any_nonzero && (max_abs / min_abs > 1000 || max_abs > 1e8 || min_abs < 1e-4)
                    ? FloatStyle::kScientific
                    : FloatStyle::kFixed;
    }
  }
  for (double v : shown) f.width = std::max(f.width, f.format(v).size());
  return f;
}

/// Indices shown along a dimension of `size` (all, or the edges when summarising).
std::vector<std::int64_t> shown_indices(std::int64_t size, bool summarize) {
  std::vector<std::int64_t> idx;
  if (summarize && size > 2 * kEdgeItems) {
    for (std::int64_t i = 0; i < kEdgeItems; ++i) idx.push_back(i);
    idx.push_back(-1);  // the "..." marker
    for (std::int64_t i = size - kEdgeItems; i < size; ++i) idx.push_back(i);
  } else {
    for (std::int64_t i = 0; i < size; ++i) idx.push_back(i);
  }
  return idx;
}

/// The value of a 0-dimensional host tensor, read through its own offset.
double value_of(const Tensor& t) {
  const char* p = static_cast<const char*>(t.storage()->data()) + t.offset() * static_cast<std::int64_t>(t.item_size());
  return visit_dtype(t.dtype(), "print", [p](auto tag) {
    using T = typename decltype(tag)::type;
    return static_cast<double>(*reinterpret_cast<const T*>(p));
  });
}

void collect(const Tensor& t, bool summarize, std::vector<double>& out) {
  if (t.dim() == 0) {
    out.push_back(value_of(t));
    return;
  }
  for (std::int64_t i : shown_indices(t.size(0), summarize)) {
    if (i >= 0) collect(layout::select(t, 0, i), summarize, out);
  }
}

std::string render(const Tensor& t, const Formatter& f, bool summarize, std::size_t indent);

/// Appends sub-tensor i of t, or "..." for the summarised middle (i < 0).
void append_item(std::string& out, const Tensor& t, std::int64_t i, const Formatter& f,
                 bool summarize, std::size_t indent) {
  if (i < 0) {
    out.append("...");
  } else {
    out.append(render(layout::select(t, 0, i), f, summarize, indent + 1));
  }
}

std::string render(const Tensor& t, const Formatter& f, bool summarize, std::size_t indent) {
  if (t.dim() == 0) {
    std::string s = f.format(value_of(t));
    return std::string(f.width - std::min(f.width, s.size()), ' ') + s;
  }
  std::string out = "[";
  const auto idx = shown_indices(t.size(0), summarize);
  if (t.dim() == 1) {
    const std::size_t per_line =
        std::max<std::size_t>(1, (kLineWidth - indent) / (f.width + 2));
    std::size_t on_line = 0;
    for (std::size_t k = 0; k < idx.size(); ++k) {
      if (k > 0) {
        out += ",";
        if (++on_line == per_line) {
          out.push_back('\n');
          out.append(indent + 1, ' ');
          on_line = 0;
        } else {
          out.push_back(' ');
        }
      }
      append_item(out, t, idx[k], f, summarize, indent);
    }
    return out + "]";
  }
  std::string separator(1, ',');
  separator.append(static_cast<std::size_t>(t.dim() - 1), '\n');
  separator.append(indent + 1, ' ');
  for (std::size_t k = 0; k < idx.size(); ++k) {
    if (k > 0) out += separator;
    append_item(out, t, idx[k], f, summarize, indent);
  }
  return out + "]";
}

}  // namespace

std::string Tensor::str() const {
  if (!defined()) return "tensor(undefined)";
  const Tensor host = device().is_cpu() ? detach() : detach().cpu();
  const bool summarize = numel() > kSummarizeAbove;
  constexpr std::string_view kPrefix = "tensor(";
  std::string body;
  if (numel() == 0) {
    body = "[]";
  } else {
    std::vector<double> shown;
    collect(host, summarize, shown);
    body = render(host, make_formatter(dtype(), shown), summarize, kPrefix.size());
  }
  std::string suffix;
  if (numel() == 0 && dim() != 1) suffix += fmt::format(", size={}", shape().str());
  if (!device().is_cpu()) suffix += fmt::format(", device='{}'", device().str());
  if (dtype() != DType::kFloat32 && dtype() != DType::kInt64 && dtype() != DType::kBool) {
    suffix += fmt::format(", dtype={}", name(dtype()));
  }
  if (requires_grad()) suffix += ", requires_grad=True";
  return std::string(kPrefix) + body + suffix + ")";
}

}  // namespace ignis
