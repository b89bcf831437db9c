// MultiheadAttention, TransformerEncoderLayer, TransformerDecoderLayer: PyTorch's parameter names
// and shapes, MHA against a plain double-precision computation written here (project, split heads,
// softmax(q kᵀ/√d + mask) v, merge, out_proj) for every input layout and mask kind, gradients by
// central differences, the pre-/post-norm formulas, and the messages of bad input. Agreement
// with torch.nn itself: tests/python/transformer_crosscheck.py.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>

#include "support/reference.hpp"

namespace ignis::nn {
namespace {

using testing::all_close;
using testing::values_of;

constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<std::pair<std::string, Shape>> names_and_shapes(const Module& m) {
  std::vector<std::pair<std::string, Shape>> out;
  for (const auto& [name, t] : m.state_dict()) out.emplace_back(name, t.shape());
  return out;
}

// --- the reference -------------------------------------------------------------------------

/// Additive mask value of score (b, h, i, j): 0, a float, or -inf.
using MaskFn =
    std::function<double(std::int64_t b, std::int64_t h, std::int64_t i, std::int64_t j)>;

struct Reference {
  std::vector<double> out;      // (N, L, E)
  std::vector<double> weights;  // (N, H, L, S), per head
};

/// rows × in times Wᵀ (out × in) plus bias[offset..]: (rows, out).
std::vector<double> project(const std::vector<double>& x, std::int64_t rows, std::int64_t in,
                            const std::vector<double>& w, std::int64_t out,
                            const std::vector<double>& bias, std::int64_t bias_offset) {
  std::vector<double> y(static_cast<std::size_t>(rows * out));
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t o = 0; o < out; ++o) {
      double acc = bias.empty() ? 0.0 : bias[static_cast<std::size_t>(bias_offset + o)];
      for (std::int64_t c = 0; c < in; ++c) acc += x[r * in + c] * w[o * in + c];
      y[r * out + o] = acc;
    }
  }
  return y;
}

/// MHA of batch-first inputs q (N, L, E), k (N, S, kdim), v (N, S, vdim) with m's parameters.
Reference reference_mha(const MultiheadAttention& m, const Tensor& q, const Tensor& k,
                        const Tensor& v, const MaskFn& mask) {
  const std::int64_t n = q.size(0), l = q.size(1), s = k.size(1), e = m.embed_dim(),
                     h = m.num_heads(), d = e / h;
  const std::int64_t kdim = k.size(2), vdim = v.size(2);
  std::vector<double> wq, wk, wv;
  if (m.in_proj_weight.defined()) {
    const std::vector<double> w = values_of(m.in_proj_weight);
    wq.assign(w.begin(), w.begin() + e * e);
    wk.assign(w.begin() + e * e, w.begin() + 2 * e * e);
    wv.assign(w.begin() + 2 * e * e, w.end());
  } else {
    wq = values_of(m.q_proj_weight), wk = values_of(m.k_proj_weight),
    wv = values_of(m.v_proj_weight);
  }
  const std::vector<double> b =
      m.in_proj_bias.defined() ? values_of(m.in_proj_bias) : std::vector<double>{};
  const std::vector<double> qp = project(values_of(q), n * l, e, wq, e, b, 0);
  const std::vector<double> kp = project(values_of(k), n * s, kdim, wk, e, b, e);
  const std::vector<double> vp = project(values_of(v), n * s, vdim, wv, e, b, 2 * e);
  Reference r;
  r.weights.assign(static_cast<std::size_t>(n * h * l * s), 0.0);
  std::vector<double> merged(static_cast<std::size_t>(n * l * e), 0.0);
  for (std::int64_t bi = 0; bi < n; ++bi) {
    for (std::int64_t hi = 0; hi < h; ++hi) {
      for (std::int64_t i = 0; i < l; ++i) {
        std::vector<double> p(static_cast<std::size_t>(s));
        double top = -kInf;
        for (std::int64_t j = 0; j < s; ++j) {
          double dot = 0;
          for (std::int64_t c = 0; c < d; ++c)
            dot += qp[(bi * l + i) * e + hi * d + c] * kp[(bi * s + j) * e + hi * d + c];
          p[j] = dot / std::sqrt(static_cast<double>(d)) + mask(bi, hi, i, j);
          top = std::max(top, p[j]);
        }
        double total = 0;
        for (double& x : p) total += (x = std::exp(x - top));
        for (std::int64_t j = 0; j < s; ++j) {
          p[j] /= total;
          r.weights[((bi * h + hi) * l + i) * s + j] = p[j];
          for (std::int64_t c = 0; c < d; ++c)
            merged[(bi * l + i) * e + hi * d + c] += p[j] * vp[(bi * s + j) * e + hi * d + c];
        }
      }
    }
  }
  const std::vector<double> ob =
      m.out_proj->bias.defined() ? values_of(m.out_proj->bias) : std::vector<double>{};
  r.out = project(merged, n * l, e, values_of(m.out_proj->weight), e, ob, 0);
  return r;
}

const MaskFn kNoMask = [](auto, auto, auto, auto) { return 0.0; };

