// `ignis train`: the main job (Fashion-MNIST on the best device). Flags map onto TrainJobOptions.
#include <iostream>

#include "commands.hpp"
#include "ignis/train/train_job.hpp"

namespace ignis::cli {

void add_train_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("train", "Train a model on Fashion-MNIST on the best device and report test accuracy");
  auto options = std::make_shared<train::TrainJobOptions>();
  cmd->add_option("--model", options->model, "Model: mlp (784-256-128-10) or cnn (conv32-pool-conv64-pool-fc128-fc10)")->capture_default_str();
  cmd->add_option("--epochs", options->epochs, "Passes over the training set")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--batch-size", options->batch_size, "Samples per step")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--lr", options->lr, "Learning rate")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--optimizer", options->optimizer, "sgd, adam, adamw or rmsprop")
      ->capture_default_str()
      ->check(CLI::IsMember({"sgd", "adam", "adamw", "rmsprop"}));
  cmd->add_option("--device", options->device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--data", options->data, "Folder with the four Fashion-MNIST IDX files")->capture_default_str();
  cmd->add_option("--seed", options->seed, "Seed of initialisation and shuffling")->capture_default_str();
  cmd->add_option("--out", options->out, "Folder for results.json and history.csv");
  cmd->callback([options] { train::run_train_job(*options, std::cout); });
}

}  // namespace ignis::cli
