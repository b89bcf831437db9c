// Fused scaled dot-product attention against the materialised math (softmax(scale·q kᵀ + mask) v
// through matmul and softmax, in float64 on the CPU, differentiated by autograd): shapes that
// cross the CPU's 64-row blocks, every rank, causal (also L != S), boolean and additive masks
// that broadcast, head-interleaved views, dropout (mask statistics, determinism, gradcheck),
// rows with nothing to attend to, argument errors. Device cases compare with the same reference.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "ignis/autograd/attention.hpp"
#include "ignis/autograd/gradcheck.hpp"
#include "ignis/autograd/linalg.hpp"
#include "ignis/autograd/operators.hpp"
#include "ignis/autograd/reduce.hpp"
#include "support/reference.hpp"

namespace ignis {
namespace {

using namespace testing;

/// softmax(scale · q kᵀ + mask) v with ordinary differentiable ops.
Tensor materialised_attention(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionOptions& options) {
  const double scale = options.scale.value_or(1.0 / std::sqrt(static_cast<double>(q.size(-1))));
  Tensor s = matmul(q, k.transpose(-2, -1)) * scale;
  const double minus_inf = -std::numeric_limits<double>::infinity();
  if (options.is_causal) {
    const Tensor rows = arange(q.size(-2), {.dtype = kInt64}).unsqueeze(1);
    const Tensor cols = arange(k.size(-2), {.dtype = kInt64}).unsqueeze(0);
    s = where((cols <= rows).to(s.device()), s, Scalar(minus_inf));
  }
  if (options.attn_mask) {
    s = options.attn_mask->dtype() == kBool ? where(*options.attn_mask, s, Scalar(minus_inf)) : s + *options.attn_mask;
  }
  return matmul(softmax(s, -1), v);
}

struct AttentionCase {
  const char* name;
  Shape q, k, v;
  bool causal = false;
  enum Mask { kNone, kBoolRows, kBoolKeys, kAdditive } mask = kNone;
  std::optional<double> scale;
};

void PrintTo(const AttentionCase& c, std::ostream* os) { *os << c.name; }

const AttentionCase kCases[] = {
    {"one_head", {5, 4}, {7, 4}, {7, 6}},
    {"batched_3d", {3, 9, 8}, {3, 11, 8}, {3, 11, 5}},
    {"heads_4d", {2, 3, 5, 4}, {2, 3, 7, 4}, {2, 3, 7, 4}},
    {"rank_5", {2, 2, 2, 3, 4}, {2, 2, 2, 5, 4}, {2, 2, 2, 5, 3}},
    {"across_blocks", {1, 2, 70, 8}, {1, 2, 130, 8}, {1, 2, 130, 8}},
    {"causal_square", {2, 2, 67, 8}, {2, 2, 67, 8}, {2, 2, 67, 8}, true},
    {"causal_more_keys", {1, 2, 9, 4}, {1, 2, 13, 4}, {1, 2, 13, 4}, true},
    {"bool_mask_rows", {2, 2, 6, 4}, {2, 2, 9, 4}, {2, 2, 9, 4}, false, AttentionCase::kBoolRows},
    {"bool_mask_keys", {2, 3, 6, 4}, {2, 3, 9, 4}, {2, 3, 9, 4}, false, AttentionCase::kBoolKeys},
    {"additive_mask", {2, 2, 66, 4}, {2, 2, 70, 4}, {2, 2, 70, 3}, false, AttentionCase::kAdditive},
    {"given_scale", {2, 5, 4}, {2, 6, 4}, {2, 6, 4}, false, AttentionCase::kNone, 0.3},
};

/// The case's options; masks leave every query row at least one key.
AttentionOptions options_for(const AttentionCase& c, DType dtype, Device device) {
  AttentionOptions o{.is_causal = c.causal, .scale = c.scale};
  const std::int64_t l = c.q[c.q.size() - 2], s = c.k[c.k.size() - 2];
  if (c.mask == AttentionCase::kBoolRows) {  // (L, S): about 70% of the keys, key 0 always
    Tensor keep = random_tensor({l, s}, kFloat32, Layout::kContiguous, 0, 1, 98) > 0.3;
    keep.narrow(-1, 0, 1).fill_(true);
    o.attn_mask = keep.to(device);
  } else if (c.mask == AttentionCase::kBoolKeys) {  // (B, 1, 1, S): padding at the end of batch 0
    Tensor keep = ones({c.q[0], 1, 1, s}, {.dtype = kBool});
    keep.select(0, 0).narrow(-1, s - 3, 3).fill_(false);
    o.attn_mask = keep.to(device);
  } else if (c.mask == AttentionCase::kAdditive) {  // (L, S) of the query's dtype
    o.attn_mask = random_tensor({l, s}, dtype, Layout::kContiguous, -2, 2, 99, device);
  }
  return o;
}

class AttentionReference : public ::testing::TestWithParam<std::tuple<AttentionCase, DType>> {};

TEST_P(AttentionReference, ForwardAndGradientsMatchTheMaterialisedMath) {
  const auto& [c, dtype] = GetParam();
  const Tensor q = random_tensor(c.q, dtype, Layout::kContiguous, -1, 1, 1).requires_grad_();
  const Tensor k = random_tensor(c.k, dtype, Layout::kTransposed, -1, 1, 2).requires_grad_();
  const Tensor v = random_tensor(c.v, dtype, Layout::kContiguous, -1, 1, 3).requires_grad_();
  const AttentionOptions options = options_for(c, dtype, Device::cpu());
  const Tensor out = scaled_dot_product_attention(q, k, v, options);
  const Tensor grad = random_tensor(out.shape(), dtype, Layout::kContiguous, -1, 1, 4);
  out.backward(grad);

  const Tensor q64 = q.detach().to(kFloat64).requires_grad_(), k64 = k.detach().to(kFloat64).requires_grad_();
  const Tensor v64 = v.detach().to(kFloat64).requires_grad_();
  AttentionOptions options64 = options;
  if (options.attn_mask && options.attn_mask->dtype() != kBool) options64.attn_mask = options.attn_mask->to(kFloat64);
  const Tensor expected = materialised_attention(q64, k64, v64, options64);
  expected.backward(grad.to(kFloat64));

  const double tol = dtype == kFloat64 ? 1e-12 : 2e-5;
  EXPECT_TRUE(all_close(out, expected.shape(), values_of(expected), tol, tol));
  EXPECT_TRUE(all_close(q.grad(), c.q, values_of(q64.grad()), tol, tol)) << "dq";
  EXPECT_TRUE(all_close(k.grad(), c.k, values_of(k64.grad()), tol, tol)) << "dk";
  EXPECT_TRUE(all_close(v.grad(), c.v, values_of(v64.grad()), tol, tol)) << "dv";
}

INSTANTIATE_TEST_SUITE_P(Cases, AttentionReference, ::testing::Combine(::testing::ValuesIn(kCases),
                                                                       ::testing::Values(kFloat32, kFloat64)),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param).name) + "_" +
                                  std::string(name(std::get<1>(info.param)));
                         });

