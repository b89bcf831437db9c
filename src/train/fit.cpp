#include "ignis/train/fit.hpp"

#include <fmt/format.h>

#include <chrono>
#include <iostream>

#include "core/check.hpp"
#include "ignis/autograd/grad_mode.hpp"
#include "ignis/autograd/join.hpp"
#include "ignis/train/metrics.hpp"
#include "ignis/train/progress.hpp"

namespace ignis::train {

const std::vector<double>& History::operator[](const std::string& name) const {
  for (const auto& [key, values] : values_) {
    if (key == name) return values;
  }
  detail::fail<ValueError>("[History] \"{}\" was not logged", name);
}

bool History::contains(const std::string& name) const {
  for (const auto& [key, values] : values_) {
    if (key == name) return true;
  }
  return false;
}

void History::append(const Logs& logs) {
  for (const auto& [name, value] : logs) {
    auto it = std::find_if(values_.begin(), values_.end(), [&](const auto& kv) { return kv.first == name; });
    if (it == values_.end()) {
      values_.emplace_back(name, std::vector<double>(static_cast<std::size_t>(epochs_), NAN));
      it = std::prev(values_.end());
    }
    it->second.push_back(value);
  }
  ++epochs_;
}

namespace {

std::vector<std::unique_ptr<Metric>> make_metrics(const std::vector<std::string>& names, bool probabilities) {
  std::vector<std::unique_ptr<Metric>> out;
  for (const std::string& n : names) out.push_back(make_metric(n, probabilities));
  return out;
}

ProgressStyle style_for(Verbosity v, std::ostream& out) {
  switch (v) {
    case Verbosity::kSilent: return ProgressStyle::kSilent;
    case Verbosity::kProgressBar: return ProgressStyle::kBar;
    case Verbosity::kOneLinePerEpoch: return ProgressStyle::kLine;
    case Verbosity::kAuto: break;
  }
  return is_terminal(out) ? ProgressStyle::kBar : ProgressStyle::kLine;
}

std::int64_t batch_size_of(const Tensor& t) { return t.dim() == 0 ? 1 : t.size(0); }

CheckpointRestorer& restorer() {
  static CheckpointRestorer r;
  return r;
}

}  // namespace

void set_checkpoint_restorer(CheckpointRestorer r) { restorer() = std::move(r); }

Logs evaluate(nn::Module& model, const LossFn& loss, const data::DataLoader& data,
              const std::vector<std::string>& metric_names, bool probabilities) {
  const bool was_training = model.is_training();
  model.eval();
  NoGradGuard no_grad;
  auto metrics = make_metrics(metric_names, probabilities);
  double loss_sum = 0;
  std::int64_t samples = 0;
  for (const data::Batch& batch : data) {
    const Tensor output = model(batch.input);
    const std::int64_t n = batch_size_of(batch.input);
    loss_sum += loss(output, batch.target).item<double>() * static_cast<double>(n);
    samples += n;
    for (auto& m : metrics) m->update(output, batch.target);
  }
  model.train(was_training);
  Logs logs = {{"loss", samples > 0 ? loss_sum / static_cast<double>(samples) : NAN}};
  for (auto& m : metrics) logs.emplace_back(m->name(), m->result());
  return logs;
}

Tensor predict(nn::Module& model, const data::DataLoader& data) {
  const bool was_training = model.is_training();
  model.eval();
  NoGradGuard no_grad;
  std::vector<Tensor> outputs;
  for (const data::Batch& batch : data) outputs.push_back(model(batch.input));
  model.train(was_training);
  if (outputs.empty()) throw ValueError("[predict] the dataset is empty");
  return cat(outputs, 0);
}

History fit(nn::Module& model, const LossFn& loss, optim::Optimizer& optimizer, data::DataLoader& train,
            data::DataLoader* validation, const FitOptions& options) {
  if (train.size() == 0 || train.num_batches() == 0) {
    throw ValueError("[fit] the training data is empty (or smaller than one batch with drop_last)");
  }
  if (options.epochs < 1) detail::fail<ValueError>("[fit] epochs must be ≥ 1, got {}", options.epochs);
  std::ostream& out = options.out ? *options.out : std::cout;
  const ProgressStyle style = style_for(options.verbose, out);
  TrainingContext ctx{&model, &optimizer, false, "", style == ProgressStyle::kSilent ? nullptr : &out, &train,
                      options.scheduler};
  History history;
  const auto start = std::chrono::steady_clock::now();

  std::int64_t first_epoch = options.initial_epoch;
  if (!options.resume_from.empty()) {
    if (!restorer()) throw ValueError("[fit] resume_from needs the io layer's checkpoint reader, which is not loaded");
    const ResumePoint resume = restorer()(options.resume_from, ctx);
    first_epoch = std::max(first_epoch, resume.epoch);
    if (style != ProgressStyle::kSilent) {
      out << fmt::format("Resuming from {} at epoch {}/{}\n", resume.checkpoint, first_epoch + 1, options.epochs);
    }
  }
  for (auto& cb : options.callbacks) cb->on_train_begin(ctx);
  for (std::int64_t epoch = first_epoch; epoch < options.epochs && !ctx.stop; ++epoch) {
    if (style != ProgressStyle::kSilent) out << fmt::format("Epoch {}/{}\n", epoch + 1, options.epochs);
    for (auto& cb : options.callbacks) cb->on_epoch_begin(ctx, epoch);
    model.train();
    train.set_epoch(epoch);
    auto metrics = make_metrics(options.metrics, options.probabilities);
    ProgressBar bar(train.num_batches(), style, out);
    double loss_sum = 0;
    std::int64_t samples = 0, step = 0;
    for (const data::Batch& batch : train) {
      optimizer.zero_grad();
      const Tensor output = model(batch.input);
      const Tensor batch_loss = loss(output, batch.target);
      batch_loss.backward();
      optimizer.step();
      const double value = batch_loss.item<double>();
      const std::int64_t n = batch_size_of(batch.input);
      loss_sum += value * static_cast<double>(n);
      samples += n;
      for (auto& m : metrics) m->update(output.detach(), batch.target);
      ++step;
      Logs running = {{"loss", loss_sum / static_cast<double>(samples)}};
      for (auto& m : metrics) running.emplace_back(m->name(), m->result());
      bar.update(step, samples, running);
      for (auto& cb : options.callbacks) cb->on_batch_end(ctx, step - 1, {{"loss", value}});
      if (ctx.stop) break;
    }
    history.samples += samples;
    Logs logs = {{"loss", loss_sum / static_cast<double>(std::max<std::int64_t>(samples, 1))}};
    for (auto& m : metrics) logs.emplace_back(m->name(), m->result());
    if (validation != nullptr) {
      for (const auto& [name, value] : evaluate(model, loss, *validation, options.metrics, options.probabilities)) {
        logs.emplace_back("val_" + name, value);
      }
    }
    logs.emplace_back("lr", optimizer.lr());
    bar.finish(samples, logs);
    history.append(logs);
    if (options.scheduler != nullptr) options.scheduler->step();
    for (auto& cb : options.callbacks) cb->on_epoch_end(ctx, epoch, logs);
  }
  for (auto& cb : options.callbacks) cb->on_train_end(ctx);
  history.stop_reason = ctx.stop_reason;
  if (!ctx.stop_reason.empty() && style != ProgressStyle::kSilent) out << "Stopped: " << ctx.stop_reason << "\n";
  history.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return history;
}

}  // namespace ignis::train