/// The mean over heads of per-head weights (N, H, L, S).
std::vector<double> head_mean(const std::vector<double>& w, std::int64_t n, std::int64_t h,
                              std::int64_t ls) {
  std::vector<double> out(static_cast<std::size_t>(n * ls), 0.0);
  for (std::int64_t b = 0; b < n; ++b)
    for (std::int64_t hi = 0; hi < h; ++hi)
      for (std::int64_t x = 0; x < ls; ++x)
        out[b * ls + x] += w[(b * h + hi) * ls + x] / static_cast<double>(h);
  return out;
}

Tensor random64(const Shape& shape, std::uint64_t seed) {
  Generator g(seed);
  return randn(shape, {.dtype = kFloat64}, &g);
}

/// A float64 MHA with random (non-zero) biases, so the bias paths are exercised.
MultiheadAttention make_mha(std::int64_t e, std::int64_t h, MultiheadAttentionOptions o = {}) {
  MultiheadAttention m(e, h, o);
  m.to(kFloat64);
  if (m.in_proj_bias.defined()) {
    NoGradGuard no_grad;
    init::uniform_(m.in_proj_bias, -0.5, 0.5);
    init::uniform_(m.out_proj->bias, -0.5, 0.5);
  }
  return m;
}

/// Central differences of sum(f() · probe) at every element of every parameter, against the
/// gradients backward() leaves in them (float64; gradcheck's tolerances).
::testing::AssertionResult parameter_gradients_match(Module& m, const std::function<Tensor()>& f) {
  const Tensor probe = random64(f().shape(), 77);
  m.zero_grad();
  (f() * probe).sum().backward();
  const double eps = 1e-6;
  int checked = 0;
  for (auto& [name, p] : m.named_parameters()) {
    if (!p.grad().defined()) return ::testing::AssertionFailure() << name << " got no gradient";
    const std::vector<double> analytic = values_of(p.grad());
    NoGradGuard no_grad;
    double* data = p.data_ptr<double>();
    for (std::int64_t i = 0; i < p.numel(); ++i) {
      const double saved = data[i];
      data[i] = saved + eps;
      const double up = (f() * probe).sum().item<double>();
      data[i] = saved - eps;
      const double down = (f() * probe).sum().item<double>();
      data[i] = saved;
      const double numeric = (up - down) / (2 * eps);
      if (std::abs(analytic[i] - numeric) > 1e-5 + 1e-3 * std::abs(numeric)) {
        return ::testing::AssertionFailure()
               << name << "[" << i << "]: backward " << analytic[i] << ", numeric " << numeric;
      }
      ++checked;
    }
  }
  return ::testing::AssertionSuccess() << checked << " elements";
}

// --- names, shapes, initialisation ---------------------------------------------------------

TEST(MultiheadAttention, ParameterNamesAndShapesAreTorchs) {
  using List = std::vector<std::pair<std::string, Shape>>;
  EXPECT_EQ(names_and_shapes(MultiheadAttention(8, 2)), (List{{"in_proj_weight", {24, 8}},
                                                              {"in_proj_bias", {24}},
                                                              {"out_proj.weight", {8, 8}},
                                                              {"out_proj.bias", {8}}}));
  EXPECT_EQ(names_and_shapes(MultiheadAttention(8, 2, {.kdim = 6, .vdim = 5})),
            (List{{"q_proj_weight", {8, 8}},
                  {"k_proj_weight", {8, 6}},
                  {"v_proj_weight", {8, 5}},
                  {"in_proj_bias", {24}},
                  {"out_proj.weight", {8, 8}},
                  {"out_proj.bias", {8}}}));
  EXPECT_EQ(names_and_shapes(MultiheadAttention(8, 2, {.bias = false})),
            (List{{"in_proj_weight", {24, 8}}, {"out_proj.weight", {8, 8}}}));
}

TEST(MultiheadAttention, InitialisationIsTorchs) {
  MultiheadAttention m(32, 4);
  // xavier_uniform_ of the (3E, E) weight: bound √(6 / (E + 3E)).
  const double bound = std::sqrt(6.0 / (32 + 96));
  const double largest = m.in_proj_weight.abs().max().item<double>();
  EXPECT_LE(largest, bound);
  EXPECT_GT(largest, 0.95 * bound);
  EXPECT_EQ(m.in_proj_bias.abs().max().item<double>(), 0.0);
  EXPECT_EQ(m.out_proj->bias.abs().max().item<double>(), 0.0);
  // out_proj.weight keeps a Linear's U(±1/√E).
  EXPECT_LE(m.out_proj->weight.abs().max().item<double>(), 1.0 / std::sqrt(32.0));
}

