#include "ignis/train/user_model.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <map>
#include <set>

#include "core/check.hpp"
#include "ignis/autograd/grad_mode.hpp"
#include "ignis/autograd/operators.hpp"
#include "ignis/autograd/reduce.hpp"
#include "ignis/keras/layers.hpp"
#include "ignis/tensor/factories.hpp"

namespace ignis::train {

const char* task_name(Task task) { return task == Task::kClassification ? "classification" : "regression"; }

keras::Sequential UserModelSpec::build() const {
  keras::Sequential model({}, "mlp");
  model.add(keras::Input(Shape(input_shape)));
  if (input_shape.size() > 1) model.add(keras::Flatten());
  for (const std::int64_t width : hidden) model.add(keras::Dense(width, "relu"));
  model.add(keras::Dense(outputs));
  return model;
}

Tensor UserModelSpec::preprocess(const Tensor& features) const {
  Tensor x = features.to(kFloat32);
  if (!mean.defined()) return x;
  const Shape shape = x.shape();
  const Tensor flat = x.reshape({x.size(0), -1});
  return ((flat - mean.to(x.device())) / std.to(x.device())).reshape(shape);
}

namespace {

/// An integer-valued float64 as its label text ("3", "-1").
std::string integer_label(double v) { return fmt::format("{}", static_cast<long long>(v)); }

bool all_integers(const Tensor& targets) {
  if (targets.dim() != 1) return false;
  for (const double v : targets.to_vector<double>()) {
    if (v != std::floor(v) || std::fabs(v) > 9.0e15) return false;
  }
  return true;
}

/// Each example's label text (text targets as they are, integer targets by value).
std::vector<std::string> label_texts(const data::LabeledData& data) {
  if (!data.text_targets.empty()) return data.text_targets;
  std::vector<std::string> out;
  for (const double v : data.numeric_targets.to_vector<double>()) out.push_back(integer_label(v));
  return out;
}

}  // namespace

void infer_task(const data::LabeledData& data, const std::string& task, UserModelSpec& spec) {
  if (task != "auto" && task != "classification" && task != "regression") {
    detail::fail<ValueError>("[train] --task is \"{}\"; use auto, classification or regression", task);
  }
  const bool text = !data.text_targets.empty();
  const bool integers = !text && all_integers(data.numeric_targets);
  const Task chosen = task == "classification" ? Task::kClassification
                      : task == "regression"   ? Task::kRegression
                      : (text || integers)     ? Task::kClassification
                                               : Task::kRegression;
  spec.task = chosen;
  spec.target_name = data.target_name;
  if (chosen == Task::kRegression) {
    if (text) {
      detail::fail<ValueError>("[train] the target \"{}\" holds text labels (e.g. \"{}\"): a regression needs numbers",
                               data.target_name, data.text_targets.front());
    }
    spec.outputs = data.numeric_targets.dim() == 2 ? data.numeric_targets.size(1) : 1;
    spec.label_names.clear();
    return;
  }
  if (!text && !integers) {
    detail::fail<ValueError>("[train] the target \"{}\" holds fractional values (or is a vector per example): a "
                             "classification needs text or integer labels; use --task regression",
                             data.target_name);
  }
  std::vector<std::string> names;
  if (text) {
    const std::set<std::string> unique(data.text_targets.begin(), data.text_targets.end());
    names.assign(unique.begin(), unique.end());
  } else {
    const std::vector<double> values = data.numeric_targets.to_vector<double>();
    const std::set<double> unique(values.begin(), values.end());
    for (const double v : unique) names.push_back(integer_label(v));
  }
  if (names.size() < 2) {
    detail::fail<ValueError>("[train] the target \"{}\" has a single label (\"{}\") in all {} rows: a classifier "
                             "needs at least two classes",
                             data.target_name, names.front(), data.rows());
  }
  spec.label_names = std::move(names);
  spec.outputs = static_cast<std::int64_t>(spec.label_names.size());
}

Tensor encode_targets(const data::LabeledData& data, const UserModelSpec& spec) {
  if (spec.task == Task::kRegression) {
    if (!data.text_targets.empty()) {
      detail::fail<ValueError>("[train] the target \"{}\" holds text labels, but the model is a regression",
                               data.target_name);
    }
    const Tensor y = data.numeric_targets.to(kFloat32);
    const Tensor y2 = y.dim() == 1 ? y.unsqueeze(1) : y;
    if (y2.size(1) != spec.outputs) {
      detail::fail<ValueError>("[train] the targets have {} values per example, but the model predicts {}", y2.size(1),
                               spec.outputs);
    }
    return y2;
  }
  if (data.text_targets.empty() && !all_integers(data.numeric_targets)) {
    detail::fail<ValueError>("[train] the target \"{}\" holds fractional values, but the model is a classifier",
                             data.target_name);
  }
  std::map<std::string, std::int64_t> index;
  for (std::size_t k = 0; k < spec.label_names.size(); ++k) index[spec.label_names[k]] = static_cast<std::int64_t>(k);
  std::vector<std::int64_t> out;
  const std::vector<std::string> texts = label_texts(data);
  out.reserve(texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const auto it = index.find(texts[i]);
    if (it == index.end()) {
      detail::fail<ValueError>("[train] example {} has the label \"{}\", which the model does not know (its labels: {})",
                               i + 1, texts[i], fmt::join(spec.label_names, ", "));
    }
    out.push_back(it->second);
  }
  return from_vector(out, {static_cast<std::int64_t>(out.size())});
}

void check_features(const data::LabeledData& data, const UserModelSpec& spec) {
  const Shape expected(spec.input_shape);
  Shape got = data.features.shape();
  got.erase(0);
  if (got != expected) {
    detail::fail<ValueError>("[train] the data's examples have shape {}, but the model takes {}", got.str(),
                             expected.str());
  }
  if (!spec.feature_names.empty() && !data.feature_names.empty() && data.feature_names != spec.feature_names) {
    detail::fail<ValueError>("[train] the data's feature columns are ({}), but the model was trained on ({}), in "
                             "that order",
                             fmt::join(data.feature_names, ", "), fmt::join(spec.feature_names, ", "));
  }
}

UserModel::UserModel(UserModelSpec spec, keras::Sequential model) : spec_(std::move(spec)), model_(std::move(model)) {}

Tensor UserModel::predict(const Tensor& features) {
  NoGradGuard no_grad;
  const Tensor out = model_.predict(spec_.preprocess(features), 512);
  return spec_.task == Task::kClassification ? softmax(out, 1) : out;
}

std::vector<std::string> UserModel::predict_labels(const Tensor& features) {
  if (spec_.task != Task::kClassification) {
    detail::fail<ValueError>("[predict] the model is a regression: it predicts values, not labels");
  }
  std::vector<std::string> out;
  for (const std::int64_t k : argmax(predict(features), 1).cpu().to_vector<std::int64_t>()) {
    out.push_back(spec_.label_names[static_cast<std::size_t>(k)]);
  }
  return out;
}

}  // namespace ignis::train
