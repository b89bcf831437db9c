#include "ignis/nn/module.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <ostream>
#include <set>

#include "core/check.hpp"
#include "ignis/autograd/grad_mode.hpp"
#include "ignis/ops/copy.hpp"
#include "ignis/tensor/memory.hpp"

namespace ignis::nn {

std::vector<std::pair<std::string, Tensor>> Module::named_parameters() const {
  StateDict all;
  collect("", all, true, false);
  StateDict out;
  for (auto& entry : all) {
    const bool seen = std::any_of(out.begin(), out.end(), [&](const auto& kept) { return kept.second.is_same(entry.second); });
    if (!seen) out.push_back(std::move(entry));
  }
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [name, p] : named_parameters()) out.push_back(p);
  return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_buffers() const {
  StateDict out;
  collect("", out, false, true);
  return out;
}

std::int64_t Module::parameter_count() const {
  std::int64_t n = 0;
  for (const Tensor& p : parameters()) n += p.numel();
  return n;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

Module& Module::to(Device device) {
  NoGradGuard no_grad;
  for (auto& [name, p] : parameters_) {
    const Tensor grad = p.grad();
    p.set_data(ops::to(p.detach(), device));
    set_memory_category(p, MemoryCategory::kParameters);
    if (grad.defined()) p.set_grad(ops::to(grad, device));
  }
  for (auto& [name, b] : buffers_) {
    b.set_data(ops::to(b.detach(), device));
    set_memory_category(b, MemoryCategory::kParameters);
  }
  for (auto& [name, child] : children_) child->to(device);
  return *this;
}

Module& Module::to(DType dtype) {
  NoGradGuard no_grad;
  for (auto& [name, p] : parameters_) {
    const Tensor grad = p.grad();
    p.set_data(ops::to(p.detach(), dtype));
    set_memory_category(p, MemoryCategory::kParameters);
    if (grad.defined()) p.set_grad(ops::to(grad, dtype));
  }
  for (auto& [name, b] : buffers_) {
    if (is_floating_point(b.dtype())) b.set_data(ops::to(b.detach(), dtype));  // counters stay ints
    set_memory_category(b, MemoryCategory::kParameters);
  }
  for (auto& [name, child] : children_) child->to(dtype);
  return *this;
}

void Module::zero_grad() {
  for (Tensor& p : parameters()) p.set_grad(Tensor());
}

StateDict Module::state_dict() const {
  StateDict out;
  collect("", out, true, true);
  return out;
}

LoadReport Module::load_state_dict(const StateDict& state, LoadMode mode) {
  const StateDict mine = state_dict();
  LoadReport report;
  std::set<std::string> known;
  for (const auto& [name, t] : mine) known.insert(name);
  std::vector<std::pair<Tensor, const Tensor*>> to_copy;
  std::set<std::string> given;
  for (const auto& [name, value] : state) {
    given.insert(name);
    if (!known.count(name)) report.unexpected_keys.push_back(name);
  }
  std::vector<std::string> mismatched;
  for (const auto& [name, target] : mine) {
    const auto it = std::find_if(state.begin(), state.end(), [&](const auto& kv) { return kv.first == name; });
    if (it == state.end()) {
      report.missing_keys.push_back(name);
    } else if (it->second.shape() != target.shape()) {
      mismatched.push_back(fmt::format("{}: checkpoint {} vs model {}", name, it->second.shape(), target.shape()));
    } else {
      to_copy.emplace_back(target, &it->second);
    }
  }
  // One message names every problem, so a user fixes them all at once.
  const bool key_problem = mode == LoadMode::kStrict && (!report.missing_keys.empty() || !report.unexpected_keys.empty());
  if (!mismatched.empty() || key_problem) {
    std::vector<std::string> parts;
    if (!mismatched.empty()) parts.push_back(fmt::format("shapes differ for {} key(s): {}", mismatched.size(), fmt::join(mismatched, "; ")));
    if (!report.missing_keys.empty()) parts.push_back(fmt::format("missing from the state dict: [{}]", fmt::join(report.missing_keys, ", ")));
    if (!report.unexpected_keys.empty()) parts.push_back(fmt::format("unexpected in the state dict: [{}]", fmt::join(report.unexpected_keys, ", ")));
    const std::string message = fmt::format("[load_state_dict] the state dict does not match the model: {}. {}", fmt::join(parts, "; "),
                                            mismatched.empty() ? "Load with LoadMode::kNonStrict to copy only the matching keys"
                                                               : "Build the model with the shapes the state dict was saved from");
    if (!mismatched.empty()) throw ShapeError(message);
    throw ValueError(message);
  }
  NoGradGuard no_grad;
  for (auto& [target, source] : to_copy) {
    Tensor t = target;
    t.copy_(*source);
  }
  return report;
}

std::string Module::repr() const { return repr(0); }

std::string Module::repr(int indent) const {
  std::string s = type_name_ + "(" + extra_repr();
  if (children_.empty()) return s + ")";
  const std::string pad(static_cast<std::size_t>(indent + 2), ' ');
  for (const auto& [name, child] : children_) {
    s += "\n" + pad + "(" + name + "): " + child->repr(indent + 2);
  }
  return s + "\n" + std::string(static_cast<std::size_t>(indent), ' ') + ")";
}

Tensor Module::register_parameter(std::string name, Tensor value) {
  Tensor p = value.detach();  // a fresh leaf over the same data
  if (is_floating_point(p.dtype())) p.requires_grad_();
  set_memory_category(p, MemoryCategory::kParameters);
  parameters_.emplace_back(std::move(name), p);
  return p;
}

Tensor Module::register_shared_parameter(std::string name, const Tensor& shared) {
  if (!shared.defined() || !shared.is_leaf() || !shared.requires_grad()) {
    detail::fail<ValueError>("{} register_shared_parameter(\"{}\"): expected a parameter of another module (a leaf "
                             "that requires grad)",
                             where(), name);
  }
  parameters_.emplace_back(std::move(name), shared);
  return shared;
}

Tensor Module::register_buffer(std::string name, Tensor value) {
  set_memory_category(value, MemoryCategory::kParameters);
  buffers_.emplace_back(std::move(name), value);
  return value;
}

std::string Module::where() const {
  std::string type = type_name_;
  std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return std::tolower(c); });
  return path_.empty() ? "[" + type + "]" : "[" + type + " " + path_ + "]";
}

