// Stand-ins for libcudnn.so.9 that exercise the CUDA plugin's cuDNN probe on any machine (it
// needs no GPU): FAKE_CUDNN_VERSION is what cudnnGetVersion() returns. Below 90000 the probe
// must say "too old"; at 9.x this library lacks every other entry point, so it must say
// "incomplete" and name them.
#include <cstddef>

extern "C" std::size_t cudnnGetVersion() { return FAKE_CUDNN_VERSION; }
