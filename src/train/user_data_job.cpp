// `ignis train --data FILE`: an MLP on the user's own data. The task follows from the target
// (user_model.hpp: text or integer labels, a classification with cross-entropy and accuracy;
// floating-point values, a regression with MSE and MAE); a shuffled validation split is held
// out and reported on; --normalize standardises each feature with the training split's mean
// and standard deviation, which the saved model applies again when it predicts.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/check.hpp"
#include "ignis/autograd/grad_mode.hpp"
#include "ignis/autograd/operators.hpp"
#include "ignis/autograd/reduce.hpp"
#include "ignis/core/atomic_file.hpp"
#include "ignis/data/dataset.hpp"
#include "ignis/ops/index.hpp"
#include "ignis/tensor/factories.hpp"
#include "ignis/tensor/generator.hpp"
#include "ignis/train/report.hpp"
#include "job_common.hpp"

namespace ignis::train::detail {

namespace {

namespace fs = std::filesystem;

struct Split {
  Tensor train_x, train_y, val_x, val_y;  // val_* undefined without a validation split
};

/// The examples shuffled with `seed`; the first round(n * fraction) (at least one when the
/// fraction is positive) are held out.
Split split(const Tensor& x, const Tensor& y, double fraction, std::uint64_t seed) {
  if (fraction < 0 || fraction >= 1) {
    ignis::detail::fail<ValueError>("[train] --validation-split is {}; it must be in [0, 1)", fraction);
  }
  const std::int64_t n = x.size(0);
  auto held = static_cast<std::int64_t>(std::llround(static_cast<double>(n) * fraction));
  if (fraction > 0) held = std::max<std::int64_t>(held, 1);
  if (n - held < 1) {
    ignis::detail::fail<ValueError>("[train] {} examples leave none to train on with --validation-split {}; use more "
                                    "data or a smaller split",
                                    n, fraction);
  }
  const std::vector<std::int64_t> order = data::permutation(n, seed, /*stream=*/7);
  const Tensor val_idx = from_vector(std::vector<std::int64_t>(order.begin(), order.begin() + held), {held});
  const Tensor train_idx = from_vector(std::vector<std::int64_t>(order.begin() + held, order.end()), {n - held});
  Split s{ops::index_select(x, 0, train_idx), ops::index_select(y, 0, train_idx), {}, {}};
  if (held > 0) {
    s.val_x = ops::index_select(x, 0, val_idx);
    s.val_y = ops::index_select(y, 0, val_idx);
  }
  return s;
}

/// Per-feature mean and standard deviation of x's rows (flattened); a constant feature gets 1.
void fit_standardization(const Tensor& x, UserModelSpec& spec) {
  const Tensor flat = x.to(kFloat32).reshape({x.size(0), -1});
  spec.mean = mean(flat, {0});
  const Tensor sd = sqrt(mean(pow(flat - spec.mean, 2.0), {0}));
  spec.std = where(sd > 0, sd, 1.0);
}

/// A regression's output layer starts at the training targets' mean (its bias), so the network
/// learns the deviations: targets far from zero (prices, temperatures) then train as quickly
/// as centred ones, and the loss stays in the targets' own units.
void start_at_the_mean(keras::Sequential& model, const Tensor& targets) {
  std::vector<Tensor> params = model.module().parameters();
  NoGradGuard no_grad;
  params.back().copy_(mean(targets, {0}).to(params.back().device()));
}

std::string describe_task(const UserModelSpec& spec) {
  if (spec.task == Task::kRegression) {
    return fmt::format("regression of \"{}\" ({} value{} per example; loss MSE, metric MAE)", spec.target_name,
                       spec.outputs, spec.outputs == 1 ? "" : "s");
  }
  const std::size_t shown = std::min<std::size_t>(spec.label_names.size(), 8);
  return fmt::format("classification of \"{}\" into {} labels ({}{}; loss cross-entropy, metric accuracy)",
                     spec.target_name, spec.label_names.size(),
                     fmt::join(spec.label_names.begin(), spec.label_names.begin() + static_cast<std::ptrdiff_t>(shown), ", "),
                     shown < spec.label_names.size() ? ", ..." : "");
}

}  // namespace

TrainJobResult run_user_data_job(const TrainJobOptions& options, const DeviceChoice& choice, std::ostream& out) {
  if (options.model != "mlp") {
    ignis::detail::fail<ValueError>("[train] --model {} is for Fashion-MNIST images; on your own data ignis trains an "
                                    "MLP (its layers: --hidden)",
                                    options.model);
  }
  for (const std::int64_t h : options.hidden) {
    if (h < 1) ignis::detail::fail<ValueError>("[train] --hidden has a width of {}; widths are positive", h);
  }
  const data::LabeledData d =
      data::load_labeled_data({.path = options.data, .targets_path = options.targets, .target_column = options.target});
  UserModelSpec spec;
  infer_task(d, options.task, spec);
  Shape example = d.features.shape();
  example.erase(0);
  spec.input_shape = example.to_vector();
  spec.hidden = options.hidden;
  spec.feature_names = d.feature_names;
  const Tensor targets = encode_targets(d, spec);
  const Split s = split(d.features, targets, options.validation_split, options.seed);
  if (options.normalize) fit_standardization(s.train_x, spec);
  out << fmt::format("Data: {} ({} for training, {} held out for validation)\n", d.description, s.train_x.size(0),
                     s.val_x.defined() ? s.val_x.size(0) : 0);
  out << fmt::format("Task: {}{}\n\n", describe_task(spec), options.normalize ? "; features standardised" : "");

  manual_seed(options.seed);
  keras::DeviceScope scope(choice.device.str());
  keras::Sequential model = spec.build();
  const bool classify = spec.task == Task::kClassification;
  model.compile({.optimizer = options.optimizer,
                 .loss = classify ? "sparse_categorical_crossentropy" : "mse",
                 .metrics = {classify ? "accuracy" : "mae"},
                 .learning_rate = options.lr});
  out << model.summary() << "\n";
  if (!classify) start_at_the_mean(model, s.train_y);

  const Tensor train_x = spec.preprocess(s.train_x);
  TrainJobResult result;
  result.device = choice.device;
  std::optional<std::pair<Tensor, Tensor>> validation;
  if (s.val_x.defined()) validation = std::make_pair(spec.preprocess(s.val_x), s.val_y);
  fit_for_job(model, train_x, s.train_y, validation, options, choice.device, out, result);

  const std::string metric = classify ? "accuracy" : "mae";
  if (validation) {
    result.validation = model.evaluate(validation->first, validation->second, 512);
    const double m = *find(result.validation, metric);
    out << fmt::format("\nValidation loss {:.4f}, {} ({} epochs, {:.1f} s of training, {:.0f} samples/s on {})\n",
                       *find(result.validation, "loss"),
                       classify ? fmt::format("accuracy {:.2f}%", 100 * m) : fmt::format("MAE {:.4g}", m),
                       result.history.epochs(), result.train_seconds, result.samples_per_second, choice.device.str());
  } else {
    out << fmt::format("\nTrained {} epochs without a validation split ({:.1f} s on {})\n", result.history.epochs(),
                       result.train_seconds, choice.device.str());
  }
  result.user_model = std::make_shared<UserModel>(spec, std::move(model));

  if (!options.out.empty()) {
    nlohmann::json j = {{"data", options.data},
                        {"task", task_name(spec.task)},
                        {"target", spec.target_name},
                        {"labels", spec.label_names},
                        {"hidden", spec.hidden},
                        {"normalize", options.normalize},
                        {"validation_split", options.validation_split},
                        {"device", choice.device.str()},
                        {"device_reason", choice.reason},
                        {"epochs", result.history.epochs()},
                        {"batch_size", result.batch_size},
                        {"optimizer", options.optimizer},
                        {"lr", options.lr},
                        {"seed", options.seed},
                        {"train_seconds", result.train_seconds},
                        {"samples_per_second", result.samples_per_second},
                        {"stop_reason", result.history.stop_reason}};
    for (const auto& [name, value] : result.validation) j["validation"][name] = value;
    for (const auto& [name, values] : result.history.values()) j["history"][name] = values;
    write_file_atomic((fs::path(options.out) / "results.json").string(), j.dump(2) + "\n");
    ReportInfo report{.title = fmt::format("ignis train: {} on {}", task_name(spec.task),
                                           fs::path(options.data).filename().string()),
                      .model_summary = result.user_model->model().summary(),
                      .device = choice.device.str(),
                      .device_reason = choice.reason,
                      .facts = {{"data", d.description},
                                {"task", describe_task(spec)},
                                {"epochs", fmt::format("{}", result.history.epochs())},
                                {"training time", fmt::format("{:.1f} s ({:.0f} samples/s)", result.train_seconds,
                                                              result.samples_per_second)},
                                {"optimizer", fmt::format("{}, lr {}", options.optimizer, options.lr)},
                                {"batch size", fmt::format("{}", result.batch_size)},
                                {"seed", fmt::format("{}", options.seed)}}};
    for (const auto& [name, value] : result.validation) report.facts.emplace_back("validation " + name, fmt::format("{:.4g}", value));
    write_file_atomic((fs::path(options.out) / "report.html").string(), render_report_html(result.history, report));
  }
  return result;
}

}  // namespace ignis::train::detail
