# Every dependency comes from Debian (scripts/setup installs them); see the README's list.
find_package(OpenMP REQUIRED COMPONENTS CXX)
# oneDNN: Debian's dnnl-config.cmake insists on OpenCL development files (its GPU runtime),
# which ignis does not use, so the library and header are located directly.
find_path(IGNIS_DNNL_INCLUDE oneapi/dnnl/dnnl.h REQUIRED)
find_library(IGNIS_DNNL_LIBRARY dnnl REQUIRED)
add_library(DNNL::dnnl UNKNOWN IMPORTED)
set_target_properties(DNNL::dnnl PROPERTIES IMPORTED_LOCATION ${IGNIS_DNNL_LIBRARY}
                      INTERFACE_INCLUDE_DIRECTORIES ${IGNIS_DNNL_INCLUDE})
file(STRINGS ${IGNIS_DNNL_INCLUDE}/oneapi/dnnl/dnnl_version.h _dnnl_v REGEX "#define DNNL_VERSION_(MAJOR|MINOR|PATCH) ")
string(REGEX REPLACE ".*MAJOR ([0-9]+).*MINOR ([0-9]+).*PATCH ([0-9]+).*" "\\1.\\2.\\3" dnnl_VERSION "${_dnnl_v}")
find_package(fmt CONFIG REQUIRED)
find_package(nlohmann_json CONFIG REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(ZLIB REQUIRED)
find_package(Threads REQUIRED)
if(IGNIS_BUILD_TESTS)
  find_package(GTest CONFIG REQUIRED)
endif()
if(IGNIS_BUILD_BENCH)
  find_package(benchmark CONFIG REQUIRED)
endif()
