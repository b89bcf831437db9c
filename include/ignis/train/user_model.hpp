#pragma once
// A model trained on a user's own data (`ignis train --data FILE`) and everything needed to use it
// later without the training flags: the task, the label names, the feature layout and the
// preprocessing. `ignis train --out DIR` writes it as DIR/model.json (this spec) beside
// DIR/model.safetensors (the weights, PyTorch names) through ignis/io/model_folder.hpp, whose
// load_model(DIR) reads both back; `ignis predict` and `ignis evaluate` use it.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ignis/data/labeled_data.hpp"
#include "ignis/keras/sequential.hpp"
#include "ignis/tensor/tensor.hpp"

namespace ignis::train {

enum class Task { kClassification, kRegression };
const char* task_name(Task task);  // "classification", "regression"

struct UserModelSpec {
  Task task = Task::kClassification;
  std::vector<std::int64_t> input_shape;   // one example's features, e.g. {4} or {28, 28}
  std::vector<std::int64_t> hidden;        // widths of the ReLU layers of the MLP
  std::int64_t outputs = 1;                // classes, or regression targets per example
  std::vector<std::string> label_names;    // classification: output k is label_names[k]
  std::vector<std::string> feature_names;  // CSV: the columns, in order; empty for arrays
  std::string target_name;                 // CSV: the target column; "y" for arrays
  /// Per-feature standardisation (x - mean) / std over the flattened features, from the
  /// training split; both undefined when the model was trained without --normalize.
  Tensor mean, std;

  /// The MLP: Input(input_shape), Flatten, Dense(h, relu) for each hidden width, Dense(outputs).
  keras::Sequential build() const;
  /// Features (N, ...) as the model takes them: float32, standardised when the spec says so.
  Tensor preprocess(const Tensor& features) const;
};

/// The task that `targets` call for: text or integer targets make a classification (label
/// names sorted, integers by value), floating-point ones a regression. `task` "auto" (infer),
/// "classification" or "regression" (a ValueError when the targets cannot be that). Fills
/// task, outputs, label_names and target_name of `spec`.
void infer_task(const data::LabeledData& data, const std::string& task, UserModelSpec& spec);

/// The targets as the model's loss takes them: classification, int64 class indices (N) through
/// spec.label_names (a label the model does not know is a ValueError naming it); regression,
/// float32 (N, outputs).
Tensor encode_targets(const data::LabeledData& data, const UserModelSpec& spec);

/// Checks that `data`'s features fit `spec` (shape, and the CSV columns by name and order).
void check_features(const data::LabeledData& data, const UserModelSpec& spec);

/// A trained model with its spec (load_model, or the result of training).
class UserModel {
 public:
  UserModel(UserModelSpec spec, keras::Sequential model);
  const UserModelSpec& spec() const { return spec_; }
  keras::Sequential& model() { return model_; }
  /// Classification: class probabilities (N, classes); regression: the predicted values
  /// (N, outputs). `features` are raw (not yet standardised), any device.
  Tensor predict(const Tensor& features);
  /// Classification only: the most probable label of each example.
  std::vector<std::string> predict_labels(const Tensor& features);

 private:
  UserModelSpec spec_;
  keras::Sequential model_;
};

}  // namespace ignis::train