TEST(TransformerLayers, ChildNamesAndShapesAreTorchs) {
  using List = std::vector<std::pair<std::string, Shape>>;
  const List encoder{{"self_attn.in_proj_weight", {24, 8}},
                     {"self_attn.in_proj_bias", {24}},
                     {"self_attn.out_proj.weight", {8, 8}},
                     {"self_attn.out_proj.bias", {8}},
                     {"linear1.weight", {16, 8}},
                     {"linear1.bias", {16}},
                     {"linear2.weight", {8, 16}},
                     {"linear2.bias", {8}},
                     {"norm1.weight", {8}},
                     {"norm1.bias", {8}},
                     {"norm2.weight", {8}},
                     {"norm2.bias", {8}}};
  EXPECT_EQ(names_and_shapes(TransformerEncoderLayer(8, 2, {.dim_feedforward = 16})), encoder);
  const List decoder{{"self_attn.in_proj_weight", {24, 8}},
                     {"self_attn.in_proj_bias", {24}},
                     {"self_attn.out_proj.weight", {8, 8}},
                     {"self_attn.out_proj.bias", {8}},
                     {"multihead_attn.in_proj_weight", {24, 8}},
                     {"multihead_attn.in_proj_bias", {24}},
                     {"multihead_attn.out_proj.weight", {8, 8}},
                     {"multihead_attn.out_proj.bias", {8}},
                     {"linear1.weight", {16, 8}},
                     {"linear1.bias", {16}},
                     {"linear2.weight", {8, 16}},
                     {"linear2.bias", {8}},
                     {"norm1.weight", {8}},
                     {"norm1.bias", {8}},
                     {"norm2.weight", {8}},
                     {"norm2.bias", {8}},
                     {"norm3.weight", {8}},
                     {"norm3.bias", {8}}};
  EXPECT_EQ(names_and_shapes(TransformerDecoderLayer(8, 2, {.dim_feedforward = 16})), decoder);
  // The parameterless children are there too, in torch's order.
  const TransformerDecoderLayer decoder_layer(8, 2);
  const TransformerEncoderLayer encoder_layer(8, 2);
  std::vector<std::string> children;
  for (const auto& [name, child] : decoder_layer.named_children()) children.push_back(name);
  EXPECT_EQ(children, (std::vector<std::string>{"self_attn", "multihead_attn", "linear1", "dropout",
                                                "linear2", "norm1", "norm2", "norm3", "dropout1",
                                                "dropout2", "dropout3"}));
  children.clear();
  for (const auto& [name, child] : encoder_layer.named_children()) children.push_back(name);
  EXPECT_EQ(children, (std::vector<std::string>{"self_attn", "linear1", "dropout", "linear2",
                                                "norm1", "norm2", "dropout1", "dropout2"}));
  // bias = false reaches every Linear, the attention and the LayerNorms (torch ≥ 2.1).
  for (const auto& [name, t] : TransformerEncoderLayer(8, 2, {.bias = false}).state_dict()) {
    EXPECT_FALSE(name.ends_with("bias")) << name;
  }
}

// --- MHA against the reference -------------------------------------------------------------

TEST(MultiheadAttention, SelfAttentionMatchesTheExplicitComputation) {
  MultiheadAttention m = make_mha(8, 2);
  const Tensor x = random64({5, 3, 8}, 1);  // (L, N, E)
  const Reference ref =
      reference_mha(m, x.transpose(0, 1), x.transpose(0, 1), x.transpose(0, 1), kNoMask);
  // The fused path (need_weights false, what forward(x) uses) and the explicit one.
  EXPECT_TRUE(all_close(m.forward(x).transpose(0, 1), {3, 5, 8}, ref.out, 1e-10, 1e-12));
  const MhaOutput explicit_path = m.forward(x, x, x, {.need_weights = true});
  EXPECT_TRUE(all_close(explicit_path.output.transpose(0, 1), {3, 5, 8}, ref.out, 1e-10, 1e-12));
  EXPECT_TRUE(
      all_close(explicit_path.weights, {3, 5, 5}, head_mean(ref.weights, 3, 2, 25), 1e-10, 1e-12));
  // Three equal tensors that are not one handle take the unfused projections: same result.
  EXPECT_TRUE(all_close(m.forward(x, x.clone(), x.clone()).output.transpose(0, 1), {3, 5, 8},
                        ref.out, 1e-10, 1e-12));
}

TEST(MultiheadAttention, CrossAttentionWithOtherKeyAndValueSizes) {
  MultiheadAttention m = make_mha(8, 4, {.kdim = 6, .vdim = 3});
  const Tensor q = random64({4, 2, 8}, 2), k = random64({7, 2, 6}, 3), v = random64({7, 2, 3}, 4);
  const Reference ref =
      reference_mha(m, q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1), kNoMask);
  const MhaOutput r = m.forward(q, k, v, {.need_weights = true, .average_attn_weights = false});
  EXPECT_TRUE(
      all_close(m.forward(q, k, v).output.transpose(0, 1), {2, 4, 8}, ref.out, 1e-10, 1e-12));
  EXPECT_TRUE(all_close(r.output.transpose(0, 1), {2, 4, 8}, ref.out, 1e-10, 1e-12));
  EXPECT_TRUE(all_close(r.weights, {2, 4, 4, 7}, ref.weights, 1e-10, 1e-12));
}

