#include "dynamic_library.hpp"

#include <dlfcn.h>
#include <link.h>

#include <filesystem>

namespace ignis::diag::detail {

namespace {

void* open_library(const std::string& name, LibraryLoad& record) {
  record = LibraryLoad{};
  record.requested = name;
  dlerror();  // clear a stale error
  void* handle = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* err = dlerror();
    record.error = err ? err : "dlopen failed without a message";
    return nullptr;
  }
  record.loaded = true;
  link_map* map = nullptr;
  if (dlinfo(handle, RTLD_DI_LINKMAP, &map) == 0 && map != nullptr && map->l_name != nullptr &&
      map->l_name[0] != '\0') {
    record.path = map->l_name;
  } else {
    record.path = name;
  }
  std::error_code ec;
  const auto real = std::filesystem::canonical(record.path, ec);
  record.real_path = ec ? record.path : real.string();
  return handle;
}

Observation load_observation(const LibraryLoad& record) {
  Observation o{Observation::Method::kDlopen, record.requested, {}};
  if (!record.loaded) {
    o.result = "not loaded: " + record.error;
  } else if (record.real_path != record.path) {
    o.result = "loaded from " + record.path + " (" + record.real_path + ")";
  } else {
    o.result = "loaded from " + record.path;
  }
  return o;
}

}  // namespace

void* load_library(const std::string& name, LibraryLoad& record,
                   std::vector<Observation>& observations) {
  void* handle = open_library(name, record);
  observations.push_back(load_observation(record));
  return handle;
}

void* raw_symbol(void* handle, const char* name) { return handle ? dlsym(handle, name) : nullptr; }

std::string version_from_file_name(const std::string& path, const std::string& stem) {
  const std::string file = std::filesystem::path(path).filename().string();
  const std::string prefix = stem + ".so.";
  if (!file.starts_with(prefix)) return "";
  const std::string rest = file.substr(prefix.size());
  // "1" is the soname version, not the driver's; a driver version has dots ("550.54.14").
  return rest.find('.') == std::string::npos ? "" : rest;
}

}  // namespace ignis::diag::detail
