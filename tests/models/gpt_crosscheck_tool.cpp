// The ignis side of tests/python/gpt_crosscheck.py (llm.c's test_gpt2 in spirit): a small GPT
// initialised by ignis, one batch, and what training it does, written for PyTorch to repeat:
//   DIR/init.safetensors    the initial state dict (nanoGPT's names, the tied weight under both)
//   DIR/batch.safetensors   idx and targets (int64, (B, T))
//   DIR/step0.safetensors   the logits of the first forward pass and every gradient of its loss
//                           ("grad.<parameter name>")
//   DIR/losses.json         the loss of each of 10 AdamW steps (nanoGPT's optimizer: weight decay
//                           0.1 on matrices only, betas (0.9, 0.99), gradient norm clipped to 1)
// Usage: gpt_crosscheck_tool DIR [DEVICE]. Exit 1 with the message on any error.
#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "ignis/ignis.hpp"
#include "ignis/models/gpt.hpp"

namespace {

using namespace ignis;

constexpr std::int64_t kBatch = 3, kSteps = 10;

int run(const std::string& dir, Device device) {
  const models::GptConfig config{.block_size = 16, .vocab_size = 256, .n_layer = 2, .n_head = 2, .n_embd = 32};
  Generator init(1234);
  models::GPT model(config, &init);
  model.to(device);
  io::save_safetensors(dir + "/init.safetensors", model.state_dict());

  Generator data(99);
  const Tensor tokens = randint(0, config.vocab_size, {kBatch, config.block_size + 1}, {.dtype = kInt64}, &data);
  const Tensor idx = tokens.narrow(1, 0, config.block_size).contiguous();
  const Tensor targets = tokens.narrow(1, 1, config.block_size).contiguous();
  io::save_safetensors(dir + "/batch.safetensors", {{"idx", idx}, {"targets", targets}});

  optim::AdamW optimizer(optim::weight_decay_groups(model.named_parameters(), 0.1),
                         {.lr = 1e-3, .beta1 = 0.9, .beta2 = 0.99, .weight_decay = 0.1});
  const Tensor on_idx = idx.to(device), on_targets = targets.to(device);
  nlohmann::json losses = nlohmann::json::array();
  for (std::int64_t step = 0; step < kSteps; ++step) {
    optimizer.zero_grad();
    const Tensor logits = model.forward(on_idx);
    const Tensor loss =
        nn::functional::cross_entropy(logits.reshape({-1, config.vocab_size}), on_targets.reshape({-1}));
    loss.backward();
    losses.push_back(loss.item().to_double());
    if (step == 0) {
      nn::StateDict out{{"logits", logits.detach().cpu()}};
      for (const auto& [name, p] : model.named_parameters()) out.emplace_back("grad." + name, p.grad().cpu());
      io::save_safetensors(dir + "/step0.safetensors", out);
    }
    optim::clip_grad_norm_(model.parameters(), 1.0);
    optimizer.step();
  }
  std::ofstream(dir + "/losses.json") << losses.dump();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 2) throw ignis::ValueError("usage: gpt_crosscheck_tool DIR [DEVICE]");
    const ignis::Device device = argc > 2 ? ignis::Device(argv[2]) : ignis::Device::cpu();
    if (device.is_cuda() && !ignis::cuda::is_available()) {
      std::cerr << "skipped: CUDA is not usable here (" << ignis::cuda::unavailable_reason().message << ")\n";
      return 77;
    }
    return run(argv[1], device);
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}