TEST(MultiheadAttention, BatchFirstAndUnbatchedInputs) {
  MultiheadAttention seq_first = make_mha(6, 3);
  MultiheadAttention batch_first(6, 3, {.batch_first = true});
  batch_first.to(kFloat64);
  batch_first.load_state_dict(seq_first.state_dict());
  const Tensor q = random64({2, 4, 6}, 5), kv = random64({2, 5, 6}, 6);  // (N, L, E), (N, S, E)
  const Reference ref = reference_mha(seq_first, q, kv, kv, kNoMask);
  const Tensor out = batch_first.forward(q, kv, kv).output;
  EXPECT_TRUE(all_close(out, {2, 4, 6}, ref.out, 1e-10, 1e-12));
  EXPECT_TRUE(
      all_close(seq_first.forward(q.transpose(0, 1), kv.transpose(0, 1), kv.transpose(0, 1)).output,
                {4, 2, 6}, values_of(out.transpose(0, 1)), 1e-12, 1e-14));
  // Unbatched (L, E): the batched result's sample 1, whichever batch_first says.
  const Tensor batched_weights = batch_first.forward(q, kv, kv, {.need_weights = true}).weights;
  for (MultiheadAttention* m : {&seq_first, &batch_first}) {
    const MhaOutput one =
        m->forward(q.select(0, 1), kv.select(0, 1), kv.select(0, 1), {.need_weights = true});
    EXPECT_TRUE(all_close(one.output, {4, 6}, values_of(out.select(0, 1)), 1e-12, 1e-14));
    EXPECT_TRUE(
        all_close(one.weights, {4, 5}, values_of(batched_weights.select(0, 1)), 1e-12, 1e-14));
  }
}

TEST(MultiheadAttention, BoolAndFloatAttnMasksFollowTorchsConventions) {
  MultiheadAttention m = make_mha(8, 2);
  const std::int64_t l = 4, s = 6, n = 2, h = 2;
  const Tensor q = random64({l, n, 8}, 7), kv = random64({s, n, 8}, 8);
  // (L, S) bool, true = NOT allowed: query i may not see key (i + j) % 3 == 0 for j > 0.
  std::vector<std::uint8_t> blocked_values;
  for (std::int64_t i = 0; i < l; ++i)
    for (std::int64_t j = 0; j < s; ++j) blocked_values.push_back(j > 0 && (i + j) % 3 == 0);
  const Tensor blocked = from_vector(blocked_values, {l, s}).to(kBool);
  const MaskFn blocked_fn = [&](auto, auto, auto i, auto j) {
    return blocked_values[i * s + j] ? -kInf : 0.0;
  };
  const Reference ref =
      reference_mha(m, q.transpose(0, 1), kv.transpose(0, 1), kv.transpose(0, 1), blocked_fn);
  for (bool need_weights : {false, true}) {
    const MhaOutput r = m.forward(q, kv, kv, {.need_weights = need_weights, .attn_mask = blocked});
    EXPECT_TRUE(all_close(r.output.transpose(0, 1), {n, l, 8}, ref.out, 1e-10, 1e-12))
        << need_weights;
  }
  // A float mask is added to the scores.
  const Tensor bias = random64({l, s}, 9);
  const std::vector<double> bias_values = values_of(bias);
  const Reference ref_float =
      reference_mha(m, q.transpose(0, 1), kv.transpose(0, 1), kv.transpose(0, 1),
                    [&](auto, auto, auto i, auto j) { return bias_values[i * s + j]; });
  EXPECT_TRUE(all_close(m.forward(q, kv, kv, {.attn_mask = bias}).output.transpose(0, 1), {n, l, 8},
                        ref_float.out, 1e-10, 1e-12));
  // (N·H, L, S): mask index b·H + h, as torch lays it out.
  const Tensor per_head = random64({n * h, l, s}, 10);
  const std::vector<double> ph = values_of(per_head);
  const Reference ref_3d = reference_mha(
      m, q.transpose(0, 1), kv.transpose(0, 1), kv.transpose(0, 1),
      [&](auto b, auto hi, auto i, auto j) { return ph[((b * h + hi) * l + i) * s + j]; });
  for (bool need_weights : {false, true}) {
    const MhaOutput r = m.forward(q, kv, kv, {.need_weights = need_weights, .attn_mask = per_head});
    EXPECT_TRUE(all_close(r.output.transpose(0, 1), {n, l, 8}, ref_3d.out, 1e-10, 1e-12))
        << need_weights;
  }
}

