#pragma once
// Names of functions with internal linkage (the kernels live in anonymous namespaces), which
// dladdr cannot give: they are only in the module's static symbol table (.symtab), read from its
// file on disk. For the simulator's messages; slow, so call it only when one is printed.
#include <string>

namespace ignis::cuda_sim {

/// The demangled name of the function that starts at `address`, or "" when the module's file
/// has no symbol table (stripped) or no function there.
std::string static_function_name(const void* address);

}  // namespace ignis::cuda_sim