TEST(Attention, PassesGradcheckWithCausalMaskingAndDropout) {
  const Tensor q = random_tensor({1, 2, 5, 3}, kFloat64, Layout::kContiguous, -1, 1, 5);
  const Tensor k = random_tensor({1, 2, 6, 3}, kFloat64, Layout::kContiguous, -1, 1, 6);
  const Tensor v = random_tensor({1, 2, 6, 2}, kFloat64, Layout::kContiguous, -1, 1, 7);
  for (const double dropout : {0.0, 0.3}) {
    const auto f = [dropout](const std::vector<Tensor>& in) {
      Generator generator(11);  // the same dropout mask at every evaluation
      return scaled_dot_product_attention(in[0], in[1], in[2],
                                          {.dropout_p = dropout, .is_causal = true, .generator = &generator});
    };
    const GradcheckResult result = gradcheck(f, {q, k, v});
    EXPECT_TRUE(result.ok) << "dropout " << dropout << ": " << result.message;
  }
}

TEST(Attention, HeadInterleavedViewsGiveTheSameResultAndTheHeadMergeIsFree) {
  // nanoGPT's layout: one (B, L, 3·H·E) projection split into q, k, v, each viewed (B, L, H, E)
  // and transposed to (B, H, L, E).
  const std::int64_t b = 2, l = 9, h = 3, e = 4;
  const Tensor qkv = random_tensor({b, l, 3 * h * e}, kFloat32, Layout::kContiguous, -1, 1, 8);
  const auto head_view = [&](int part) {
    return qkv.narrow(2, part * h * e, h * e).view({b, l, h, e}).transpose(1, 2);
  };
  const Tensor q = head_view(0), k = head_view(1), v = head_view(2);
  ASSERT_FALSE(q.is_contiguous());
  const Tensor out = ops::scaled_dot_product_attention(q, k, v, {.is_causal = true});
  const Tensor expected =
      ops::scaled_dot_product_attention(q.contiguous(), k.contiguous(), v.contiguous(), {.is_causal = true});
  EXPECT_TRUE(all_close(out, expected.shape(), values_of(expected), 0, 0));
  EXPECT_TRUE(out.transpose(1, 2).is_contiguous());
}