TEST(MultiheadAttention, KeyPaddingMaskTrueMeansIgnore) {
  MultiheadAttention m = make_mha(8, 2, {.batch_first = true});
  const std::int64_t n = 2, l = 3, s = 5;
  const Tensor q = random64({n, l, 8}, 11), kv = random64({n, s, 8}, 12);
  // Sample 0 pads its last two keys, sample 1 its first one.
  const Tensor padding =
      tensor({{false, false, false, true, true}, {true, false, false, false, false}});
  const auto padded = [](std::int64_t b, std::int64_t j) { return b == 0 ? j >= 3 : j == 0; };
  const Reference ref = reference_mha(
      m, q, kv, kv, [&](auto b, auto, auto, auto j) { return padded(b, j) ? -kInf : 0.0; });
  const MhaOutput fused = m.forward(q, kv, kv, {.key_padding_mask = padding});
  EXPECT_TRUE(all_close(fused.output, {n, l, 8}, ref.out, 1e-10, 1e-12));
  const MhaOutput r = m.forward(q, kv, kv, {.key_padding_mask = padding, .need_weights = true});
  EXPECT_TRUE(all_close(r.output, {n, l, 8}, ref.out, 1e-10, 1e-12));
  // Padded keys get weight 0; every row sums to 1.
  const std::vector<double> w = values_of(r.weights);
  for (std::int64_t b = 0; b < n; ++b) {
    for (std::int64_t i = 0; i < l; ++i) {
      double total = 0;
      for (std::int64_t j = 0; j < s; ++j) {
        const double x = w[(b * l + i) * s + j];
        total += x;
        if (padded(b, j)) {
          EXPECT_EQ(x, 0.0) << b << "," << i << "," << j;
        }
      }
      EXPECT_NEAR(total, 1.0, 1e-12);
    }
  }
  // What a padded key holds cannot change the result.
  Tensor changed = kv.clone();
  {
    NoGradGuard no_grad;
    changed.select(0, 0).narrow(0, 3, 2).fill_(100.0);
  }
  EXPECT_TRUE(all_close(m.forward(q, changed, changed, {.key_padding_mask = padding}).output,
                        {n, l, 8}, values_of(fused.output), 1e-12, 1e-14));
  // A sample whose keys are all padding: the fused path gives 0 before out_proj (so its bias),
  // the explicit one NaN, as torch.
  const Tensor all_padded =
      tensor({{true, true, true, true, true}, {false, false, false, false, false}});
  EXPECT_TRUE(all_close(m.forward(q, kv, kv, {.key_padding_mask = all_padded}).output.select(0, 0),
                        {l, 8}, values_of(m.out_proj->bias.expand({l, 8})), 0, 0));
  EXPECT_TRUE(
      std::isnan(m.forward(q, kv, kv, {.key_padding_mask = all_padded, .need_weights = true})
                     .output.select(0, 0)
                     .sum()
                     .item<double>()));
  // With a bool attn_mask as well, both exclusions apply; a float padding mask adds.
  const Tensor blocked = tensor({{false, true, false, false, false},
                                 {false, false, true, false, false},
                                 {false, false, false, false, true}});
  const Reference both = reference_mha(m, q, kv, kv, [&](auto b, auto, auto i, auto j) {
    const bool attn_blocked = (i == 0 && j == 1) || (i == 1 && j == 2) || (i == 2 && j == 4);
    return padded(b, j) || attn_blocked ? -kInf : 0.0;
  });
  EXPECT_TRUE(
      all_close(m.forward(q, kv, kv, {.key_padding_mask = padding, .attn_mask = blocked}).output,
                {n, l, 8}, both.out, 1e-10, 1e-12));
  const Tensor float_padding = random64({n, s}, 13);
  const std::vector<double> fp = values_of(float_padding);
  const Reference ref_float =
      reference_mha(m, q, kv, kv, [&](auto b, auto, auto, auto j) { return fp[b * s + j]; });
  EXPECT_TRUE(all_close(m.forward(q, kv, kv, {.key_padding_mask = float_padding}).output, {n, l, 8},
                        ref_float.out, 1e-10, 1e-12));
}

TEST(MultiheadAttention, IsCausalAppliesTheCausalMask) {
  MultiheadAttention m = make_mha(8, 2, {.batch_first = true});
  const Tensor x = random64({2, 5, 8}, 14);
  const Reference ref =
      reference_mha(m, x, x, x, [](auto, auto, auto i, auto j) { return j > i ? -kInf : 0.0; });
  EXPECT_TRUE(
      all_close(m.forward(x, x, x, {.is_causal = true}).output, {2, 5, 8}, ref.out, 1e-10, 1e-12));
  const MhaOutput r = m.forward(x, x, x, {.need_weights = true, .is_causal = true});
  EXPECT_TRUE(all_close(r.output, {2, 5, 8}, ref.out, 1e-10, 1e-12));
  EXPECT_EQ(r.weights.select(0, 0).select(0, 0).select(0, 1).item<double>(),
            0.0);  // query 0 never sees key 1
  // With a key padding mask the causal rule joins it (the fused op's is_causal cannot).
  const Tensor padding =
      tensor({{false, false, false, false, true}, {false, false, false, false, false}});
  const Reference ref_padded = reference_mha(m, x, x, x, [](auto b, auto, auto i, auto j) {
    return j > i || (b == 0 && j == 4) ? -kInf : 0.0;
  });
  EXPECT_TRUE(all_close(m.forward(x, x, x, {.key_padding_mask = padding, .is_causal = true}).output,
                        {2, 5, 8}, ref_padded.out, 1e-10, 1e-12));
}

TEST(MultiheadAttention, NeedWeightsAveragesHeadsAndRowsSumToOne) {
  MultiheadAttention m = make_mha(12, 3);
  const Tensor q = random64({4, 2, 12}, 15), kv = random64({6, 2, 12}, 16);
  const MhaOutput averaged = m.forward(q, kv, kv, {.need_weights = true});
  const MhaOutput per_head =
      m.forward(q, kv, kv, {.need_weights = true, .average_attn_weights = false});
  EXPECT_EQ(averaged.weights.shape(), (Shape{2, 4, 6}));
  EXPECT_EQ(per_head.weights.shape(), (Shape{2, 3, 4, 6}));
  EXPECT_TRUE(all_close(averaged.weights.sum({-1}), {2, 4}, std::vector<double>(8, 1.0), 0, 1e-12));
  EXPECT_TRUE(
      all_close(per_head.weights.sum({-1}), {2, 3, 4}, std::vector<double>(24, 1.0), 0, 1e-12));
  EXPECT_TRUE(
      all_close(averaged.weights, {2, 4, 6}, values_of(per_head.weights.mean({1})), 1e-12, 1e-14));
  EXPECT_FALSE(m.forward(q, kv, kv).weights.defined());
}