void Module::check_input(const Tensor& input, const Tensor& param, const char* param_name) const {
  if (!input.defined()) detail::fail<ValueError>("{} the input is an undefined tensor", where());
  if (input.device() != param.device()) {
    detail::fail<DeviceError>("{} {} is on {} but input is on {} — call model.to(device) or move the "
                              "input with .to({})",
                              where(), param_name, param.device(), input.device(), param.device());
  }
  if (input.dtype() != param.dtype()) {
    detail::fail<DTypeError>("{} {} is {} but input is {} — convert the input with .to({}) or the model "
                             "with model.to({})",
                             where(), param_name, param.dtype(), input.dtype(), param.dtype(), input.dtype());
  }
}

void Module::attach_child(const std::string& name, std::shared_ptr<Module> child) {
  if (!child) detail::fail<ValueError>("{} submodule \"{}\" is null", where(), name);
  child->set_path(path_.empty() ? name : path_ + "." + name);
  children_.emplace_back(name, std::move(child));
}

void Module::set_path(const std::string& path) {
  path_ = path;
  for (auto& [name, child] : children_) child->set_path(path + "." + name);
}

void Module::collect(const std::string& prefix, StateDict& out, bool parameters, bool buffers) const {
  if (parameters) {
    for (const auto& [name, p] : parameters_) out.emplace_back(prefix + name, p);
  }
  if (buffers) {
    for (const auto& [name, b] : buffers_) out.emplace_back(prefix + name, b);
  }
  for (const auto& [name, child] : children_) child->collect(prefix + name + ".", out, parameters, buffers);
}

std::ostream& operator<<(std::ostream& os, const Module& module) { return os << module.repr(); }

}  // namespace ignis::nn
