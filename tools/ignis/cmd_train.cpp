// `ignis train`: the main job (Fashion-MNIST on the best device). Flags map onto TrainJobOptions.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "ignis/io/checkpoint.hpp"
#include "ignis/io/tensorboard_callback.hpp"
#include "ignis/train/train_job.hpp"

namespace ignis::cli {

void add_train_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("train", "Train a model on Fashion-MNIST on the best device and report test accuracy");
  auto options = std::make_shared<train::TrainJobOptions>();
  cmd->add_option("--model", options->model, "Model: mlp (784-256-128-10) or cnn (conv32-pool-conv64-pool-fc128-fc10)")->capture_default_str();
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
  cmd->add_option("--out", options->out, "Folder for results.json, history.csv and model.safetensors (weights, PyTorch names)");
  auto log_dir = std::make_shared<std::string>();
  cmd->add_option("--log-dir", *log_dir, "Folder for TensorBoard logs (loss, accuracy, learning rate per epoch)");
  auto checkpoint_dir = std::make_shared<std::string>();
  cmd->add_option("--checkpoint-dir", *checkpoint_dir,
                  "Save a training checkpoint there after every epoch (the last 3 are kept)");
  cmd->add_option("--resume", options->resume_from,
                  "Continue from the newest checkpoint in this folder (and keep checkpointing there)");
  cmd->callback([options, log_dir, checkpoint_dir] {
    const std::string checkpoints = checkpoint_dir->empty() ? options->resume_from : *checkpoint_dir;
    if (!checkpoints.empty()) {
      options->callbacks.push_back(std::make_shared<io::TrainingCheckpoint>(io::TrainingCheckpointOptions{.directory = checkpoints}));
    }
    if (!options->out.empty()) {
      options->callbacks.push_back(std::make_shared<io::ModelCheckpoint>(
          io::ModelCheckpointOptions{.filepath = (std::filesystem::path(options->out) / "model.safetensors").string()}));
    }
    if (!log_dir->empty()) {
      options->callbacks.push_back(std::make_shared<io::TensorBoard>(io::TensorBoardOptions{.log_dir = *log_dir}));
    }
    train::run_train_job(*options, std::cout);
    if (!log_dir->empty()) std::cout << fmt::format("TensorBoard logs: {} (view with: tensorboard --logdir {})\n", *log_dir, *log_dir);
  });
}

}  // namespace ignis::cli