TEST(MultiheadAttention, DropoutActsInTrainingModeOnly) {
  MultiheadAttention m = make_mha(8, 2, {.dropout = 0.5});
  const Tensor x = random64({4, 2, 8}, 17);
  const Tensor eval_out = [&] {
    m.eval();
    return m.forward(x);
  }();
  const Reference ref =
      reference_mha(m, x.transpose(0, 1), x.transpose(0, 1), x.transpose(0, 1), kNoMask);
  EXPECT_TRUE(all_close(eval_out.transpose(0, 1), {2, 4, 8}, ref.out, 1e-10, 1e-12));
  m.train();
  EXPECT_GT((m.forward(x) - eval_out).abs().max().item<double>(), 1e-3);
}

// --- gradients -----------------------------------------------------------------------------

TEST(MultiheadAttention, GradientsOfInputsAndParametersByCentralDifferences) {
  MultiheadAttention m = make_mha(4, 2);
  const Tensor padding = tensor({{false, false, true}, {false, false, false}});
  const Tensor blocked = tensor({{false, true, false}, {false, false, false}});
  // Cross-attention with both masks, on the fused path and the explicit one.
  for (bool need_weights : {false, true}) {
    const GradcheckResult r = gradcheck(
        [&](auto& x) {
          return m
              .forward(
                  x[0], x[1], x[2],
                  {.key_padding_mask = padding, .need_weights = need_weights, .attn_mask = blocked})
              .output;
        },
        {random64({2, 2, 4}, 18), random64({3, 2, 4}, 19), random64({3, 2, 4}, 20)});
    EXPECT_TRUE(r.ok) << need_weights << ": " << r.message;
  }
  // Self-attention (one handle: the packed projection), batch-first and causal.
  MultiheadAttention bf = make_mha(4, 2, {.batch_first = true});
  const GradcheckResult self =
      gradcheck([&](auto& x) { return bf.forward(x[0], x[0], x[0], {.is_causal = true}).output; },
                {random64({2, 3, 4}, 21)});
  EXPECT_TRUE(self.ok) << self.message;
  const Tensor q = random64({2, 2, 4}, 22), kv = random64({3, 2, 4}, 23),
               x = random64({3, 2, 4}, 24);
  EXPECT_TRUE(parameter_gradients_match(
      m, [&] { return m.forward(q, kv, kv, {.key_padding_mask = padding}).output; }));
  EXPECT_TRUE(parameter_gradients_match(m, [&] { return m.forward(x); }));
  MultiheadAttention unpacked = make_mha(4, 2, {.kdim = 3, .vdim = 5});
  const Tensor k3 = random64({3, 2, 3}, 25), v5 = random64({3, 2, 5}, 26);
  EXPECT_TRUE(
      parameter_gradients_match(unpacked, [&] { return unpacked.forward(q, k3, v5).output; }));
}

TEST(TransformerLayers, GradientsOfAnEncoderAndADecoderLayer) {
  for (bool norm_first : {false, true}) {
    TransformerEncoderLayer enc(4, 2,
                                {.dim_feedforward = 6, .dropout = 0.0, .norm_first = norm_first});
    enc.to(kFloat64);
    const GradcheckResult r =
        gradcheck([&](auto& x) { return enc.forward(x[0]); }, {random64({3, 2, 4}, 27)});
    EXPECT_TRUE(r.ok) << norm_first << ": " << r.message;
    const Tensor src = random64({3, 2, 4}, 28);
    const Tensor padding = tensor({{false, false, true}, {false, false, false}});
    EXPECT_TRUE(parameter_gradients_match(enc, [&] {
      return enc.forward(src, {.src_key_padding_mask = padding});
    })) << norm_first;
  }
  TransformerDecoderLayer dec(
      4, 2, {.dim_feedforward = 6, .dropout = 0.0, .activation = "gelu", .batch_first = true});
  dec.to(kFloat64);
  const GradcheckResult r =
      gradcheck([&](auto& x) { return dec.forward(x[0], x[1], {.tgt_is_causal = true}); },
                {random64({2, 3, 4}, 29), random64({2, 4, 4}, 30)});
  EXPECT_TRUE(r.ok) << r.message;
  const Tensor tgt = random64({2, 3, 4}, 31), memory = random64({2, 4, 4}, 32);
  EXPECT_TRUE(parameter_gradients_match(
      dec, [&] { return dec.forward(tgt, memory, {.tgt_is_causal = true}); }));
}

// --- the layers' formulas ------------------------------------------------------------------

