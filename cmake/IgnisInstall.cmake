# `cmake --install build --prefix P`: the public headers (with the generated build_info.hpp),
# libignis, the CUDA plugin beside it (libignis finds it relative to itself, so a moved prefix
# still works), the `ignis` tool, the CMake package (find_package(ignis CONFIG): the target
# ignis::ignis, the component `cuda`) and ignis.pc for pkg-config. Install components (one Debian
# package each, cmake/IgnisPackage.cmake): runtime (library and tool), cuda (the plugin), dev. Every path inside the package
# files is relative to the prefix, so the installed tree can be moved or packaged (cpack).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(IGNIS_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/ignis)

# Run paths relative to the installed files: the tool finds libignis in ../lib*, the plugin
# finds libignis beside itself (and the CUDA libraries where the build found them).
file(RELATIVE_PATH _bin_to_lib /${CMAKE_INSTALL_BINDIR} /${CMAKE_INSTALL_LIBDIR})
set_target_properties(ignis_cli PROPERTIES INSTALL_RPATH "$ORIGIN/${_bin_to_lib}")
set_target_properties(ignis PROPERTIES VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR})
target_include_directories(ignis PUBLIC $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)

install(TARGETS ignis EXPORT ignisTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev)
install(TARGETS ignis_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
if(TARGET ignis_cuda)
  set_target_properties(ignis_cuda PROPERTIES INSTALL_RPATH "$ORIGIN" INSTALL_RPATH_USE_LINK_PATH ON)
  install(TARGETS ignis_cuda LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT cuda)
endif()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/ignis DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)
install(FILES ${CMAKE_BINARY_DIR}/generated/ignis/core/build_info.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ignis/core COMPONENT dev)

install(EXPORT ignisTargets NAMESPACE ignis:: DESTINATION ${IGNIS_INSTALL_CMAKEDIR} COMPONENT dev)
set(IGNIS_CUDA_PLUGIN_FILE "")
if(TARGET ignis_cuda)
  set(IGNIS_CUDA_PLUGIN_FILE "${CMAKE_INSTALL_LIBDIR}/libignis_cuda.so")
endif()
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/ignisConfig.cmake.in
                              ${CMAKE_BINARY_DIR}/package/ignisConfig.cmake
                              INSTALL_DESTINATION ${IGNIS_INSTALL_CMAKEDIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/package/ignisConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/package/ignisConfig.cmake ${CMAKE_BINARY_DIR}/package/ignisConfigVersion.cmake
        DESTINATION ${IGNIS_INSTALL_CMAKEDIR} COMPONENT dev)

# pkg-config: the prefix is found from the .pc file's own folder (pkgconf's ${pcfiledir}).
file(RELATIVE_PATH IGNIS_PC_TO_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
string(REGEX REPLACE "/$" "" IGNIS_PC_TO_PREFIX "${IGNIS_PC_TO_PREFIX}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/ignis.pc.in ${CMAKE_BINARY_DIR}/package/ignis.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/package/ignis.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)
