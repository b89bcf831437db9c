// `ignis train`: the main job (Fashion-MNIST, or the user's own data, on the best device). Flags
// map onto TrainJobOptions; with the user's data and --out, the model folder is saved here (the
// io layer sits above train).
#include <fmt/format.h>

#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "ignis/io/checkpoint.hpp"
#include "ignis/io/model_folder.hpp"
#include "ignis/io/tensorboard_callback.hpp"
#include "ignis/train/train_job.hpp"

namespace ignis::cli {

void add_train_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "train", "Train a model on the best device (Fashion-MNIST, or your data: --data FILE.csv|.npz|.npy) and report "
               "held-out results");
  auto options = std::make_shared<train::TrainJobOptions>();
  cmd->add_option("--model", options->model,
                  "Model: mlp (784-256-128-10), cnn (conv32-pool-conv64-pool-fc128-fc10), or gpt (a byte-level GPT "
                  "on a text file: the King James Bible, or --data FILE)")
      ->capture_default_str();
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
  cmd->add_option("--data", options->data,
                  "A folder with the four Fashion-MNIST IDX files, or your data: a CSV file with a header row, an NPZ "
                  "archive with arrays x and y, or an NPY or IDX file of features (with --targets)")
      ->capture_default_str();
  cmd->add_option("--target", options->target, "CSV: the target column (default: the last column)");
  cmd->add_option("--targets", options->targets, "NPY or IDX: the file of targets, one per example of --data");
  cmd->add_option("--task", options->task,
                  "auto (text or integer targets: classification; fractional: regression), classification or "
                  "regression")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "classification", "regression"}));
  cmd->add_option("--validation-split", options->validation_split,
                  "Your data: the fraction held out (shuffled with --seed) for validation")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.99));
  cmd->add_flag("--normalize", options->normalize,
                "Your data: standardise each feature with the training split's mean and standard deviation");
  cmd->add_option_function<std::string>(
         "--hidden",
         [options](const std::string& value) {
           options->hidden.clear();
           std::size_t start = 0;
           while (start <= value.size()) {
             const std::size_t end = std::min(value.find(',', start), value.size());
             const std::string item = value.substr(start, end - start);
             std::size_t used = 0;
             long long n = 0;
             try {
               n = std::stoll(item, &used);
             } catch (const std::exception&) {
               used = 0;
             }
             if (item.empty() || used != item.size() || n < 1) {
               throw CLI::ValidationError("--hidden", "must be positive widths separated by commas, e.g. 256,128; got " + value);
             }
             options->hidden.push_back(n);
             start = end + 1;
           }
         },
         "Your data: the MLP's hidden ReLU layers, widths separated by commas")
      ->default_str("256,128");
  cmd->add_option("--seed", options->seed, "Seed of initialisation and shuffling")->capture_default_str();
  cmd->add_option("--out", options->out, "Folder for results.json, history.csv and model.safetensors (weights, PyTorch names)");
  auto log_dir = std::make_shared<std::string>();
  cmd->add_option("--log-dir", *log_dir, "Folder for TensorBoard logs (loss, accuracy, learning rate per epoch)");
  auto checkpoint_dir = std::make_shared<std::string>();
  cmd->add_option("--checkpoint-dir", *checkpoint_dir,
                  "Save a training checkpoint there after every epoch (the last 3 are kept)");
  cmd->add_option("--resume", options->resume_from,
                  "Continue from the newest checkpoint in this folder (and keep checkpointing there)");
  auto gpt = add_gpt_train_options(*cmd);
  cmd->callback([cmd, options, log_dir, checkpoint_dir, gpt] {
    if (options->model == "gpt") {
      run_gpt_training(*cmd, *options, *gpt);
      return;
    }
    const std::string checkpoints = checkpoint_dir->empty() ? options->resume_from : *checkpoint_dir;
    if (!checkpoints.empty()) {
      options->callbacks.push_back(std::make_shared<io::TrainingCheckpoint>(io::TrainingCheckpointOptions{.directory = checkpoints}));
    }
    if (!options->out.empty() && std::filesystem::is_directory(options->data)) {  // Fashion-MNIST's weights
      options->callbacks.push_back(std::make_shared<io::ModelCheckpoint>(
          io::ModelCheckpointOptions{.filepath = (std::filesystem::path(options->out) / "model.safetensors").string()}));
    }
    if (!log_dir->empty()) {
      options->callbacks.push_back(std::make_shared<io::TensorBoard>(io::TensorBoardOptions{.log_dir = *log_dir}));
    }
    const train::TrainJobResult result = train::run_train_job(*options, std::cout);
    if (result.user_model && !options->out.empty()) {
      io::save_model(options->out, *result.user_model);
      std::cout << fmt::format("Model: {0}/model.json and model.safetensors (use it: ignis predict --model {0} --data "
                               "FILE)\nResults: {0}/results.json, history.csv and report.html\n",
                               options->out);
    }
    if (!log_dir->empty()) std::cout << fmt::format("TensorBoard logs: {} (view with: tensorboard --logdir {})\n", *log_dir, *log_dir);
  });
}

}  // namespace ignis::cli
