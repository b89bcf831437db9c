// The README's quick example.
#include <ignis/ignis.hpp>
#include <iostream>

int main() {
  using namespace ignis;
  manual_seed(0);
  const Tensor x = randn({4, 3});
  const Tensor w = tensor({{1.0}, {-2.0}, {0.5}});
  std::cout << relu(matmul(x, w) + 0.1) << "\n";        // (4, 1)
  std::cout << sum(softmax(x, -1), {1}) << "\n";        // every row sums to 1
  std::cout << mean(x, {0}, kKeepDim).shape() << "\n";  // (1, 3)
}
