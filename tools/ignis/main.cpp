// The ignis command line: parses arguments and calls the library, nothing else.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <exception>

#include "commands.hpp"
#include "ignis/core/build_info.hpp"
#include "ignis/core/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"ignis: train neural networks on NVIDIA GPUs, with a first-class CPU fallback"};
  app.set_version_flag("--version", std::string("ignis ") + ignis::build_info::kVersion);
  app.require_subcommand(1);
  int exit_code = 0;  // set by commands whose result is a status (doctor)
  ignis::cli::add_train_command(app);
  ignis::cli::add_generate_command(app);
  ignis::cli::add_predict_command(app);
  ignis::cli::add_evaluate_command(app);
  ignis::cli::add_info_command(app);
  ignis::cli::add_doctor_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const ignis::Error& e) {
    fmt::print(stderr, "ignis: error: {}\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "ignis: unexpected error: {}\n", e.what());
    return 1;
  }
  return exit_code;
}
