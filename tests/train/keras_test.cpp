// The Keras facade and the fit loop: outcomes on known problems, validation split, seeded
// shuffling, callbacks, summaries, devices.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/reference.hpp"

namespace ignis::keras {
namespace {

TEST(Keras, FitLowersTheLossOnAKnownProblem) {
  clear_session();
  manual_seed(0);
  const Tensor x = randn({512, 4});
  const Tensor y = matmul(x, tensor({{1.0}, {-2.0}, {0.5}, {3.0}})) + 1.0;
  Sequential model({Dense(32, "relu"), Dense(1)});
  model.compile({.optimizer = "adam", .loss = "mse", .metrics = {"mae"}, .learning_rate = 0.01});
  std::ostringstream out;
  const History h = model.fit(x, y, {.epochs = 30, .verbose = train::Verbosity::kSilent});
  EXPECT_EQ(h.epochs(), 30);
  EXPECT_LT(h["loss"].back(), 0.05);
  EXPECT_LT(h["loss"].back(), h["loss"].front() / 50);
  EXPECT_LT(*train::find(model.evaluate(x, y), "mae"), 0.2);
  EXPECT_EQ(model.predict(x).shape(), (Shape{512, 1}));
}

// Under a CPU budget: the largest batch found by find_max_batch_size fits; twice that runs out of
// memory, which fit handles with micro-batches by default and reports with on_out_of_memory = kThrow.
TEST(Keras, FitUnderABudgetMicroBatchesOrThrowsAsAsked) {
  clear_session();
  manual_seed(0);
  const Tensor x = randn({512, 16});
  const Tensor y = randint(0, 4, {512});
  Sequential model({Dense(1024, "relu"), Dense(4)});
  model.compile({.optimizer = "sgd", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
  model.build({16});
  empty_cpu_cache();
  struct Budget {
    explicit Budget(std::size_t bytes) { set_memory_limit(Device::cpu(), bytes); }
    ~Budget() { set_memory_limit(Device::cpu(), 0); }
  } budget(cpu_memory_stats().allocated_bytes + (std::size_t{1} << 20));
  const train::BatchSizeSearchResult found = model.find_max_batch_size(x, y);
  ASSERT_GT(found.batch_size, 1);
  ASSERT_LT(2 * found.batch_size, 512);
  EXPECT_EQ(found.first_failing, found.batch_size + 1);
  try {
    model.fit(x, y, {.batch_size = 2 * found.batch_size, .verbose = train::Verbosity::kSilent,
                     .on_out_of_memory = train::OnOutOfMemory::kThrow});
    ADD_FAILURE() << "expected OutOfMemoryError with kThrow";
  } catch (const OutOfMemoryError& e) {
    ASSERT_NE(e.report(), nullptr);
    EXPECT_EQ(e.report()->batch_size, 2 * found.batch_size);
  }
  EXPECT_EQ(model.optimizer()->step_count(), 0);  // the failed step applied nothing
  const History h = model.fit(x, y, {.batch_size = 2 * found.batch_size, .verbose = train::Verbosity::kSilent});
  EXPECT_GT(h.micro_batch_size, 0);
  EXPECT_LE(h.micro_batch_size, found.batch_size);
  EXPECT_EQ(model.optimizer()->step_count(), (512 + 2 * found.batch_size - 1) / (2 * found.batch_size));
  EXPECT_TRUE(std::isfinite(h["loss"].back()));
}

/// A model that predicts 0 and never learns (learning rate 0), so every loss is mean(y²) of its
/// samples.
Sequential frozen_zero_model() {
  Sequential model({Input({1}), Dense(1, "", /*use_bias=*/false)});
  NoGradGuard g;
  model.module().parameters()[0].fill_(0);
  model.compile({.optimizer = "sgd", .loss = "mse", .learning_rate = 0.0});
  return model;
}

TEST(Keras, ValidationSplitHoldsOutTheLastSamples) {
  Sequential model = frozen_zero_model();
  const Tensor x = zeros({8, 1});
  const Tensor y = tensor({{1.0}, {1.0}, {1.0}, {1.0}, {1.0}, {1.0}, {3.0}, {5.0}});
  const History h = model.fit(x, y, {.epochs = 1, .batch_size = 4, .validation_split = 0.25, .verbose = train::Verbosity::kSilent});
  EXPECT_NEAR(h["loss"][0], 1.0, 1e-6);             // only the first six samples
  EXPECT_NEAR(h["val_loss"][0], (9.0 + 25.0) / 2, 1e-5);  // the last two
}

TEST(Keras, ShuffleIsSeededAndReproducible) {
  auto run = [](std::uint64_t seed) {
    clear_session();
    manual_seed(1);
    const Tensor x = randn({64, 3}), y = randn({64, 1});
    Sequential model({Dense(8, "tanh"), Dense(1)});
    model.compile({.optimizer = "sgd", .loss = "mse"});
    return model.fit(x, y, {.epochs = 3, .batch_size = 8, .verbose = train::Verbosity::kSilent, .seed = seed})["loss"];
  };
  EXPECT_EQ(run(5), run(5));
  EXPECT_NE(run(5), run(6));
}

TEST(Callbacks, EarlyStoppingStopsAfterPatienceEpochsWithoutImprovement) {
  Sequential model = frozen_zero_model();
  auto stopper = std::make_shared<train::EarlyStopping>(train::EarlyStoppingOptions{.monitor = "loss", .patience = 2});
  std::ostringstream out;
  const History h = model.fit(ones({4, 1}), ones({4, 1}),
                              {.epochs = 20, .callbacks = {stopper}, .verbose = train::Verbosity::kOneLinePerEpoch, .out = &out});
  // Epoch 0 sets the best; epochs 1 and 2 fail to improve; patience 2 stops after epoch 2.
  EXPECT_EQ(h.epochs(), 3);
  EXPECT_EQ(stopper->stopped_epoch(), 2);
  EXPECT_NE(h.stop_reason.find("early stopping at epoch 3"), std::string::npos) << h.stop_reason;
  EXPECT_NE(out.str().find("Stopped: early stopping"), std::string::npos);
}

TEST(Callbacks, EarlyStoppingNeedsTheMonitoredValue) {
  Sequential model = frozen_zero_model();
  auto stopper = std::make_shared<train::EarlyStopping>();  // val_loss, but no validation data
  IGNIS_EXPECT_THROW_MSG(model.fit(ones({4, 1}), ones({4, 1}), {.callbacks = {stopper}, .verbose = train::Verbosity::kSilent}),
                         ValueError, "val_loss", "validation");
}

TEST(Callbacks, TerminateOnNaNSaysWhereAndTheLastFiniteLoss) {
  Sequential model = frozen_zero_model();
  Tensor y = ones({8, 1});
  {
    NoGradGuard g;
    y.narrow(0, 4, 4).fill_(NAN);
  }
  const History h = model.fit(zeros({8, 1}), y,
                              {.epochs = 5, .batch_size = 4, .shuffle = false,
                               .callbacks = {std::make_shared<train::TerminateOnNaN>()},
                               .verbose = train::Verbosity::kSilent});
  EXPECT_EQ(h.epochs(), 1);
  EXPECT_NE(h.stop_reason.find("batch 2 of epoch 1"), std::string::npos) << h.stop_reason;
  EXPECT_NE(h.stop_reason.find("last finite loss: 1"), std::string::npos) << h.stop_reason;
}

TEST(Callbacks, ReduceLROnPlateauCutsTheRate) {
  Sequential model = frozen_zero_model();
  model.compile({.optimizer = "sgd", .loss = "mse", .learning_rate = 0.1});  // zero inputs: zero gradients
  auto plateau = std::make_shared<train::ReduceLROnPlateau>(optim::PlateauOptions{.factor = 0.5, .patience = 1}, "loss");
  const History h = model.fit(zeros({4, 1}), ones({4, 1}), {.epochs = 6, .callbacks = {plateau}, .verbose = train::Verbosity::kSilent});
  // Epoch 0 sets the best; after two epochs without improvement the rate halves, twice in six.
  EXPECT_NEAR(h["lr"].back(), 0.025, 1e-12);
}

TEST(Callbacks, CsvLoggerAndLambda) {
  const auto path = testing::unique_temp_path("ignis_csv_logger_test", ".csv");
  Sequential model = frozen_zero_model();
  int batches = 0, epochs = 0;
  auto lambda = std::make_shared<train::LambdaCallback>();
  lambda->batch_end = [&](train::TrainingContext&, std::int64_t, const train::Logs&) { ++batches; };
  lambda->epoch_end = [&](train::TrainingContext&, std::int64_t, const train::Logs&) { ++epochs; };
  model.fit(ones({10, 1}), ones({10, 1}),
            {.epochs = 2, .batch_size = 4, .callbacks = {std::make_shared<train::CSVLogger>(path.string()), lambda},
             .verbose = train::Verbosity::kSilent});
  EXPECT_EQ(batches, 6);
  EXPECT_EQ(epochs, 2);
  std::ifstream f(path);
  std::string header, row1, row2;
  std::getline(f, header);
  std::getline(f, row1);
  std::getline(f, row2);
  EXPECT_EQ(header, "epoch,loss,lr");
  EXPECT_EQ(row1.substr(0, 4), "0,1,");
  EXPECT_EQ(row2.substr(0, 2), "1,");
  std::filesystem::remove(path);
}

TEST(Keras, SummaryNamesAndCounts) {
  clear_session();
  Sequential model({Input({10}), Dense(64, "relu"), Dense(1)});
  const std::string s = model.summary();
  EXPECT_NE(s.find("dense (Dense)"), std::string::npos) << s;
  EXPECT_NE(s.find("dense_1 (Dense)"), std::string::npos);
  EXPECT_NE(s.find("(None, 64)"), std::string::npos);
  EXPECT_NE(s.find("Total params: 769"), std::string::npos);  // 10*64+64 + 64+1
  clear_session();
  EXPECT_EQ(Dense(3).name(), "dense");  // counters restart
  Sequential unbuilt({Dense(3)});
  IGNIS_EXPECT_THROW_MSG(unbuilt.summary(), ValueError, "not yet been built");
  IGNIS_EXPECT_THROW_MSG(Dense(3, "swish"), ValueError, "unknown activation", "swish");
  IGNIS_EXPECT_THROW_MSG(unbuilt.compile({.loss = "hinge"}), ValueError, "unknown loss");
  IGNIS_EXPECT_THROW_MSG(unbuilt.fit(ones({2, 1}), ones({2, 1})), ValueError, "compile");
}

TEST(Keras, ClassifierWithSoftmaxOutputsReadsProbabilities) {
  clear_session();
  manual_seed(3);
  const Tensor centers = tensor({{2.0, 0.0}, {-2.0, 0.0}});
  const Tensor labels = randint(0, 2, {256});
  const Tensor x = index_select(centers, 0, labels) + 0.3 * randn({256, 2});
  Sequential model({Dense(16, "relu"), Dense(2, "softmax")});
  model.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}, .learning_rate = 0.05});
  const History h = model.fit(x, labels, {.epochs = 20, .verbose = train::Verbosity::kSilent});
  EXPECT_GE(h["accuracy"].back(), 0.98);
  EXPECT_TRUE(testing::all_close(model.predict(x).sum({1}), {256}, std::vector<double>(256, 1.0), 1e-5, 0));
}

TEST(DeviceScope, ParsesKerasAndTorchSpellings) {
  EXPECT_EQ(parse_keras_device("/GPU:1"), Device::cuda(1));
  EXPECT_EQ(parse_keras_device("/CPU:0"), Device::cpu());
  EXPECT_EQ(parse_keras_device("cuda:0"), Device::cuda(0));
  EXPECT_EQ(DeviceScope::current(), Device::cpu());
  {
    DeviceScope scope("/GPU:0");
    EXPECT_EQ(DeviceScope::current(), Device::cuda(0));
  }
  EXPECT_EQ(DeviceScope::current(), Device::cpu());
  IGNIS_EXPECT_THROW_MSG(parse_keras_device("/GPU:x"), DeviceError, "/GPU:x");
}

TEST(Progress, FinalLineLooksLikeKeras) {
  std::ostringstream out;
  train::ProgressBar bar(469, train::ProgressStyle::kLine, out);
  bar.update(10, 640, {{"loss", 0.5}});  // nothing printed off a terminal
  EXPECT_TRUE(out.str().empty());
  bar.finish(30000, {{"loss", 0.48123}, {"accuracy", 0.83}, {"lr", 1e-4}});
  const std::string s = out.str();
  EXPECT_EQ(s.substr(0, 42), "469/469 [==============================] -");
  EXPECT_NE(s.find("/step - loss: 0.4812 - accuracy: 0.8300 - lr: 1.0000e-04 - "), std::string::npos) << s;
  EXPECT_NE(s.find("samples/s\n"), std::string::npos);
  EXPECT_EQ(train::ProgressBar::format_duration(65), "1:05");
}

}  // namespace
}  // namespace ignis::keras

namespace ignis::keras {
namespace {

TEST(Keras, CompileAcceptsAnOptimizerFactoryAndALossFunction) {
  clear_session();
  manual_seed(4);
  const Tensor x = randn({64, 2});
  const Tensor y = x.sum({1}, kKeepDim);
  Sequential model({Dense(1)});
  int loss_calls = 0;
  model.compile({.make_optimizer = [](std::vector<Tensor> p) { return std::make_unique<optim::SGD>(p, optim::SgdOptions{.lr = 0.1}); },
                 .loss_fn = [&](const Tensor& out, const Tensor& target) {
                   ++loss_calls;
                   return nn::functional::l1_loss(out, target);
                 }});
  const History h = model.fit(x, y, {.epochs = 20, .verbose = train::Verbosity::kSilent});
  EXPECT_NE(dynamic_cast<optim::SGD*>(model.optimizer()), nullptr);
  EXPECT_EQ(loss_calls, 20 * 2);  // 2 batches of 32 per epoch
  EXPECT_LT(h["loss"].back(), 0.2 * h["loss"].front());
}

}  // namespace
}  // namespace ignis::keras
