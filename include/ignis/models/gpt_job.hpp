#pragma once
// `ignis train --model gpt`: a byte-level GPT trained on a text file (by default the King James
// Bible, data/text_corpus.hpp) with nanoGPT's recipe: random block_size windows of the training
// split, AdamW (weight decay on matrices only, betas (0.9, 0.99)), gradient norm clipped to 1,
// a linear warm-up then a cosine decay to min_lr.
//
// The validation loss is the mean cross-entropy over every non-overlapping block_size window of
// the validation split (windows at 0, block_size, 2·block_size, … with a next byte for each
// position), every next byte predicted: a fixed number anyone can recompute from the weights.
// During training, --eval-every reports it on the first eval_windows windows only (quick); the
// final number is over all of them.
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "ignis/core/device.hpp"
#include "ignis/models/gpt.hpp"

namespace ignis::models {

struct GptJobOptions {
  std::string data;  // a text file; empty: the King James Bible (data::kjv_bible_path)
  GptConfig model;   // block 128, 4 layers, 4 heads, 256 channels: W9's configuration
  std::int64_t steps = 600;
  std::int64_t batch_size = 16;  // windows per step
  double lr = 1e-3;
  double min_lr = 1e-4;
  std::int64_t warmup_steps = 50;
  double weight_decay = 0.1;
  double beta1 = 0.9, beta2 = 0.99;
  double grad_clip = 1.0;        // 0: no clipping
  std::int64_t eval_every = 100;  // 0: only the final evaluation
  std::int64_t eval_windows = 64;
  std::int64_t log_every = 10;
  Device device = Device::cpu();
  std::string device_reason;  // printed with the device ("CUDA is available", …)
  std::uint64_t seed = 1337;  // initialisation, batches, dropout, the sample
  std::string out;            // folder for model.safetensors, config.json, results.json, report.html, sample.txt
  std::int64_t sample_tokens = 400;
  std::string sample_prompt = "\n";
  double sample_temperature = 0.8;
  std::int64_t sample_top_k = 40;
};

struct GptStep {
  std::int64_t step;
  double loss, lr;
};

struct GptJobResult {
  double validation_loss = 0;  // over every window of the validation split
  std::int64_t validation_windows = 0;
  double train_loss = 0;       // the mean of the last log_every steps' losses
  double seconds = 0;          // the training steps alone
  double tokens_per_second = 0;
  std::int64_t parameters = 0;
  std::vector<GptStep> history;
  std::vector<std::pair<std::int64_t, double>> evaluations;  // (step, partial validation loss)
  std::string sample;
};

/// Trains as described above, printing progress to `out`; writes options.out when given.
/// Throws ValueError for bad options, FormatError for unreadable data.
GptJobResult run_gpt_job(const GptJobOptions& options, std::ostream& out);

/// The validation loss defined above over the first `max_windows` windows (0: all), evaluated in
/// batches of `batch_size` windows, in evaluation mode without gradients.
double gpt_validation_loss(GPT& model, const std::vector<std::uint8_t>& bytes, std::int64_t max_windows,
                           std::int64_t batch_size, std::int64_t* windows_used = nullptr);

}  // namespace ignis::models
