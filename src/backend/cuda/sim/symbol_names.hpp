#pragma once
// Function names for the simulator's messages, also of functions with internal linkage (the
// kernels live in anonymous namespaces), which dladdr cannot name: those are read from the
// module's static symbol table (.symtab) in its file on disk. Slow: call it only when a message
// is printed.
#include <string>

namespace ignis::cuda_sim {

/// The demangled name of the function that starts at `address` (its dynamic symbol, else its
/// static one), or "" when neither exists (a stripped module).
std::string function_name(const void* address);

}  // namespace ignis::cuda_sim
