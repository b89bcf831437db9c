// The ignis command line: parses arguments and calls the library, nothing else.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <exception>

#include "commands.hpp"
#include "ignis/core/build_info.hpp"
#include "ignis/core/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"ignis: train neural networks on NVIDIA GPUs, with a first-class CPU fallback"};
  app.set_version_flag("--version", std::string("ignis ") + ignis::build_info::kVersion);
  app.require_subcommand(1);
  ignis::cli::add_info_command(app);
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
  return 0;
}
