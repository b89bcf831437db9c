#include "symbol_names.hpp"

#include <cxxabi.h>
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <memory>

namespace ignis::cuda_sim {

namespace {

/// The mangled name of the STT_FUNC symbol whose value is `offset` in the ELF image [data, +size).
std::string symbol_at(const unsigned char* data, std::size_t size, std::uintptr_t offset) {
  if (size < sizeof(Elf64_Ehdr) || std::memcmp(data, ELFMAG, SELFMAG) != 0 || data[EI_CLASS] != ELFCLASS64) return {};
  const auto* eh = reinterpret_cast<const Elf64_Ehdr*>(data);
  if (eh->e_shoff == 0 || eh->e_shoff + std::size_t{eh->e_shnum} * sizeof(Elf64_Shdr) > size) return {};
  const auto* sections = reinterpret_cast<const Elf64_Shdr*>(data + eh->e_shoff);
  for (unsigned i = 0; i < eh->e_shnum; ++i) {
    const Elf64_Shdr& symtab = sections[i];
    if (symtab.sh_type != SHT_SYMTAB || symtab.sh_link >= eh->e_shnum) continue;
    const Elf64_Shdr& strtab = sections[symtab.sh_link];
    if (symtab.sh_offset + symtab.sh_size > size || strtab.sh_offset + strtab.sh_size > size) return {};
    const auto* symbols = reinterpret_cast<const Elf64_Sym*>(data + symtab.sh_offset);
    for (std::size_t k = 0; k < symtab.sh_size / sizeof(Elf64_Sym); ++k) {
      const Elf64_Sym& s = symbols[k];
      if (ELF64_ST_TYPE(s.st_info) == STT_FUNC && s.st_value == offset && s.st_name < strtab.sh_size) {
        return reinterpret_cast<const char*>(data + strtab.sh_offset + s.st_name);
      }
    }
  }
  return {};
}

}  // namespace

std::string function_name(const void* address) {
  Dl_info info{};
  if (dladdr(address, &info) == 0 || info.dli_fname == nullptr) return {};
  std::string mangled = info.dli_sname != nullptr ? info.dli_sname : "";
  if (mangled.empty()) {  // internal linkage: only in the static symbol table of the module's file
    const int fd = open(info.dli_fname, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return {};
    struct stat st {};
    void* map = fstat(fd, &st) == 0
                    ? mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0)
                    : MAP_FAILED;
    close(fd);
    if (map == MAP_FAILED) return {};
    const std::uintptr_t offset =
        reinterpret_cast<std::uintptr_t>(address) - reinterpret_cast<std::uintptr_t>(info.dli_fbase);
    mangled = symbol_at(static_cast<const unsigned char*>(map), static_cast<std::size_t>(st.st_size), offset);
    munmap(map, static_cast<std::size_t>(st.st_size));
    if (mangled.empty()) return {};
  }
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> demangled(abi::__cxa_demangle(mangled.c_str(), nullptr, nullptr, &status),
                                                   std::free);
  return status == 0 && demangled ? demangled.get() : mangled;
}

}  // namespace ignis::cuda_sim
