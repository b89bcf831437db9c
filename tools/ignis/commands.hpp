#pragma once
// Subcommands of the ignis CLI. Each registers its options on the app and runs when chosen.
#include <CLI/CLI.hpp>

namespace ignis::cli {

/// `ignis train`: the main job.
void add_train_command(CLI::App& app);

/// `ignis predict` / `ignis evaluate`: a model folder of `ignis train --data FILE --out DIR`
/// used on new data.
void add_predict_command(CLI::App& app);
void add_evaluate_command(CLI::App& app);

/// `ignis info`: version, build, dependencies, CPU, threads and devices.
void add_info_command(CLI::App& app);

/// `ignis doctor`: the diagnosis of the GPU stack; sets `exit_code` (0 = a GPU is usable).
void add_doctor_command(CLI::App& app, int& exit_code);

}  // namespace ignis::cli
