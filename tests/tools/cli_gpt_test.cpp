// `ignis train --model gpt` and `ignis generate` through the executable.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "support/reference.hpp"
#include "tools/cli_run.hpp"

namespace {

using ignis::testing::CliResult;
using ignis::testing::run;

// A small GPT on a small text: trains, reports the validation loss over every window, writes
// the folder, and `ignis generate` continues a prompt from it.
TEST(CliTrain, GptTrainsOnATextFileAndGenerates) {
  const auto dir = ignis::testing::unique_temp_path("ignis_cli_gpt_test");
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  {
    std::ofstream text(dir / "text.txt", std::ios::binary);
    for (int i = 0; i < 400; ++i) text << "the quick brown fox jumps over the lazy dog " << i % 7 << "\n";
  }
  const std::string common = "train --model gpt --data " + (dir / "text.txt").string() +
                             " --layers 1 --heads 2 --embd 32 --block-size 32 --batch-size 8 --device cpu";
  const CliResult r = run(common + " --steps 40 --warmup 5 --eval-every 20 --sample-tokens 40 --out " +
                          (dir / "model").string());
  ASSERT_EQ(r.status, 0) << r.output;
  for (const char* part : {"Model: GPT, 1 layers, 2 heads, 32 channels", "step    40/40", "validation loss",
                           "Validation loss: ", "tok/s", "Sample (temperature"}) {
    EXPECT_NE(r.output.find(part), std::string::npos) << part << "\n" << r.output;
  }
  std::ifstream f(dir / "model" / "results.json");
  const auto j = nlohmann::json::parse(f);
  const double validation = j["validation_loss"].get<double>();
  EXPECT_LT(validation, std::log(256.0) - 1.0) << "far below uniform over bytes after 40 steps";
  // 10% of 400 lines of 46-47 bytes is about 1,870 bytes: 58 windows of 32 bytes.
  EXPECT_GT(j["validation_windows"].get<int>(), 50);
  EXPECT_EQ(j["config"]["n_embd"], 32);
  EXPECT_EQ(j["history"].size(), 40u);
  for (const char* file : {"model.safetensors", "config.json", "report.html", "sample.txt"}) {
    EXPECT_TRUE(std::filesystem::exists(dir / "model" / file)) << file;
  }
  const CliResult g = run("generate --model " + (dir / "model").string() + " --prompt 'the quick' --tokens 20 --top-k 5 --device cpu");
  ASSERT_EQ(g.status, 0) << g.output;
  EXPECT_EQ(g.output.rfind("the quick", 0), 0u) << g.output;
  EXPECT_EQ(g.output.size(), 9u + 20u + 1u) << g.output;  // prompt, 20 bytes, newline
  EXPECT_NE(run(common + " --epochs 2").output.find("--steps"), std::string::npos);
  const CliResult missing = run("generate --model " + (dir / "nothing").string());
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.output.find("config.json not found"), std::string::npos) << missing.output;
  std::filesystem::remove_all(dir);
}

}  // namespace
