#include "ignis/train/fit.hpp"

#include <fmt/format.h>

#include <chrono>
#include <iostream>

#include "core/check.hpp"
#include "ignis/autograd/grad_mode.hpp"
#include "ignis/autograd/join.hpp"
#include "ignis/train/metrics.hpp"
#include "ignis/backend/cuda.hpp"
#include "ignis/tensor/allocator.hpp"
#include "ignis/train/progress.hpp"
#include "ignis/train/train_step.hpp"

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

/// Paths of the submodules whose result depends on the whole batch ("" for the root).
void batch_dependent_layers(const nn::Module& module, std::vector<std::string>& out) {
  if (module.depends_on_batch()) out.push_back(module.path().empty() ? module.type_name() : module.path());
  for (const auto& [name, child] : module.named_children()) batch_dependent_layers(*child, out);
}

/// One step of fit(): train_step, and on OutOfMemoryError (with kMicroBatch) the same step again
/// in micro-batches of half the size until it fits. `micro_batch` (0: whole) is kept for the rest
/// of the run; a change is announced on `announce` (null: silent) once the step has succeeded.
StepResult run_step(nn::Module& model, const LossFn& loss, optim::Optimizer& optimizer, const data::Batch& batch,
                    std::int64_t& micro_batch, OnOutOfMemory on_oom, std::int64_t epoch, std::int64_t step,
                    std::ostream* announce) {
  const std::int64_t n = batch_size_of(batch.input);
  const std::int64_t before = micro_batch;
  for (;;) {
    const std::int64_t current = micro_batch > 0 ? std::min(micro_batch, n) : n;
    try {
      StepResult result = train_step(model, loss, optimizer, batch.input, batch.target, current);
      if (micro_batch != before && announce != nullptr) {
        std::vector<std::string> dependent;
        batch_dependent_layers(model, dependent);
        std::string note;
        for (const std::string& layer : dependent) {
          note += fmt::format("; note: {} computes over the batch and now sees micro-batches of {}", layer,
                              micro_batch);
        }
        *announce << fmt::format(
            "\nOut of memory at epoch {} step {} with batch {}: continuing in micro-batches of {} with accumulated "
            "gradients (the optimizer still steps once per batch of {}){}\n",
            epoch + 1, step + 1, n, micro_batch, n, note);
      }
      return result;
    } catch (const OutOfMemoryError& e) {
      if (on_oom == OnOutOfMemory::kThrow) throw;
      // The failed attempt's graph is gone with the stack; drop its partial gradients and give
      // the caches back so that the retry starts from parameters + optimizer state only.
      optimizer.zero_grad();
      empty_cpu_cache();
      cuda::empty_cache();
      if (current <= 1) {
        const std::string message = fmt::format(
            "[fit] out of memory at epoch {} step {} even in micro-batches of 1 sample: the model, its gradients and "
            "optimizer state do not fit. Parameters, optimizer state and step count are unchanged. Use a smaller "
            "model, an optimizer with less state, or a larger memory budget.\n{}",
            epoch + 1, step + 1, e.what());
        if (e.report() != nullptr) throw OutOfMemoryError(message, *e.report());
        throw OutOfMemoryError(message);
      }
      micro_batch = (current + 1) / 2;
    }
  }
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
  if (options.micro_batch_size < 0) {
    detail::fail<ValueError>("[fit] micro_batch_size must be ≥ 0 (0: whole batches), got {}", options.micro_batch_size);
  }
  std::int64_t micro_batch = options.micro_batch_size;
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
      const StepResult result = run_step(model, loss, optimizer, batch, micro_batch, options.on_out_of_memory, epoch, step,
                                         style == ProgressStyle::kSilent ? nullptr : &out);
      const std::int64_t n = batch_size_of(batch.input);
      const double value = result.loss_sum / static_cast<double>(n);
      loss_sum += result.loss_sum;
      samples += n;
      // Only a step that succeeded counts: metrics see each sample once.
      for (auto& m : metrics) {
        for (const auto& [output, target] : result.outputs) m->update(output, target);
      }
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
  history.micro_batch_size = micro_batch;
  return history;
}

}  // namespace ignis::train
