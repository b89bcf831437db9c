# Debian packages of an installed ignis (scripts/package; cpack -G DEB), one per install
# component of cmake/IgnisInstall.cmake:
#   ignis        libignis and the `ignis` tool; its Depends come from dpkg-shlibdeps (oneDNN,
#                fmt, zlib, libgomp, libstdc++ as Debian packages them)
#   ignis-cuda   the CUDA plugin; it needs the CUDA 13 runtime and cuBLAS, which are NVIDIA's,
#                not Debian's (the toolkit at /usr/local/cuda, or NVIDIA's packages), so they
#                are named in its description rather than in Depends
#   ignis-dev    headers, the CMake package and ignis.pc
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ignis)
set(CPACK_PACKAGE_VENDOR "the ignis developers")
set(CPACK_PACKAGE_CONTACT "ignis developers <ignis@localhost>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime dev)
if(TARGET ignis_cuda)
  list(APPEND CPACK_COMPONENTS_ALL cuda)
endif()
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME ignis)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
string(CONCAT CPACK_COMPONENT_RUNTIME_DESCRIPTION
    "train neural networks on NVIDIA GPUs through CUDA, with a CPU fallback\n"
    "libignis (tensors, autograd, layers, optimizers, a Keras-style fit) and the ignis tool:\n"
    "ignis train, ignis info, ignis doctor (why the GPU is or is not used). Install ignis-cuda\n"
    "to train on a GPU.")
set(CPACK_DEBIAN_CUDA_PACKAGE_NAME ignis-cuda)
set(CPACK_DEBIAN_CUDA_PACKAGE_SHLIBDEPS OFF)
set(CPACK_DEBIAN_CUDA_PACKAGE_DEPENDS "ignis (= ${PROJECT_VERSION}), libfmt9")
string(CONCAT CPACK_COMPONENT_CUDA_DESCRIPTION
    "CUDA backend of ignis\n"
    "The plugin libignis loads at run time to train on NVIDIA GPUs (CUDA ${IGNIS_CUDA_TOOLKIT_VERSION}).\n"
    "Needs the NVIDIA driver and the CUDA runtime and cuBLAS of CUDA ${IGNIS_CUDA_TOOLKIT_VERSION} on the\n"
    "loader's path (NVIDIA's toolkit at /usr/local/cuda, or NVIDIA's packages). `ignis doctor` says\n"
    "what is missing.")
set(CPACK_DEBIAN_DEV_PACKAGE_NAME ignis-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "ignis (= ${PROJECT_VERSION})")
string(CONCAT CPACK_COMPONENT_DEV_DESCRIPTION
    "development files of ignis\n"
    "C++20 headers, the CMake package (find_package(ignis CONFIG), target ignis::ignis) and\n"
    "ignis.pc for pkg-config.")
include(CPack)
