// The ignis executable: help for every command and `ignis info` telling the truth.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "ignis/core/build_info.hpp"

namespace {

struct CliResult {
  int status;
  std::string output;
};

/// Runs the ignis executable with `args` (and environment assignments `env`, e.g. "X=1").
CliResult run(const std::string& args, const std::string& env = "") {
  const std::string command = "env " + env + " " + std::string(IGNIS_CLI_PATH) + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf{};
  while (pipe && fgets(buf.data(), buf.size(), pipe)) out += buf.data();
  const int status = pipe ? pclose(pipe) : -1;
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST(Cli, HelpForTheProgramAndEveryCommand) {
  const CliResult top = run("--help");
  EXPECT_EQ(top.status, 0);
  EXPECT_NE(top.output.find("info"), std::string::npos) << top.output;
  const CliResult info = run("info --help");
  EXPECT_EQ(info.status, 0);
  EXPECT_NE(info.output.find("--json"), std::string::npos) << info.output;
}

TEST(Cli, VersionAndUnknownCommands) {
  EXPECT_NE(run("--version").output.find(ignis::build_info::kVersion), std::string::npos);
  const CliResult bad = run("frobnicate");
  EXPECT_NE(bad.status, 0);
  const CliResult none = run("");
  EXPECT_NE(none.status, 0);
}

TEST(Cli, InfoJsonReportsTheBuildTruthfully) {
  const CliResult r = run("info --json");
  ASSERT_EQ(r.status, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["version"], ignis::build_info::kVersion);
  EXPECT_EQ(j["cuda"]["built"], ignis::build_info::kCudaBuilt);
  EXPECT_EQ(j["cuda"]["architectures"].empty(), !ignis::build_info::kCudaBuilt);
  if (!j["cuda"]["available"].get<bool>()) {
    EXPECT_FALSE(j["cuda"]["reason"].get<std::string>().empty());
  }
  EXPECT_FALSE(j["libraries"]["onednn"].get<std::string>().empty());
  EXPECT_GE(j["cpu"]["threads"].get<int>(), 1);
  EXPECT_GE(j["cpu"]["logical_cores"].get<int>(), 1);
}

TEST(Cli, InfoTextHasItsSectionsAndHonoursOmpNumThreads) {
  const CliResult r = run("info");
  ASSERT_EQ(r.status, 0) << r.output;
  for (const char* section : {"Build", "CUDA backend", "oneDNN", "CPU", "threads", "Devices"}) {
    EXPECT_NE(r.output.find(section), std::string::npos) << section;
  }
  const CliResult forced = run("info --json", "OMP_NUM_THREADS=1");
  ASSERT_EQ(forced.status, 0) << forced.output;
  const auto j = nlohmann::json::parse(forced.output);
  EXPECT_EQ(j["cpu"]["threads"], 1);
  EXPECT_EQ(j["cpu"]["omp_num_threads"], "1");
}

}  // namespace
