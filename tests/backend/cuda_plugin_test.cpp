// The CUDA plugin loader: what it reports for this build, and its failure reasons.
#include <gtest/gtest.h>

#include <filesystem>

#include "backend/cuda_plugin.hpp"
#include "ignis/backend/cuda.hpp"
#include "ignis/core/build_info.hpp"
#include "support/reference.hpp"

namespace ignis::backend {
namespace {

using State = CudaPluginStatus::State;

TEST(CudaPlugin, StatusMatchesTheBuild) {
  const CudaPluginStatus& status = cuda_plugin_status();
  if (!build_info::kCudaBuilt) {
    EXPECT_EQ(status.state, State::kNotBuilt);
    EXPECT_NE(status.reason.find("built without CUDA"), std::string::npos) << status.reason;
    return;
  }
  // A CUDA build ships the plugin beside libignis and finds it there.
  EXPECT_TRUE(std::filesystem::exists(status.path)) << status.path;
  EXPECT_NE(status.state, State::kNotBuilt);
  EXPECT_NE(status.state, State::kLoadFailed) << status.reason;
  if (status.state == State::kLoaded) {
    EXPECT_NE(status.backend, nullptr);
    EXPECT_TRUE(status.reason.empty());
  } else {
    EXPECT_EQ(status.backend, nullptr);
    EXPECT_FALSE(status.reason.empty());
  }
}

TEST(CudaPlugin, MissingFileReportsTheDlopenError) {
  const CudaPluginStatus status = load_cuda_plugin("/nonexistent/libignis_cuda.so");
  EXPECT_EQ(status.state, State::kLoadFailed);
  EXPECT_NE(status.reason.find("/nonexistent/libignis_cuda.so"), std::string::npos) << status.reason;
  EXPECT_NE(status.reason.find("No such file"), std::string::npos) << status.reason;
}

TEST(CudaPlugin, ALibraryThatIsNotAPluginIsRecognised) {
  // libm is on every Linux system and has none of the plugin's symbols.
  const CudaPluginStatus status = load_cuda_plugin("libm.so.6");
  EXPECT_EQ(status.state, State::kLoadFailed);
  EXPECT_NE(status.reason.find("is not an ignis CUDA plugin"), std::string::npos) << status.reason;
}

TEST(CudaPlugin, AWrongAbiVersionIsRefusedWithWhatToDo) {
  const CudaPluginStatus status = load_cuda_plugin(FAKE_PLUGIN_WRONG_ABI);
  EXPECT_EQ(status.state, State::kLoadFailed);
  EXPECT_EQ(status.backend, nullptr);
  EXPECT_NE(status.reason.find("speaks plugin ABI 999"), std::string::npos) << status.reason;
  EXPECT_NE(status.reason.find("rebuild"), std::string::npos) << status.reason;
}

TEST(CudaPlugin, APluginWithoutTheCudnnEntryPointIsRefusedWithWhatToDo) {
  const CudaPluginStatus status = load_cuda_plugin(FAKE_PLUGIN_NO_CUDNN);
  EXPECT_EQ(status.state, State::kLoadFailed);
  EXPECT_EQ(status.backend, nullptr);
  EXPECT_NE(status.reason.find("lacks ignis_cuda_plugin_cudnn"), std::string::npos) << status.reason;
  EXPECT_NE(status.reason.find("rebuild"), std::string::npos) << status.reason;
}

TEST(CudaPlugin, ADecliningPluginPassesItsClassifiedReasonOn) {
  const CudaPluginStatus status = load_cuda_plugin(FAKE_PLUGIN_DECLINES);
  EXPECT_EQ(status.state, State::kCreateFailed);
  EXPECT_EQ(status.backend, nullptr);
  EXPECT_EQ(status.unavailable_kind, static_cast<int>(cuda::UnavailableKind::kDriverTooOld));
  EXPECT_EQ(status.cuda_error, 35);
  EXPECT_NE(status.reason.find("driver supports CUDA 12.2"), std::string::npos) << status.reason;
  // The cuDNN probe runs before create(), so it is known even where CUDA is not.
  EXPECT_EQ(status.cudnn_state, cuda::CudnnState::kTooOld);
  EXPECT_EQ(status.cudnn_version, 8907);
  EXPECT_NE(status.cudnn_message.find("What to do"), std::string::npos) << status.cudnn_message;
}

TEST(CudaPlugin, TheRealPluginProbesCudnnAtLoadWithoutAGpu) {
  const CudaPluginStatus& status = cuda_plugin_status();
  if (status.state == State::kNotBuilt || status.state == State::kLoadFailed) {
    EXPECT_EQ(cuda::cudnn_status().state, cuda::CudnnState::kNoPlugin);
    EXPECT_NE(cuda::cudnn_status().message.find(status.reason), std::string::npos) << cuda::cudnn_status().message;
    return;
  }
  // Loaded (with or without a GPU): the probe's outcome is there and consistent.
  const cuda::CudnnStatus cudnn = cuda::cudnn_status();
  EXPECT_EQ(cudnn.state, status.cudnn_state);
  EXPECT_NE(cudnn.state, cuda::CudnnState::kNoPlugin);
  if (!build_info::kHaveCudnn) {
    EXPECT_EQ(cudnn.state, cuda::CudnnState::kNotBuilt);
  }
  if (cudnn.state == cuda::CudnnState::kAvailable) {
    EXPECT_GE(cudnn.version, 90000);
    EXPECT_EQ(cuda::cudnn_version(), cudnn.version);
    EXPECT_TRUE(cudnn.message.empty()) << cudnn.message;
  } else {
    EXPECT_EQ(cuda::cudnn_version(), 0);
    EXPECT_NE(cudnn.message.find("What to do"), std::string::npos) << cudnn.message;
  }
}

TEST(CudaPlugin, CudnnVersionsAreSpelledInTheirOwnEncoding) {
  EXPECT_EQ(cuda::cudnn_version_text(91900), "9.19.0");  // cuDNN 9: major * 10000 + minor * 100 + patch
  EXPECT_EQ(cuda::cudnn_version_text(90100), "9.1.0");
  EXPECT_EQ(cuda::cudnn_version_text(8907), "8.9.7");    // cuDNN 8: major * 1000 + minor * 100 + patch
  EXPECT_EQ(cuda::cudnn_version_text(7605), "7.6.5");
  EXPECT_EQ(cuda::cudnn_version_text(0), "");
}

TEST(CudaPlugin, CudnnStatesHaveDistinctStableNames) {
  using cuda::CudnnState;
  EXPECT_STREQ(cuda::name(CudnnState::kAvailable), "available");
  EXPECT_STREQ(cuda::name(CudnnState::kNoPlugin), "no_plugin");
  EXPECT_STREQ(cuda::name(CudnnState::kNotBuilt), "not_built");
  EXPECT_STREQ(cuda::name(CudnnState::kNotFound), "not_found");
  EXPECT_STREQ(cuda::name(CudnnState::kTooOld), "too_old");
  EXPECT_STREQ(cuda::name(CudnnState::kIncomplete), "incomplete");
}

TEST(CudaPlugin, ForDeviceGivesTheCpuBackendOrAReason) {
  EXPECT_EQ(for_device(Device::cpu()).device_type(), DeviceType::kCPU);
  const CudaPluginStatus& status = cuda_plugin_status();
  if (status.backend != nullptr) {
    EXPECT_EQ(for_device(Device::cuda(0)).device_type(), DeviceType::kCUDA);
  } else {
    IGNIS_EXPECT_THROW_MSG(for_device(Device::cuda(0)), BackendUnavailableError, status.reason.c_str());
  }
}

}  // namespace
}  // namespace ignis::backend
