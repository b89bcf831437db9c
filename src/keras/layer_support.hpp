#pragma once
// Helpers shared by the Keras layer files (internal).
#include <memory>
#include <string>

#include "ignis/nn/module.hpp"

namespace ignis::keras::detail {

/// Keras's automatic names: dense, dense_1, dense_2, ...
std::string unique_name(const std::string& base);
/// The module of a Keras activation name (null for "" and "linear"); ValueError for others.
std::shared_ptr<nn::Module> activation_module(const std::string& name);

}  // namespace ignis::keras::detail
