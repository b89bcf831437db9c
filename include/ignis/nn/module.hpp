#pragma once
// Module: a layer or model with named parameters, buffers and submodules, as torch.nn.Module.
// Names follow PyTorch, so state dicts line up key for key ("0.weight", "fc1.bias").
//
// Ownership: parameters and buffers are Tensor handles; to(device) changes their data in place
// (Tensor::set_data), so handles held elsewhere (an optimizer's) stay valid. Children are held by
// shared_ptr. Modules move but do not copy.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ignis/tensor/tensor.hpp"

namespace ignis::nn {

/// Ordered (name, tensor) pairs: PyTorch's state_dict order (a module's parameters, then its
/// buffers, then each child's, in registration order).
using StateDict = std::vector<std::pair<std::string, Tensor>>;

enum class LoadMode { kStrict, kNonStrict };

/// What load_state_dict could not match (empty when everything matched).
struct LoadReport {
  std::vector<std::string> missing_keys;     // in the module, not in the state dict
  std::vector<std::string> unexpected_keys;  // in the state dict, not in the module
};

class Module {
 public:
  /// type_name is the class name as printed ("Linear").
  explicit Module(std::string type_name) : type_name_(std::move(type_name)) {}
  virtual ~Module() = default;
  Module(Module&&) = default;
  Module& operator=(Module&&) = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  /// The layer's computation for one input.
  virtual Tensor forward(const Tensor& input) = 0;
  Tensor operator()(const Tensor& input) { return forward(input); }

  /// Each parameter once, under its first name: a tied parameter (register_shared_parameter)
  /// appears under the name it was first registered with, as torch's named_parameters().
  std::vector<std::pair<std::string, Tensor>> named_parameters() const;
  std::vector<Tensor> parameters() const;
  std::vector<std::pair<std::string, Tensor>> named_buffers() const;
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& named_children() const { return children_; }
  /// Total number of parameter elements.
  std::int64_t parameter_count() const;

  /// True for a layer whose result for one sample depends on the other samples of the batch in
  /// training mode (batch normalisation). fit() names such layers when it splits batches into
  /// micro-batches, since they then see the micro-batch: BatchNorm1d/2d in training mode
  /// (LayerNorm normalises each sample on its own).
  virtual bool depends_on_batch() const { return false; }

  /// Training mode (dropout active, batch statistics) or evaluation mode; recursive.
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  /// Moves (converts) every parameter, gradient and buffer; recursive. Returns *this.
  Module& to(Device device);
  Module& to(DType dtype);
  /// Clears every parameter's gradient (set to none, as PyTorch's default).
  void zero_grad();

  /// Every name, tied parameters under each of theirs (as torch: nanoGPT's checkpoints hold
  /// both "transformer.wte.weight" and "lm_head.weight").
  StateDict state_dict() const;
  /// Copies values into the parameters and buffers by name. kStrict throws ValueError listing
  /// every missing and unexpected key; both modes throw ShapeError for a shape mismatch, and the
  /// one message lists every mismatched, missing and unexpected key. Nothing is copied on error.
  LoadReport load_state_dict(const StateDict& state, LoadMode mode = LoadMode::kStrict);

  /// PyTorch-style description: "Linear(in_features=10, out_features=2, bias=True)", nested.
  std::string repr() const;
  const std::string& type_name() const { return type_name_; }
  /// Dotted path from the root module ("encoder.0"), empty for the root; used in messages.
  const std::string& path() const { return path_; }

 protected:
  /// Registers a parameter (made a leaf requiring grad) and returns its handle.
  Tensor register_parameter(std::string name, Tensor value);
  /// Registers `shared`, a parameter of another module of the same tree, under a second name:
  /// weight tying (torch: `lm_head.weight = wte.weight`). One tensor, one gradient, one
  /// optimizer state; state_dict() lists it under both names.
  Tensor register_shared_parameter(std::string name, const Tensor& shared);
  Tensor register_buffer(std::string name, Tensor value);
  template <class M>
  std::shared_ptr<M> register_module(std::string name, std::shared_ptr<M> module) {
    attach_child(name, module);
    return module;
  }
  /// What repr() prints inside the parentheses.
  virtual std::string extra_repr() const { return ""; }
  /// "[linear fc1]" — the prefix of this module's error messages.
  std::string where() const;
  /// Throws the standard DeviceError/DTypeError when `input` does not match `param`.
  void check_input(const Tensor& input, const Tensor& param, const char* param_name) const;

 private:
  void attach_child(const std::string& name, std::shared_ptr<Module> child);
  void set_path(const std::string& path);
  void collect(const std::string& prefix, StateDict& out, bool parameters, bool buffers) const;
  std::string repr(int indent) const;

  std::string type_name_;
  std::string path_;
  bool training_ = true;
  std::vector<std::pair<std::string, Tensor>> parameters_;
  std::vector<std::pair<std::string, Tensor>> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

std::ostream& operator<<(std::ostream& os, const Module& module);

}  // namespace ignis::nn
