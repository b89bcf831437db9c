#pragma once
// The folder of a model trained on a user's own data (`ignis train --data FILE --out DIR`):
//   DIR/model.json          what is needed to use the model: the task, input shape, hidden
//                           widths, label names, feature columns, standardisation (mean, std)
//   DIR/model.safetensors   the weights (PyTorch names of the MLP's state_dict)
// Both are written atomically. load_model(DIR) rebuilds the model from them, so `ignis predict`,
// `ignis evaluate` and C++ programs use it without the training flags.
#include <string>

#include "ignis/train/user_model.hpp"

namespace ignis::io {

inline constexpr const char* kModelFormat = "ignis-user-model";
inline constexpr int kModelFormatVersion = 1;

/// Writes dir/model.json and dir/model.safetensors (creating dir).
void save_model(const std::string& dir, train::UserModel& model);

/// Reads a folder written by save_model. FormatError names a missing or malformed file and what
/// is wrong (no model.json: "not a model folder; train with ignis train --data FILE --out DIR").
train::UserModel load_model(const std::string& dir);

}  // namespace ignis::io

namespace ignis {
using io::load_model;  // ignis::load_model(DIR), as the README spells it
}  // namespace ignis