TEST(Attention, DropoutDropsAboutPAndScalesTheRestAndRepeatsForASeed) {
  // With v the identity, out is the dropped-out probability matrix itself.
  const std::int64_t n = 64;
  const Tensor q = random_tensor({4, n, 8}, kFloat32, Layout::kContiguous, -1, 1, 9);
  const Tensor k = random_tensor({4, n, 8}, kFloat32, Layout::kContiguous, -1, 1, 10);
  const Tensor v = eye(n).unsqueeze(0).expand({4, n, n});
  const double p = 0.25;
  Generator g1(5), g2(5);
  const Tensor dropped = ops::scaled_dot_product_attention(q, k, v, {.dropout_p = p, .generator = &g1});
  const Tensor again = ops::scaled_dot_product_attention(q, k, v, {.dropout_p = p, .generator = &g2});
  const Tensor plain = ops::scaled_dot_product_attention(q, k, v);
  EXPECT_TRUE(all_close(again, dropped.shape(), values_of(dropped), 0, 0));
  const auto d = values_of(dropped), w = values_of(plain);
  std::int64_t zeros = 0;
  for (std::size_t i = 0; i < d.size(); ++i) {
    if (d[i] == 0) {
      ++zeros;
    } else {
      EXPECT_NEAR(d[i], w[i] / (1 - p), 1e-6);
    }
  }
  const double fraction = static_cast<double>(zeros) / static_cast<double>(d.size());
  EXPECT_NEAR(fraction, p, 0.02);  // 16,384 draws: the standard deviation is 0.0034
  // The next call draws a different mask.
  const Tensor next = ops::scaled_dot_product_attention(q, k, v, {.dropout_p = p, .generator = &g1});
  EXPECT_FALSE(all_close(next, dropped.shape(), values_of(dropped), 0, 0));
}

TEST(Attention, ARowWithNothingToAttendToIsZeroAndHasZeroGradients) {
  const Tensor q = random_tensor({1, 3, 4}, kFloat64, Layout::kContiguous, -1, 1, 12).requires_grad_();
  const Tensor k = random_tensor({1, 5, 4}, kFloat64, Layout::kContiguous, -1, 1, 13).requires_grad_();
  const Tensor v = random_tensor({1, 5, 2}, kFloat64, Layout::kContiguous, -1, 1, 14).requires_grad_();
  Tensor mask = ones({3, 5}, {.dtype = kBool});
  mask.select(0, 1).fill_(false);  // query 1 sees nothing
  const Tensor out = scaled_dot_product_attention(q, k, v, {.attn_mask = mask});
  out.sum().backward();
  const auto o = values_of(out.select(1, 1));
  EXPECT_EQ(o, std::vector<double>(2, 0.0));
  EXPECT_EQ(values_of(q.grad().select(1, 1)), std::vector<double>(4, 0.0));
  for (const double g : values_of(k.grad())) EXPECT_TRUE(std::isfinite(g));
  // No key at all: every row is zero.
  const Tensor none = ops::scaled_dot_product_attention(q.detach(), k.detach().narrow(1, 0, 0), v.detach().narrow(1, 0, 0));
  EXPECT_EQ(values_of(none), std::vector<double>(6, 0.0));
}

TEST(Attention, BadArgumentsAreTypedErrorsThatSayWhatToDo) {
  const Tensor q = randn({2, 3, 4}), k = randn({2, 5, 4}), v = randn({2, 5, 6});
  IGNIS_EXPECT_THROW_MSG(ops::scaled_dot_product_attention(q, randn({2, 5, 3}), v), ShapeError, "embedding size E");
  IGNIS_EXPECT_THROW_MSG(ops::scaled_dot_product_attention(q, k, randn({2, 4, 6})), ShapeError, "length S");
  IGNIS_EXPECT_THROW_MSG(ops::scaled_dot_product_attention(q, randn({3, 5, 4}), randn({3, 5, 6})), ShapeError,
                         "leading");
  IGNIS_EXPECT_THROW_MSG(ops::scaled_dot_product_attention(q, k.to(kFloat64), v), DTypeError, "share a dtype");
  IGNIS_EXPECT_THROW_MSG(ops::scaled_dot_product_attention(q.to(kInt64), k.to(kInt64), v.to(kInt64)), DTypeError,
                         "float32 or float64");
  IGNIS_EXPECT_THROW_MSG(ops::scaled_dot_product_attention(q, k, v, {.dropout_p = 1.0}), ValueError, "[0, 1)");
  IGNIS_EXPECT_THROW_MSG(
      ops::scaled_dot_product_attention(q, k, v, {.attn_mask = ones({3, 5}, {.dtype = kBool}), .is_causal = true}),
      ValueError, "not both");
  IGNIS_EXPECT_THROW_MSG(ops::scaled_dot_product_attention(q, k, v, {.attn_mask = ones({3, 4}, {.dtype = kBool})}),
                         ShapeError, "does not broadcast");
  IGNIS_EXPECT_THROW_MSG(ops::scaled_dot_product_attention(q, k, v, {.attn_mask = ones({3, 5}, {.dtype = kInt64})}),
                         DTypeError, "attn_mask must be bool");
}