/// A float64 layer with random LayerNorm affine parameters, so the norms are not the identity.
template <class Layer>
Layer make_layer(bool norm_first, const std::string& activation = "relu") {
  Layer layer(
      8, 2,
      {.dim_feedforward = 12, .dropout = 0.0, .activation = activation, .norm_first = norm_first});
  layer.to(kFloat64);
  NoGradGuard no_grad;
  for (auto& [name, p] : layer.named_parameters()) {
    if (name.starts_with("norm") || name.ends_with("bias")) init::uniform_(p, 0.5, 1.5);
  }
  return layer;
}

TEST(TransformerLayers, EncoderPostNormAndPreNormFollowTheirFormulas) {
  const Tensor x = random64({5, 2, 8}, 33);
  const Tensor mask = random64({5, 5}, 34);
  for (const std::string activation : {"relu", "gelu"}) {
    auto post = make_layer<TransformerEncoderLayer>(false, activation);
    auto pre = make_layer<TransformerEncoderLayer>(true, activation);
    pre.load_state_dict(post.state_dict());
    const auto act = [&](const Tensor& t) { return activation == "gelu" ? gelu(t) : relu(t); };
    const auto sa = [&](TransformerEncoderLayer& l, const Tensor& t) {
      return l.self_attn->forward(t, t, t, {.attn_mask = mask}).output;
    };
    const auto ff = [&](TransformerEncoderLayer& l, const Tensor& t) {
      return l.linear2->forward(act(l.linear1->forward(t)));
    };
    const Tensor y1 = post.norm1->forward(x + sa(post, x));
    const Tensor post_expected = post.norm2->forward(y1 + ff(post, y1));
    const Tensor z1 = x + sa(pre, pre.norm1->forward(x));
    const Tensor pre_expected = z1 + ff(pre, pre.norm2->forward(z1));
    const Tensor post_out = post.forward(x, {.src_mask = mask}),
                 pre_out = pre.forward(x, {.src_mask = mask});
    EXPECT_TRUE(all_close(post_out, {5, 2, 8}, values_of(post_expected), 1e-12, 1e-12))
        << activation;
    EXPECT_TRUE(all_close(pre_out, {5, 2, 8}, values_of(pre_expected), 1e-12, 1e-12)) << activation;
    EXPECT_GT((post_out - pre_out).abs().max().item<double>(), 0.1) << activation;
    // Post-norm ends in norm2: each position is normalised (then scaled by norm2's parameters).
    const Tensor normalised = (post_out - post.norm2->bias) / post.norm2->weight;
    EXPECT_TRUE(all_close(normalised.mean({-1}), {5, 2}, std::vector<double>(10, 0.0), 0, 1e-10));
  }
}

TEST(TransformerLayers, DecoderPostNormAndPreNormFollowTheirFormulas) {
  const Tensor x = random64({4, 2, 8}, 35), memory = random64({6, 2, 8}, 36);
  const Tensor memory_padding = tensor(
      {{false, false, false, false, true, true}, {false, false, false, false, false, false}});
  auto post = make_layer<TransformerDecoderLayer>(false);
  auto pre = make_layer<TransformerDecoderLayer>(true);
  pre.load_state_dict(post.state_dict());
  const DecoderLayerForwardOptions options{.memory_key_padding_mask = memory_padding,
                                           .tgt_is_causal = true};
  const auto sa = [&](TransformerDecoderLayer& l, const Tensor& t) {
    return l.self_attn->forward(t, t, t, {.is_causal = true}).output;
  };
  const auto mha = [&](TransformerDecoderLayer& l, const Tensor& t) {
    return l.multihead_attn->forward(t, memory, memory, {.key_padding_mask = memory_padding})
        .output;
  };
  const auto ff = [&](TransformerDecoderLayer& l, const Tensor& t) {
    return l.linear2->forward(relu(l.linear1->forward(t)));
  };
  Tensor y = post.norm1->forward(x + sa(post, x));
  y = post.norm2->forward(y + mha(post, y));
  const Tensor post_expected = post.norm3->forward(y + ff(post, y));
  Tensor z = x + sa(pre, pre.norm1->forward(x));
  z = z + mha(pre, pre.norm2->forward(z));
  const Tensor pre_expected = z + ff(pre, pre.norm3->forward(z));
  const Tensor post_out = post.forward(x, memory, options),
               pre_out = pre.forward(x, memory, options);
  EXPECT_TRUE(all_close(post_out, {4, 2, 8}, values_of(post_expected), 1e-12, 1e-12));
  EXPECT_TRUE(all_close(pre_out, {4, 2, 8}, values_of(pre_expected), 1e-12, 1e-12));
  EXPECT_GT((post_out - pre_out).abs().max().item<double>(), 0.1);
  // The causal self-attention: target position 0 does not depend on later target positions.
  Tensor later = x.clone();
  {
    NoGradGuard no_grad;
    later.narrow(0, 1, 3).fill_(5.0);
  }
  EXPECT_TRUE(all_close(post.forward(later, memory, options).select(0, 0), {2, 8},
                        values_of(post_out.select(0, 0)), 1e-12, 1e-12));
}

// --- devices -------------------------------------------------------------------------------

using AttentionLayersOnDevice = testing::DeviceTest;

