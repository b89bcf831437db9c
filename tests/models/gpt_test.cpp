// models::GPT: nanoGPT's parameter names and shapes, the tied embedding (one tensor, one
// gradient, two state-dict keys), initialisation, generation (greedy = argmax, seeded sampling
// repeats, top-k keeps to the k best), errors, and that it learns a sequence by heart. Its
// agreement with PyTorch is tests/python/gpt_crosscheck.py (ctest GptMatchesNanoGptInPyTorch).
#include "ignis/models/gpt.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "ignis/ignis.hpp"
#include "support/reference.hpp"

namespace ignis {
namespace {

using models::GPT;
using models::GptConfig;

const GptConfig kSmall{.block_size = 8, .vocab_size = 11, .n_layer = 2, .n_head = 2, .n_embd = 8};

TEST(Gpt, HasNanoGptsParameterNamesAndShapes) {
  GPT model(kSmall);
  std::vector<std::pair<std::string, Shape>> keys;
  for (const auto& [name, t] : model.state_dict()) keys.emplace_back(name, t.shape());
  std::vector<std::pair<std::string, Shape>> expected{{"transformer.wte.weight", {11, 8}},
                                                      {"transformer.wpe.weight", {8, 8}}};
  for (int i = 0; i < 2; ++i) {
    const std::string h = "transformer.h." + std::to_string(i) + ".";
    for (const auto& [name, shape] : std::vector<std::pair<std::string, Shape>>{
             {"ln_1.weight", {8}}, {"ln_1.bias", {8}}, {"attn.c_attn.weight", {24, 8}}, {"attn.c_attn.bias", {24}},
             {"attn.c_proj.weight", {8, 8}}, {"attn.c_proj.bias", {8}}, {"ln_2.weight", {8}}, {"ln_2.bias", {8}},
             {"mlp.c_fc.weight", {32, 8}}, {"mlp.c_fc.bias", {32}}, {"mlp.c_proj.weight", {8, 32}},
             {"mlp.c_proj.bias", {8}}}) {
      expected.emplace_back(h + name, shape);
    }
  }
  expected.emplace_back("transformer.ln_f.weight", Shape{8});
  expected.emplace_back("transformer.ln_f.bias", Shape{8});
  expected.emplace_back("lm_head.weight", Shape{11, 8});
  EXPECT_EQ(keys, expected);
}

TEST(Gpt, TheTiedEmbeddingIsOneTensorWithOneGradient) {
  GPT model(kSmall);
  const auto named = model.named_parameters();
  EXPECT_EQ(named.size(), model.state_dict().size() - 1);  // lm_head.weight only in the state dict
  EXPECT_TRUE(model.lm_head->named_parameters().front().second.is_same(model.transformer->wte->weight));
  // nanoGPT's get_num_params(): 2 blocks of 12·C² + 13·C, embeddings, final norm; wpe left out.
  const std::int64_t c = 8;
  EXPECT_EQ(model.parameter_count(), 2 * (12 * c * c + 13 * c) + 11 * c + 8 * c + 2 * c);
  EXPECT_EQ(model.non_embedding_parameter_count(), model.parameter_count() - 8 * c);

  const Tensor idx = randint(0, 11, {2, 5}, {.dtype = kInt64});
  model.loss(idx, randint(0, 11, {2, 5}, {.dtype = kInt64})).backward();
  const Tensor g = model.transformer->wte->weight.grad();
  ASSERT_TRUE(g.defined());
  // The head's share reaches every row of the table, also tokens absent from the input.
  std::set<std::int64_t> present;
  for (double v : testing::values_of(idx)) present.insert(static_cast<std::int64_t>(v));
  for (std::int64_t row = 0; row < 11; ++row) {
    if (present.count(row) != 0) continue;
    EXPECT_GT(testing::values_of(g.select(0, row).abs().sum())[0], 0.0) << "row " << row;
  }
}

TEST(Gpt, InitialisesAsNanoGpt) {
  const GptConfig config{.block_size = 64, .vocab_size = 256, .n_layer = 4, .n_head = 4, .n_embd = 64};
  GPT model(config);
  for (const auto& [name, p] : model.named_parameters()) {
    const std::vector<double> v = testing::values_of(p);
    double sum = 0, squares = 0;
    for (double x : v) {
      sum += x;
      squares += x * x;
    }
    const double mean = sum / static_cast<double>(v.size());
    const double std = std::sqrt(squares / static_cast<double>(v.size()) - mean * mean);
    if (name.find(".ln_") != std::string::npos || name.starts_with("transformer.ln_f")) {
      EXPECT_EQ(mean, name.ends_with("weight") ? 1.0 : 0.0) << name;
    } else if (name.ends_with(".bias")) {
      EXPECT_EQ(squares, 0.0) << name;
    } else {
      const double expected = name.ends_with("c_proj.weight") ? 0.02 / std::sqrt(8.0) : 0.02;
      EXPECT_NEAR(std, expected, expected * 0.1) << name;
    }
  }
}

TEST(Gpt, GreedyGenerationIsTheArgmaxAndSamplingRepeatsForASeed) {
  GPT model(kSmall);
  const Tensor prompt = tensor({{1, 2, 3}});
  const Tensor greedy = model.generate(prompt, {.max_new_tokens = 10, .top_k = 1});
  ASSERT_EQ(greedy.shape(), Shape({1, 13}));
  // Each new token is the argmax of the logits at the end of the context before it (cropped to
  // the block size once it is longer).
  for (std::int64_t t = 3; t < 13; ++t) {
    const std::int64_t start = std::max<std::int64_t>(0, t - kSmall.block_size);
    const Tensor context = greedy.narrow(1, start, t - start);
    NoGradGuard no_grad;
    const Tensor logits = model.forward(context).select(1, -1);
    EXPECT_EQ(logits.argmax().item().to_double(), testing::values_of(greedy)[static_cast<std::size_t>(t)]) << t;
  }
  Generator a(5), b(5);
  const Tensor first = model.generate(tensor({{4}, {5}}), {.max_new_tokens = 12, .generator = &a});
  const Tensor second = model.generate(tensor({{4}, {5}}), {.max_new_tokens = 12, .generator = &b});
  EXPECT_EQ(testing::values_of(first), testing::values_of(second));
  EXPECT_TRUE(model.is_training()) << "generate restores the mode";
}

TEST(Gpt, BadConfigurationsAndInputsAreTypedErrors) {
  IGNIS_EXPECT_THROW_MSG(GPT({.n_head = 3, .n_embd = 8}), ValueError, "multiple of n_head");
  IGNIS_EXPECT_THROW_MSG(GPT({.n_layer = 0}), ValueError, "n_layer");
  GPT model(kSmall);
  IGNIS_EXPECT_THROW_MSG(model.forward(zeros({1, 9}, {.dtype = kInt64})), ShapeError, "longer than the block size");
  IGNIS_EXPECT_THROW_MSG(model.forward(zeros({1, 4})), ShapeError, "int64");
  IGNIS_EXPECT_THROW_MSG(model.generate(tensor({{1}}), {.temperature = 0}), ValueError, "temperature");
}

TEST(Gpt, LearnsASequenceByHeart) {
  manual_seed(3);
  GPT model({.block_size = 8, .vocab_size = 11, .n_layer = 1, .n_head = 2, .n_embd = 16});
  const Tensor seq = tensor({{3, 1, 4, 1, 5, 9, 2, 6, 5}});
  const Tensor idx = seq.narrow(1, 0, 8), targets = seq.narrow(1, 1, 8);
  optim::AdamW optimizer(optim::weight_decay_groups(model.named_parameters(), 0.0), {.lr = 1e-2});
  double first = 0, last = 0;
  for (int step = 0; step < 150; ++step) {
    optimizer.zero_grad();
    const Tensor loss = model.loss(idx, targets);
    loss.backward();
    optimizer.step();
    (step == 0 ? first : last) = loss.item().to_double();
  }
  EXPECT_GT(first, 2.0);  // about ln 11 = 2.4 at the start
  EXPECT_LT(last, 0.05);
  const Tensor out = model.generate(seq.narrow(1, 0, 1), {.max_new_tokens = 8, .top_k = 1});
  EXPECT_EQ(testing::values_of(out), testing::values_of(seq));
}

}  // namespace
}  // namespace ignis