class AttentionDevice : public DeviceTest {};

TEST_P(AttentionDevice, ForwardAndGradientsAgreeWithTheCpu) {
  for (const AttentionCase& c : kCases) {
    for (const DType dtype : {kFloat32, kFloat64}) {
      SCOPED_TRACE(std::string(c.name) + " " + std::string(name(dtype)));
      const Tensor q = random_tensor(c.q, dtype, Layout::kContiguous, -1, 1, 21);
      const Tensor k = random_tensor(c.k, dtype, Layout::kContiguous, -1, 1, 22);
      const Tensor v = random_tensor(c.v, dtype, Layout::kContiguous, -1, 1, 23);
      const AttentionOptions on_cpu = options_for(c, dtype, Device::cpu());
      const ops::AttentionForward cpu = ops::scaled_dot_product_attention_forward(q, k, v, on_cpu);
      const Tensor grad = random_tensor(cpu.out.shape(), dtype, Layout::kContiguous, -1, 1, 24);
      const ops::AttentionGrads cpu_grads = ops::scaled_dot_product_attention_backward(grad, q, k, v, cpu, on_cpu);

      const Tensor dq = q.to(device()), dk = k.to(device()), dv = v.to(device());
      const AttentionOptions on_device = options_for(c, dtype, device());
      const ops::AttentionForward dev = ops::scaled_dot_product_attention_forward(dq, dk, dv, on_device);
      const ops::AttentionGrads dev_grads =
          ops::scaled_dot_product_attention_backward(grad.to(device()), dq, dk, dv, dev, on_device);
      const double tol = dtype == kFloat64 ? 1e-12 : 2e-5;
      EXPECT_EQ(dev.out.device(), device());
      EXPECT_TRUE(all_close(dev.out, cpu.out.shape(), values_of(cpu.out), tol, tol)) << "out";
      EXPECT_TRUE(all_close(dev.lse, cpu.lse.shape(), values_of(cpu.lse), tol, tol)) << "lse";
      EXPECT_TRUE(all_close(dev_grads.q, c.q, values_of(cpu_grads.q), tol, tol)) << "dq";
      EXPECT_TRUE(all_close(dev_grads.k, c.k, values_of(cpu_grads.k), tol, tol)) << "dk";
      EXPECT_TRUE(all_close(dev_grads.v, c.v, values_of(cpu_grads.v), tol, tol)) << "dv";
    }
  }
}

TEST_P(AttentionDevice, DropoutDrawsTheSameMaskAsTheCpu) {
  const Tensor q = random_tensor({2, 2, 7, 4}, kFloat32, Layout::kContiguous, -1, 1, 31);
  const Tensor k = random_tensor({2, 2, 9, 4}, kFloat32, Layout::kContiguous, -1, 1, 32);
  const Tensor v = random_tensor({2, 2, 9, 4}, kFloat32, Layout::kContiguous, -1, 1, 33);
  Generator g_cpu(3), g_dev(3);
  const Tensor cpu = ops::scaled_dot_product_attention(q, k, v, {.dropout_p = 0.4, .generator = &g_cpu});
  const Tensor dev = ops::scaled_dot_product_attention(q.to(device()), k.to(device()), v.to(device()),
                                                       {.dropout_p = 0.4, .generator = &g_dev});
  EXPECT_TRUE(all_close(dev, cpu.shape(), values_of(cpu), 2e-5, 2e-5));
}

INSTANTIATE_TEST_SUITE_P(Devices, AttentionDevice, ::testing::ValuesIn(test_devices()), device_name);

}  // namespace
}  // namespace ignis
