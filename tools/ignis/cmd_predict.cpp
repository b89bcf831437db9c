// `ignis predict` and `ignis evaluate`: a model folder written by `ignis train --data FILE --out
// DIR` used on new data, with nothing but the folder (the task, labels, feature columns and
// standardisation are in DIR/model.json).
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <sstream>

#include "commands.hpp"
#include "ignis/autograd/reduce.hpp"
#include "ignis/core/atomic_file.hpp"
#include "ignis/io/model_folder.hpp"
#include "ignis/keras/sequential.hpp"
#include "ignis/train/train_job.hpp"

namespace ignis::cli {

namespace {

struct UseOptions {
  std::string model, data, targets, target, out, device = "auto";
};

void add_use_options(CLI::App* cmd, UseOptions& o, bool write) {
  cmd->add_option("--model", o.model, "The folder `ignis train --data FILE --out DIR` wrote")->required();
  cmd->add_option("--data", o.data, "A CSV file (the model's feature columns, by name), an NPZ archive (x), or an NPY or "
                                    "IDX file of features")
      ->required();
  cmd->add_option("--targets", o.targets, "NPY or IDX: the file of targets");
  cmd->add_option("--target", o.target, "CSV: the target column (default: the one the model was trained on)");
  cmd->add_option("--device", o.device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  if (write) cmd->add_option("--out", o.out, "Write the predictions to this CSV file (default: standard output)");
}

/// The model of o.model on the chosen device, and o.data read for it.
std::pair<train::UserModel, data::LabeledData> load(const UseOptions& o, bool require_targets) {
  const train::DeviceChoice choice = train::choose_device(o.device);
  train::UserModel model = io::load_model(o.model);
  model.model().to(choice.device);
  const train::UserModelSpec& spec = model.spec();
  data::LabeledData d = data::load_labeled_data({.path = o.data,
                                                 .targets_path = o.targets,
                                                 // a CSV-trained model's target column by default
                                                 .target_column = !o.target.empty()            ? o.target
                                                                  : spec.feature_names.empty() ? ""
                                                                                               : spec.target_name,
                                                 .feature_columns = spec.feature_names,
                                                 .require_targets = require_targets});
  train::check_features(d, spec);
  std::cerr << fmt::format("ignis: {} ({} of \"{}\") on {}; data {}\n", o.model, train::task_name(spec.task),
                           spec.target_name, choice.device.str(), d.description);
  return {std::move(model), std::move(d)};
}

/// CSV text: one row per example; classification: the label, then each label's probability.
std::string predictions_csv(train::UserModel& model, const Tensor& features) {
  const train::UserModelSpec& spec = model.spec();
  const Tensor out = model.predict(features).cpu().to(kFloat64).contiguous();
  const std::vector<double> values = out.to_vector<double>();
  const std::int64_t n = out.size(0), k = out.size(1);
  std::ostringstream csv;
  auto quoted = [](const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (const char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  if (spec.task == train::Task::kClassification) {
    const std::vector<std::string> labels = model.predict_labels(features);
    csv << quoted(spec.target_name);
    for (const std::string& name : spec.label_names) csv << "," << quoted("p(" + name + ")");
    csv << "\n";
    for (std::int64_t i = 0; i < n; ++i) {
      csv << quoted(labels[static_cast<std::size_t>(i)]);
      for (std::int64_t j = 0; j < k; ++j) csv << fmt::format(",{:.6g}", values[static_cast<std::size_t>(i * k + j)]);
      csv << "\n";
    }
  } else {
    for (std::int64_t j = 0; j < k; ++j) {
      csv << (j ? "," : "") << quoted(k == 1 ? spec.target_name : fmt::format("{}[{}]", spec.target_name, j));
    }
    csv << "\n";
    for (std::int64_t i = 0; i < n; ++i) {
      for (std::int64_t j = 0; j < k; ++j) csv << (j ? "," : "") << fmt::format("{:.8g}", values[static_cast<std::size_t>(i * k + j)]);
      csv << "\n";
    }
  }
  return csv.str();
}

}  // namespace

void add_predict_command(CLI::App& app) {
  auto o = std::make_shared<UseOptions>();
  auto* cmd = app.add_subcommand("predict", "Predict with a model trained by `ignis train --data FILE --out DIR`");
  add_use_options(cmd, *o, true);
  cmd->callback([o] {
    auto [model, d] = load(*o, /*require_targets=*/false);
    const std::string csv = predictions_csv(model, d.features);
    if (o->out.empty()) {
      std::cout << csv;
    } else {
      write_file_atomic(o->out, csv);
      std::cerr << fmt::format("ignis: {} predictions in {}\n", d.rows(), o->out);
    }
  });
}

void add_evaluate_command(CLI::App& app) {
  auto o = std::make_shared<UseOptions>();
  auto* cmd = app.add_subcommand("evaluate", "Loss and accuracy (or MAE) of a trained model on labelled data");
  add_use_options(cmd, *o, false);
  cmd->callback([o] {
    auto [model, d] = load(*o, /*require_targets=*/true);
    const train::UserModelSpec& spec = model.spec();
    const bool classify = spec.task == train::Task::kClassification;
    const Tensor y = train::encode_targets(d, spec);
    model.model().compile({.optimizer = "sgd",
                           .loss = classify ? "sparse_categorical_crossentropy" : "mse",
                           .metrics = {classify ? "accuracy" : "mae"}});
    const train::Logs logs = model.model().evaluate(spec.preprocess(d.features), y, 512);
    const double loss = *train::find(logs, "loss");
    if (classify) {
      std::cout << fmt::format("{} examples: loss {:.4f}, accuracy {:.2f}%\n", d.rows(), loss,
                               100 * *train::find(logs, "accuracy"));
    } else {
      std::cout << fmt::format("{} examples: loss (MSE) {:.6g}, MAE {:.6g}\n", d.rows(), loss, *train::find(logs, "mae"));
    }
  });
}

}  // namespace ignis::cli
