// The GPT training job (see the header for the recipe and the validation loss).
#include "ignis/models/gpt_job.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/check.hpp"
#include "ignis/autograd/grad_mode.hpp"
#include "ignis/core/atomic_file.hpp"
#include "ignis/core/threads.hpp"
#include "ignis/data/text_corpus.hpp"
#include "ignis/models/gpt_folder.hpp"
#include "ignis/models/gpt_report.hpp"
#include "ignis/optim/optimizer.hpp"
#include "ignis/optim/param_group.hpp"
#include "ignis/optim/sequential_lr.hpp"
#include "ignis/tensor/factories.hpp"

namespace ignis::models {

namespace {

using Clock = std::chrono::steady_clock;

void check_options(const GptJobOptions& o) {
  o.model.validate();
  if (o.model.vocab_size != 256) {
    detail::fail<ValueError>("[gpt] the tokens are bytes: vocab_size must be 256, got {}", o.model.vocab_size);
  }
  const auto positive = [](std::int64_t v, const char* flag) {
    if (v <= 0) detail::fail<ValueError>("[gpt] {} must be positive, got {}", flag, v);
  };
  positive(o.steps, "--steps");
  positive(o.batch_size, "--batch-size");
  positive(o.eval_windows, "eval_windows");
  positive(o.log_every, "log_every");
  if (o.warmup_steps < 0 || o.warmup_steps >= o.steps) {
    detail::fail<ValueError>("[gpt] the warm-up ({} steps) must be shorter than the run (--steps {})", o.warmup_steps,
                             o.steps);
  }
  if (!(o.lr > 0) || !(o.min_lr >= 0) || o.min_lr > o.lr) {
    detail::fail<ValueError>("[gpt] need 0 <= min_lr <= lr and lr > 0, got lr {} and min_lr {}", o.lr, o.min_lr);
  }
  if (o.eval_every < 0) detail::fail<ValueError>("[gpt] --eval-every must be >= 0, got {}", o.eval_every);
}

/// Tokens (int64) of `count` windows of `length` bytes starting at `starts` (+ shift).
Tensor windows(const std::vector<std::uint8_t>& bytes, const std::vector<std::int64_t>& starts, std::int64_t length,
               std::int64_t shift) {
  std::vector<std::int64_t> tokens;
  tokens.reserve(starts.size() * static_cast<std::size_t>(length));
  for (const std::int64_t s : starts) {
    const auto* first = bytes.data() + s + shift;
    tokens.insert(tokens.end(), first, first + length);
  }
  return from_vector(tokens, {static_cast<std::int64_t>(starts.size()), length});
}

std::string duration_text(double seconds) {
  const auto s = static_cast<long long>(std::llround(seconds));
  return s >= 60 ? fmt::format("{}m{:02d}s", s / 60, s % 60) : fmt::format("{}s", s);
}

/// The sample as printable text: bytes that are not UTF-8 text are shown as \xNN.
std::string printable(const std::string& bytes) {
  std::string out;
  for (const unsigned char c : bytes) {
    if (c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f)) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  return out;
}

nlohmann::json results_json(const GptJobOptions& o, const GptJobResult& r, const data::TextCorpus& corpus) {
  nlohmann::json j;
  j["model"] = "gpt";
  j["config"] = {{"block_size", o.model.block_size}, {"vocab_size", o.model.vocab_size},
                 {"n_layer", o.model.n_layer},       {"n_head", o.model.n_head},
                 {"n_embd", o.model.n_embd},         {"dropout", o.model.dropout},
                 {"bias", o.model.bias}};
  j["parameters"] = r.parameters;
  j["data"] = {{"path", corpus.path},
               {"train_bytes", corpus.train.size()},
               {"validation_bytes", corpus.validation.size()},
               {"tokens", "bytes (vocabulary 256)"}};
  j["training"] = {{"steps", o.steps},           {"batch_size", o.batch_size},     {"lr", o.lr},
                   {"min_lr", o.min_lr},         {"warmup_steps", o.warmup_steps}, {"weight_decay", o.weight_decay},
                   {"betas", {o.beta1, o.beta2}}, {"grad_clip", o.grad_clip},     {"seed", o.seed}};
  j["device"] = o.device.str();
  j["threads"] = get_num_threads();
  j["validation_loss"] = r.validation_loss;
  j["validation_windows"] = r.validation_windows;
  j["validation_loss_definition"] =
      "mean cross-entropy (nats per byte) over every non-overlapping block_size window of the last 10% of the file, "
      "every next byte predicted";
  j["train_loss"] = r.train_loss;
  j["seconds"] = r.seconds;
  j["tokens_per_second"] = r.tokens_per_second;
  for (const auto& [step, loss] : r.evaluations) j["evaluations"].push_back({{"step", step}, {"loss", loss}});
  for (const GptStep& s : r.history) j["history"].push_back({{"step", s.step}, {"loss", s.loss}, {"lr", s.lr}});
  j["sample"] = r.sample;
  return j;
}

}  // namespace

double gpt_validation_loss(GPT& model, const std::vector<std::uint8_t>& bytes, std::int64_t max_windows,
                           std::int64_t batch_size, std::int64_t* windows_used) {
  const std::int64_t block = model.config().block_size;
  const auto size = static_cast<std::int64_t>(bytes.size());
  std::int64_t count = size > block ? (size - 1) / block : 0;  // window w needs bytes w·block .. (w+1)·block
  if (max_windows > 0) count = std::min(count, max_windows);
  if (count == 0) {
    detail::fail<ValueError>("[gpt] the validation split ({} bytes) holds no window of block_size {} + 1", size, block);
  }
  NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  const Device device = model.transformer->wte->weight.device();
  double total = 0;
  for (std::int64_t first = 0; first < count; first += batch_size) {
    std::vector<std::int64_t> starts;
    for (std::int64_t w = first; w < std::min(count, first + batch_size); ++w) starts.push_back(w * block);
    const Tensor x = windows(bytes, starts, block, 0).to(device);
    const Tensor y = windows(bytes, starts, block, 1).to(device);
    // The mean over the batch's tokens, weighted by its share of all windows.
    total += model.loss(x, y).item().to_double() * static_cast<double>(starts.size());
  }
  model.train(was_training);
  if (windows_used != nullptr) *windows_used = count;
  return total / static_cast<double>(count);
}

GptJobResult run_gpt_job(const GptJobOptions& options, std::ostream& out) {
  check_options(options);
  const GptConfig& config = options.model;
  const std::string path = options.data.empty() ? data::kjv_bible_path() : options.data;
  const data::TextCorpus corpus = data::load_text_corpus(path, static_cast<std::size_t>(config.block_size) + 1);
  out << fmt::format("Data: {} ({:.2f} MB: {} bytes train, {} validate; tokens are bytes)\n", corpus.path,
                     static_cast<double>(corpus.train.size() + corpus.validation.size()) / 1e6, corpus.train.size(),
                     corpus.validation.size());
  out << fmt::format("Device: {} ({}), {} threads\n", options.device.str(),
                     options.device_reason.empty() ? "as requested" : options.device_reason, get_num_threads());

  Generator generator(options.seed);
  GPT model(config, &generator);
  model.to(options.device);
  GptJobResult result;
  result.parameters = model.parameter_count();
  out << fmt::format("Model: GPT, {} layers, {} heads, {} channels, block {}, dropout {}: {:.2f}M parameters\n",
                     config.n_layer, config.n_head, config.n_embd, config.block_size, config.dropout,
                     static_cast<double>(result.parameters) / 1e6);
  out << fmt::format("Training: {} steps of {} windows ({} tokens each), AdamW lr {} (warm-up {}, cosine to {}), "
                     "weight decay {}, clip {}\n\n",
                     options.steps, options.batch_size, options.batch_size * config.block_size, options.lr,
                     options.warmup_steps, options.min_lr, options.weight_decay, options.grad_clip)
      << std::flush;

  optim::AdamW optimizer(optim::weight_decay_groups(model.named_parameters(), options.weight_decay),
                         {.lr = options.lr, .beta1 = options.beta1, .beta2 = options.beta2,
                          .weight_decay = options.weight_decay});
  optim::SequentialLR schedule = optim::warmup_cosine(
      optimizer, {.warmup_steps = options.warmup_steps, .total_steps = options.steps, .min_lr = options.min_lr});

  const auto last_start = static_cast<std::int64_t>(corpus.train.size()) - config.block_size - 1;
  double seconds = 0, recent = 0;
  std::int64_t recent_count = 0;
  for (std::int64_t step = 1; step <= options.steps; ++step) {
    const auto begin = Clock::now();
    const Tensor starts = randint(0, last_start + 1, {options.batch_size}, {.dtype = kInt64}, &generator);
    std::vector<std::int64_t> s(static_cast<std::size_t>(options.batch_size));
    std::copy_n(starts.data_ptr<std::int64_t>(), options.batch_size, s.begin());
    const Tensor x = windows(corpus.train, s, config.block_size, 0).to(options.device);
    const Tensor y = windows(corpus.train, s, config.block_size, 1).to(options.device);
    optimizer.zero_grad();
    const Tensor loss = model.loss(x, y);
    loss.backward();
    if (options.grad_clip > 0) optim::clip_grad_norm_(model.parameters(), options.grad_clip);
    const double lr = optimizer.lr();
    optimizer.step();
    schedule.step();
    const double value = loss.item().to_double();
    seconds += std::chrono::duration<double>(Clock::now() - begin).count();
    result.history.push_back({step, value, lr});
    recent += value;
    ++recent_count;
    if (!std::isfinite(value)) {
      detail::fail<ValueError>("[gpt] the loss became {} at step {}: lower --lr (now {}) or keep --grad-clip", value,
                               step, options.lr);
    }
    if (step % options.log_every == 0 || step == options.steps) {
      const double tokens = static_cast<double>(step * options.batch_size * config.block_size);
      out << fmt::format("step {:>5}/{}  loss {:.4f}  lr {:.2e}  {:>7.0f} tok/s  elapsed {}  eta {}\n", step,
                         options.steps, recent / static_cast<double>(recent_count), lr, tokens / seconds,
                         duration_text(seconds),
                         duration_text(seconds / static_cast<double>(step) * static_cast<double>(options.steps - step)));
      out.flush();  // progress reaches a pipe or a log file as it happens
      result.train_loss = recent / static_cast<double>(recent_count);
      recent = 0;
      recent_count = 0;
    }
    if (options.eval_every > 0 && step % options.eval_every == 0 && step != options.steps) {
      const double v = gpt_validation_loss(model, corpus.validation, options.eval_windows, 32);
      result.evaluations.emplace_back(step, v);
      out << fmt::format("step {:>5}: validation loss {:.4f} (first {} windows)\n", step, v, options.eval_windows)
          << std::flush;
    }
  }
  result.seconds = seconds;
  result.tokens_per_second = static_cast<double>(options.steps * options.batch_size * config.block_size) / seconds;

  out << "\nEvaluating on every window of the validation split…\n";
  result.validation_loss = gpt_validation_loss(model, corpus.validation, 0, 32, &result.validation_windows);
  result.evaluations.emplace_back(options.steps, result.validation_loss);
  out << fmt::format("Validation loss: {:.4f} nats/byte ({} windows of {} bytes; {:.3f} bits/byte)\n",
                     result.validation_loss, result.validation_windows, config.block_size,
                     result.validation_loss / std::log(2.0));
  out << fmt::format("Training: {} in {} ({:.0f} tokens/s)\n", options.steps, duration_text(seconds),
                     result.tokens_per_second);

  std::vector<std::int64_t> prompt;
  for (const unsigned char c : options.sample_prompt) prompt.push_back(c);
  if (prompt.empty()) prompt.push_back('\n');
  Generator sampling(options.seed);
  const Tensor tokens = model.generate(
      from_vector(prompt, {1, static_cast<std::int64_t>(prompt.size())}).to(options.device),
      {.max_new_tokens = options.sample_tokens, .temperature = options.sample_temperature,
       .top_k = options.sample_top_k, .generator = &sampling});
  const Tensor host = tokens.cpu().contiguous();
  for (std::int64_t i = 0; i < host.size(1); ++i) result.sample += static_cast<char>(host.data_ptr<std::int64_t>()[i]);
  out << fmt::format("\nSample (temperature {}, top-k {}):\n{}\n", options.sample_temperature, options.sample_top_k,
                     printable(result.sample));

  if (!options.out.empty()) {
    std::filesystem::create_directories(options.out);
    save_gpt(options.out, model);
    const std::string dir = options.out;
    write_file_atomic(dir + "/results.json", results_json(options, result, corpus).dump(2) + "\n");
    write_file_atomic(dir + "/sample.txt", result.sample);
    write_file_atomic(dir + "/report.html", gpt_report_html(options, result));
    out << fmt::format("\nModel: {0}/model.safetensors (nanoGPT's names) and config.json (use it: ignis generate "
                       "--model {0} --prompt \"...\")\nResults: {0}/results.json, report.html, sample.txt\n",
                       dir);
  }
  return result;
}

}  // namespace ignis::models
