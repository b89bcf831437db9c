#pragma once
// Metrics accumulated over an epoch, weighted by the number of samples in each batch (Keras's
// rule). Names follow Keras: "accuracy", "mae", "mse".
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>

#include "ignis/tensor/tensor.hpp"

namespace ignis::train {

class Metric {
 public:
  virtual ~Metric() = default;
  virtual std::string name() const = 0;
  /// Adds one batch: model outputs and targets (no gradient is recorded).
  virtual void update(const Tensor& output, const Tensor& target) = 0;
  /// The value over everything since reset(); NaN before any update.
  double result() const { return count_ > 0 ? total_ / static_cast<double>(count_) : NAN; }
  void reset() {
    total_ = 0;
    count_ = 0;
  }

 protected:
  /// Adds `sum` over `count` samples.
  void add(double sum, std::int64_t count) {
    total_ += sum;
    count_ += count;
  }

 private:
  double total_ = 0;
  std::int64_t count_ = 0;
};

/// Classification accuracy: outputs (N, C) with class-index targets (N) compare argmax; a single
/// output unit (N) or (N, 1) is a binary decision (logit > 0, or probability > 0.5 when
/// `probabilities` is set) against 0/1 targets.
class Accuracy : public Metric {
 public:
  explicit Accuracy(bool probabilities = false) : probabilities_(probabilities) {}
  std::string name() const override { return "accuracy"; }
  void update(const Tensor& output, const Tensor& target) override;

 private:
  bool probabilities_;
};

class MeanAbsoluteError : public Metric {
 public:
  std::string name() const override { return "mae"; }
  void update(const Tensor& output, const Tensor& target) override;
};

class MeanSquaredError : public Metric {
 public:
  std::string name() const override { return "mse"; }
  void update(const Tensor& output, const Tensor& target) override;
};

/// The metric called `name` ("accuracy"/"acc", "mae", "mse"); ValueError for unknown names.
std::unique_ptr<Metric> make_metric(const std::string& name, bool probabilities = false);

}  // namespace ignis::train
