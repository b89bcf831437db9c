// `ignis train`: the main job (Fashion-MNIST on the best device). Flags map onto TrainJobOptions.
#include <iostream>

#include "commands.hpp"
#include "ignis/train/train_job.hpp"

namespace ignis::cli {

void add_train_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("train", "Train a model on Fashion-MNIST on the best device and report test accuracy");
  auto options = std::make_shared<train::TrainJobOptions>();
  cmd->add_option("--model", options->model, "Model: mlp")->capture_default_str();
  cmd->add_option("--epochs", options->epochs, "Passes over the training set")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option_function<std::string>(
         "--batch-size",
         [options](const std::string& value) {
           if (value == "auto") {
             options->batch_size = train::kAutoBatchSize;
             return;
           }
           std::size_t used = 0;
           long long n = 0;
           try {
             n = std::stoll(value, &used);
           } catch (const std::exception&) {
             used = 0;
           }
           if (used != value.size() || n < 1) {
             throw CLI::ValidationError("--batch-size", "must be a positive number or auto, got " + value);
           }
           options->batch_size = n;
         },
         "Samples per step, or auto: the largest batch (up to 8192) whose step fits in the device's memory or "
         "IGNIS_MEMORY_LIMIT")
      ->default_str("64");
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