TEST_P(AttentionLayersOnDevice, EncoderAndDecoderMatchTheCpu) {
  TransformerEncoderLayer enc(8, 2, {.dim_feedforward = 16, .dropout = 0.0, .batch_first = true});
  TransformerDecoderLayer dec(8, 2, {.dim_feedforward = 16, .dropout = 0.0, .norm_first = true});
  const Tensor src = random64({2, 5, 8}, 37).to(kFloat32),
               tgt = random64({3, 2, 8}, 38).to(kFloat32);
  const Tensor padding =
      tensor({{false, false, false, true, true}, {false, false, false, false, false}});
  const Tensor cpu_memory = enc.forward(src, {.src_key_padding_mask = padding});
  const Tensor cpu_out = dec.forward(tgt, cpu_memory.transpose(0, 1), {.tgt_is_causal = true});
  enc.to(device());
  dec.to(device());
  const Tensor memory =
      enc.forward(src.to(device()), {.src_key_padding_mask = padding.to(device())});
  const Tensor out = dec.forward(tgt.to(device()), memory.transpose(0, 1), {.tgt_is_causal = true});
  EXPECT_TRUE(all_close(out, {3, 2, 8}, values_of(cpu_out), 1e-3, 1e-3));
}

INSTANTIATE_TEST_SUITE_P(Devices, AttentionLayersOnDevice,
                         ::testing::ValuesIn(testing::test_devices()), testing::device_name);

// --- bad input -----------------------------------------------------------------------------

TEST(MultiheadAttention, BadInputIsRejectedWithAClearMessage) {
  IGNIS_EXPECT_THROW_MSG(MultiheadAttention(10, 3), ValueError, "embed_dim (10)", "num_heads (3)",
                         "divisible");
  IGNIS_EXPECT_THROW_MSG(MultiheadAttention(8, 2, {.dropout = 1.5}), ValueError, "dropout", "1.5");
  MultiheadAttention m(8, 2);
  const Tensor q = randn({4, 2, 8}), kv = randn({6, 2, 8});
  IGNIS_EXPECT_THROW_MSG(m.forward(randn({4, 2, 2, 8})), ShapeError, "[multiheadattention]",
                         "(L, N, E)", "(4, 2, 2, 8)");
  IGNIS_EXPECT_THROW_MSG(m.forward(q, randn({6, 8}), randn({6, 8})), ShapeError, "all be batched",
                         "(6, 8)");
  IGNIS_EXPECT_THROW_MSG(m.forward(q, randn({6, 3, 8}), randn({6, 3, 8})), ShapeError,
                         "same batch size", "(6, 3, 8)");
  IGNIS_EXPECT_THROW_MSG(m.forward(q, kv, randn({5, 2, 8})), ShapeError, "same length S",
                         "(5, 2, 8)");
  IGNIS_EXPECT_THROW_MSG(m.forward(randn({4, 2, 7})), ShapeError, "E=8", "(4, 2, 7)");
  IGNIS_EXPECT_THROW_MSG(
      m.forward(q, kv, kv, {.key_padding_mask = zeros({2, 5}, {.dtype = kBool})}), ShapeError,
      "key_padding_mask", "(N, S) = (2, 6)", "(2, 5)");
  IGNIS_EXPECT_THROW_MSG(m.forward(q, kv, kv, {.attn_mask = zeros({4, 5}, {.dtype = kBool})}),
                         ShapeError, "attn_mask", "(L, S) = (4, 6)",
                         "(N·num_heads, L, S) = (4, 4, 6)", "(4, 5)");
  IGNIS_EXPECT_THROW_MSG(m.forward(q, kv, kv, {.attn_mask = zeros({4, 6}, {.dtype = kInt64})}),
                         DTypeError, "attn_mask", "float32", "int64");
  IGNIS_EXPECT_THROW_MSG(
      m.forward(q, kv, kv, {.key_padding_mask = zeros({2, 6}, {.dtype = kFloat64})}), DTypeError,
      "key_padding_mask", "float64");
  IGNIS_EXPECT_THROW_MSG(m.forward(q.to(kFloat64)), DTypeError, "in_proj_weight is float32",
                         "float64");
}

TEST(TransformerLayers, BadInputIsRejectedWithAClearMessage) {
  IGNIS_EXPECT_THROW_MSG(TransformerEncoderLayer(8, 2, {.activation = "tanh"}), ValueError,
                         "\"relu\" or \"gelu\"", "\"tanh\"");
  IGNIS_EXPECT_THROW_MSG(TransformerDecoderLayer(9, 2), ValueError, "d_model (9)", "nhead (2)");
  TransformerDecoderLayer dec(8, 2, {.dim_feedforward = 16});
  IGNIS_EXPECT_THROW_MSG(dec.forward(randn({3, 2, 8})), ValueError, "needs the memory",
                         "forward(tgt, memory");
  // A mask error names the child it happened in.
  TransformerEncoderLayer enc(8, 2, {.dim_feedforward = 16});
  IGNIS_EXPECT_THROW_MSG(
      enc.forward(randn({3, 2, 8}), {.src_key_padding_mask = zeros({3, 2}, {.dtype = kBool})}),
      ShapeError, "[multiheadattention self_attn]", "key_padding_mask", "(3, 2)");
}

}  // namespace
}  // namespace ignis::nn
