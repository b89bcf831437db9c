#pragma once
// Subcommands of the ignis CLI. Each registers its options on the app and runs when chosen.
#include <CLI/CLI.hpp>
#include <memory>

#include "ignis/models/gpt_job.hpp"
#include "ignis/train/train_job.hpp"

namespace ignis::cli {

/// `ignis train`: the main job.
void add_train_command(CLI::App& app);

/// `ignis train --model gpt`: the GPT's own flags on `train`, and its run with the flags both share.
std::shared_ptr<models::GptJobOptions> add_gpt_train_options(CLI::App& train);
void run_gpt_training(CLI::App& train, const train::TrainJobOptions& shared, models::GptJobOptions options);
/// `ignis generate`: text from a GPT folder.
void add_generate_command(CLI::App& app);

/// `ignis predict` / `ignis evaluate`: a model folder of `ignis train --data FILE --out DIR`
/// used on new data.
void add_predict_command(CLI::App& app);
void add_evaluate_command(CLI::App& app);

/// `ignis info`: version, build, dependencies, CPU, threads and devices.
void add_info_command(CLI::App& app);

/// `ignis doctor`: the diagnosis of the GPU stack; sets `exit_code` (0 = a GPU is usable).
void add_doctor_command(CLI::App& app, int& exit_code);

}  // namespace ignis::cli
