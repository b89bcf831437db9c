// Saves training checkpoints under argv[1] in an endless loop, numbering them on from the newest
// one present, until it is killed: the writer that checkpoint_test.cpp kills mid-save.
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <string>

#include "ignis/ignis.hpp"

int main(int argc, char** argv) {
  using namespace ignis;
  if (argc != 2) {
    std::cerr << "usage: checkpoint_crash_helper DIR\n";
    return 2;
  }
  const std::string dir = argv[1];
  manual_seed(1);
  // About 270 KB of weights and twice that of Adam state: a save takes long enough to be
  // interrupted in the middle.
  nn::Sequential model(nn::Linear(256, 256), nn::ReLU(), nn::Linear(256, 10));
  optim::Adam adam(model.parameters());
  train::TrainingContext ctx{&model, &adam};
  const auto all = io::list_checkpoints(dir);
  std::int64_t epoch = all.empty() ? 0 : std::stoll(std::filesystem::path(all.back()).filename().string().substr(5));
  for (;;) {
    for (const Tensor& p : model.parameters()) {
      Tensor t = p;
      NoGradGuard no_grad;
      t.copy_(randn(p.shape()));
    }
    io::save_checkpoint(dir, ctx, ++epoch, 3);
  }
}
