// The version tables compiled from data/gpu_compat.json, and Version's ordering.
#include "ignis/diag/compat_tables.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "ignis/core/error.hpp"
#include "support/reference.hpp"

namespace ignis::diag {
namespace {

TEST(Version, ParsesAndComparesPartByPart) {
  EXPECT_EQ(Version::parse("580.65.06").str(), "580.65.06");  // as written
  EXPECT_TRUE(Version::parse("580.65.06") == Version::parse("580.65.06"));
  EXPECT_EQ(Version::parse("2.5.1+cu124").str(), "2.5.1");
  EXPECT_EQ(Version::parse("13.0.88").major(), 13);
  EXPECT_TRUE(Version::parse("garbage").empty());
  EXPECT_TRUE(Version::parse("570.26") < Version::parse("570.124.06"));  // not a string comparison
  EXPECT_TRUE(Version::parse("525.60.13") < Version::parse("580"));
  EXPECT_TRUE(Version::parse("12.0") == Version::parse("12"));
  EXPECT_EQ(Version::from_cuda_int(12040).str(), "12.4");
  EXPECT_EQ(Version::from_cuda_int(13000).str(), "13.0");
}

TEST(CompatTables, CompiledTablesCarryNvidiasFigures) {
  const CompatTables& t = compat_tables();
  EXPECT_EQ(t.family_min_driver(13)->str(), "580");
  EXPECT_EQ(t.family_min_driver(12)->str(), "525.60.13");
  EXPECT_EQ(t.family_min_driver(11)->str(), "450.80.02");
  EXPECT_FALSE(t.family_min_driver(9).has_value());
  EXPECT_EQ(t.toolkit_driver(Version::parse("13.0.88"))->str(), "580.65.06");
  EXPECT_EQ(t.toolkit_driver(Version::parse("12.8"))->str(), "570.26");
  EXPECT_EQ(t.toolkit_driver(Version::parse("12.4"))->str(), "550.54.14");
  EXPECT_EQ(t.architectures_of(Version::parse("13.0.88"))->min_cc.str(), "7.5");
  EXPECT_EQ(t.architectures_of(Version::parse("12.4"))->max_cc.str(), "9.0");
  EXPECT_EQ(t.newest_toolkit_for(Version::parse("6.1"))->str(), "12.9");
  EXPECT_EQ(t.newest_toolkit_for(Version::parse("9.0"))->str(), "13.0");
  EXPECT_FALSE(t.newest_toolkit_for(Version::parse("3.0")).has_value());
  EXPECT_NE(t.family_name(Version::parse("6.1")).find("Pascal: GeForce GTX 10 series"), std::string::npos);
  EXPECT_EQ(t.torch_install_command("cu126"),
            "pip install torch --index-url https://download.pytorch.org/whl/cu126");
  EXPECT_EQ(t.torch_builds().front().index, "cu130");
  EXPECT_EQ(t.sources().size(), 6u);
  for (const auto& s : t.sources())
    EXPECT_NE(s.find("http"), std::string::npos) << "every table names a source: " << s;
}

TEST(CompatTables, TheDataFileIsTheOneCompiledIn) {
  std::ifstream in(std::string(IGNIS_SOURCE_DIR) + "/data/gpu_compat.json");
  ASSERT_TRUE(in) << "data/gpu_compat.json";
  std::stringstream text;
  text << in.rdbuf();
  const CompatTables fresh = CompatTables::parse(text.str());
  EXPECT_EQ(fresh.sources(), compat_tables().sources());
  EXPECT_EQ(fresh.toolkit_driver(Version::parse("13.0"))->str(),
            compat_tables().toolkit_driver(Version::parse("13.0"))->str());
}

TEST(CompatTables, MalformedTablesAreFormatErrors) {
  IGNIS_EXPECT_THROW_MSG(CompatTables::parse("{"), FormatError, "[gpu_compat.json]",
                         "not valid JSON");
  IGNIS_EXPECT_THROW_MSG(CompatTables::parse("{}"), FormatError, "lacks \"driver_families\"");
  IGNIS_EXPECT_THROW_MSG(
      CompatTables::parse(
          R"({"driver_families": {"families": []}, "toolkit_drivers": {}, "toolkit_architectures": {},
                              "architectures": {}, "pytorch": {}, "tensorflow": {}})"),
      FormatError, "driver_families", "lacks \"source\"");
}

}  // namespace
}  // namespace ignis::diag
