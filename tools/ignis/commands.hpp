#pragma once
// Subcommands of the ignis CLI. Each registers its options on the app and runs when chosen.
#include <CLI/CLI.hpp>

namespace ignis::cli {

/// `ignis info`: version, build, dependencies, CPU, threads and devices.
void add_info_command(CLI::App& app);

}  // namespace ignis::cli
