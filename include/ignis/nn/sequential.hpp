#pragma once
// Sequential: modules applied in order, named "0", "1", ... (as torch.nn.Sequential):
//   nn::Sequential model(nn::Linear(784, 128), nn::ReLU(), nn::Linear(128, 10));
#include <memory>
#include <type_traits>
#include <utility>

#include "ignis/nn/module.hpp"

namespace ignis::nn {

class Sequential : public Module {
 public:
  Sequential() : Module("Sequential") {}
  /// Takes modules by value (moved in) or as shared_ptrs.
  template <class... Modules>
  explicit Sequential(Modules&&... modules) : Module("Sequential") {
    (push_back(std::forward<Modules>(modules)), ...);
  }

  void push_back(std::shared_ptr<Module> module);
  template <class M, std::enable_if_t<std::is_base_of_v<Module, std::decay_t<M>>, int> = 0>
  void push_back(M&& module) {
    push_back(std::shared_ptr<Module>(std::make_shared<std::decay_t<M>>(std::forward<M>(module))));
  }

  Tensor forward(const Tensor& x) override;
  std::size_t size() const { return named_children().size(); }
  Module& operator[](std::size_t i) const { return *named_children().at(i).second; }
};

}  // namespace ignis::nn
