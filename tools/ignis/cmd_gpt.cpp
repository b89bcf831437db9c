// `ignis train --model gpt` (its flags; the shared ones — --data, --batch-size, --lr, --device,
// --seed, --out — come from `ignis train`) and `ignis generate` (text from a trained GPT).
#include <fmt/format.h>

#include <iostream>

#include "commands.hpp"
#include "ignis/models/gpt_folder.hpp"
#include "ignis/models/gpt_job.hpp"
#include "ignis/tensor/factories.hpp"
#include "ignis/train/train_job.hpp"

namespace ignis::cli {

std::shared_ptr<models::GptJobOptions> add_gpt_train_options(CLI::App& train) {
  auto o = std::make_shared<models::GptJobOptions>();
  auto* g = "GPT (--model gpt)";
  train.add_option("--layers", o->model.n_layer, "GPT: transformer blocks")->capture_default_str()->group(g);
  train.add_option("--heads", o->model.n_head, "GPT: attention heads")->capture_default_str()->group(g);
  train.add_option("--embd", o->model.n_embd, "GPT: channels (a multiple of --heads)")->capture_default_str()->group(g);
  train.add_option("--block-size", o->model.block_size, "GPT: context length in bytes")->capture_default_str()->group(g);
  train.add_option("--dropout", o->model.dropout, "GPT: dropout")->capture_default_str()->group(g)->check(CLI::Range(0.0, 0.99));
  train.add_option("--steps", o->steps, "GPT: optimizer steps")->capture_default_str()->group(g)->check(CLI::PositiveNumber);
  train.add_option("--warmup", o->warmup_steps, "GPT: linear warm-up steps, then a cosine decay to --min-lr")
      ->capture_default_str()
      ->group(g);
  train.add_option("--min-lr", o->min_lr, "GPT: the learning rate at the end of the cosine")->capture_default_str()->group(g);
  train.add_option("--eval-every", o->eval_every,
                   "GPT: validation loss on the first 64 windows every N steps (0: only the final one, on all)")
      ->capture_default_str()
      ->group(g);
  train.add_option("--sample-tokens", o->sample_tokens, "GPT: bytes of the sample generated at the end")
      ->capture_default_str()
      ->group(g);
  return o;
}

void run_gpt_training(CLI::App& train, const train::TrainJobOptions& shared, models::GptJobOptions options) {
  if (train.count("--epochs") > 0) {
    throw CLI::ValidationError("--epochs", "the GPT trains for --steps optimizer steps, not epochs");
  }
  for (const char* flag : {"--checkpoint-dir", "--resume", "--log-dir", "--target", "--targets", "--hidden"}) {
    if (train.count(flag) > 0) {
      throw CLI::ValidationError(flag, "is not supported with --model gpt yet (it writes its results with --out)");
    }
  }
  if (train.count("--data") > 0) options.data = shared.data;
  if (train.count("--batch-size") > 0) options.batch_size = shared.batch_size;
  if (train.count("--lr") > 0) options.lr = shared.lr;
  if (train.count("--seed") > 0) options.seed = shared.seed;
  options.out = shared.out;
  const train::DeviceChoice device = train::choose_device(shared.device);
  options.device = device.device;
  options.device_reason = device.reason;
  if (options.batch_size <= 0) {
    throw CLI::ValidationError("--batch-size", "--batch-size auto is for the MLP and CNN; give the GPT a number");
  }
  models::run_gpt_job(options, std::cout);
}

void add_generate_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("generate", "Continue a prompt with a GPT trained by `ignis train --model gpt --out DIR`");
  struct Options {
    std::string model, prompt = "\n", device = "auto";
    std::int64_t tokens = 500, top_k = 40;
    double temperature = 0.8;
    std::uint64_t seed = 1337;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("--model", o->model, "The folder of model.safetensors and config.json")->required();
  cmd->add_option("--prompt", o->prompt, "The text to continue (bytes are tokens)");
  cmd->add_option("--tokens", o->tokens, "Bytes to generate")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--temperature", o->temperature, "Below 1: more likely bytes; above 1: more varied")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--top-k", o->top_k, "Sample among the k most likely bytes (0: all)")->capture_default_str();
  cmd->add_option("--seed", o->seed, "Seed of the sampling")->capture_default_str();
  cmd->add_option("--device", o->device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  cmd->callback([o] {
    const train::DeviceChoice device = train::choose_device(o->device);
    models::GPT model = models::load_gpt(o->model, device.device);
    std::vector<std::int64_t> prompt;
    for (const unsigned char c : o->prompt) prompt.push_back(c);
    if (prompt.empty()) prompt.push_back('\n');
    Generator generator(o->seed);
    const Tensor tokens =
        model.generate(from_vector(prompt, {1, static_cast<std::int64_t>(prompt.size())}).to(device.device),
                       {.max_new_tokens = o->tokens,
                        .temperature = o->temperature,
                        .top_k = o->top_k > 0 ? std::optional<std::int64_t>(o->top_k) : std::nullopt,
                        .generator = &generator});
    const Tensor host = tokens.cpu().contiguous();
    std::string text;
    for (std::int64_t i = 0; i < host.size(1); ++i) text += static_cast<char>(host.data_ptr<std::int64_t>()[i]);
    std::cout << text << "\n";
  });
}

}  // namespace ignis::cli
