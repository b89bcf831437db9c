// The ignis side of tests/python/transformer_crosscheck.py: MultiheadAttention and the encoder and
// decoder layers, initialised by ignis, run once in eval mode on random inputs with masks of every
// kind; for each case it writes what PyTorch needs to repeat the computation:
//   DIR/cases.json          per case: the module kind, its constructor arguments and the forward
//                           call's switches (need_weights, is_causal, ...)
//   DIR/<case>.safetensors  "state.<name>" the initial state dict (torch's names),
//                           "input.<name>" the inputs, "mask.<name>" the masks as given to ignis,
//                           "output" (and "weights"), "probe" (a fixed random tensor) and the
//                           gradients of sum(output · probe): "grad.input.<name>",
//                           "grad.state.<name>"
// Usage: transformer_crosscheck_tool DIR. Exit 1 with the message on any error.
#include <fstream>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>

#include "ignis/ignis.hpp"

namespace {

using namespace ignis;
using nlohmann::json;

struct Writer {
  std::string dir;
  json cases = json::array();
  Generator generator{2024};

  Tensor input(nn::StateDict& out, const std::string& name, const Shape& shape) {
    Tensor t = randn(shape, {}, &generator).requires_grad_();
    out.emplace_back("input." + name, t);
    return t;
  }
  Tensor mask(nn::StateDict& out, const std::string& name, Tensor m) {
    out.emplace_back("mask." + name, m);
    return m;
  }
  Tensor float_mask(nn::StateDict& out, const std::string& name, const Shape& shape) {
    return mask(out, name, randn(shape, {}, &generator));
  }
  /// Each row keeps at least its first key, so no query row is fully masked (torch gives NaN
  /// there).
  Tensor bool_mask(nn::StateDict& out, const std::string& name, const Shape& shape) {
    Tensor m = rand(shape, {}, &generator) < 0.3;
    m.narrow(-1, 0, 1).fill_(false);
    return mask(out, name, m);
  }

  /// Records the module's initial state (before `run`), runs it, and writes the case.
  void write(const std::string& name, json config, nn::Module& module, nn::StateDict tensors,
             const std::function<std::pair<Tensor, Tensor>()>& run) {
    module.eval();  // dropout off on both sides
    for (const auto& [key, t] : module.state_dict())
      tensors.emplace_back("state." + key, t.detach().clone());
    const auto [output, weights] = run();
    const Tensor probe = randn(output.shape(), {}, &generator);
    (output * probe).sum().backward();
    tensors.emplace_back("output", output.detach());
    if (weights.defined()) tensors.emplace_back("weights", weights.detach());
    tensors.emplace_back("probe", probe);
    const std::size_t given = tensors.size();
    for (std::size_t i = 0; i < given; ++i) {
      const auto [key, t] = tensors[i];
      if (key.starts_with("input.")) tensors.emplace_back("grad." + key, t.grad());
    }
    for (const auto& [key, p] : module.named_parameters())
      tensors.emplace_back("grad.state." + key, p.grad());
    for (auto& [key, t] : tensors) t = t.detach();
    io::save_safetensors(dir + "/" + name + ".safetensors", tensors);
    config["name"] = name;
    cases.push_back(config);
  }
};

int run(const std::string& dir) {
  Writer w{dir};

  {  // Self-attention, sequence first: one tensor for query, key and value; float mask + padding.
    nn::MultiheadAttention m(8, 2, {.dropout = 0.1});
    nn::StateDict t;
    const Tensor x = w.input(t, "x", {5, 3, 8});
    const Tensor am = w.float_mask(t, "attn_mask", {5, 5});
    const Tensor kpm = w.bool_mask(t, "key_padding_mask", {3, 5});
    w.write("mha_self", {{"kind", "mha"}, {"embed_dim", 8}, {"num_heads", 2}, {"dropout", 0.1}}, m,
            t, [&] {
              return std::pair{
                  m.forward(x, x, x, {.key_padding_mask = kpm, .attn_mask = am}).output, Tensor()};
            });
  }
  {  // Cross-attention, batch first, kdim/vdim != E, bool mask, per-head weights.
    nn::MultiheadAttention m(8, 4, {.batch_first = true, .kdim = 6, .vdim = 5});
    nn::StateDict t;
    const Tensor q = w.input(t, "query", {2, 4, 8}), k = w.input(t, "key", {2, 7, 6}),
                 v = w.input(t, "value", {2, 7, 5});
    const Tensor am = w.bool_mask(t, "attn_mask", {4, 7});
    w.write("mha_cross",
            {{"kind", "mha"},
             {"embed_dim", 8},
             {"num_heads", 4},
             {"kdim", 6},
             {"vdim", 5},
             {"batch_first", true},
             {"need_weights", true},
             {"average_attn_weights", false}},
            m, t, [&] {
              const nn::MhaOutput r = m.forward(
                  q, k, v, {.need_weights = true, .attn_mask = am, .average_attn_weights = false});
              return std::pair{r.output, r.weights};
            });
  }
  {  // Unbatched, a (num_heads, L, S) float mask, averaged weights.
    nn::MultiheadAttention m(8, 2);
    nn::StateDict t;
    const Tensor q = w.input(t, "query", {4, 8}), k = w.input(t, "key", {6, 8}),
                 v = w.input(t, "value", {6, 8});
    const Tensor am = w.float_mask(t, "attn_mask", {2, 4, 6});
    w.write("mha_unbatched",
            {{"kind", "mha"}, {"embed_dim", 8}, {"num_heads", 2}, {"need_weights", true}}, m, t,
            [&] {
              const nn::MhaOutput r = m.forward(q, k, v, {.need_weights = true, .attn_mask = am});
              return std::pair{r.output, r.weights};
            });
  }
  {  // Post-norm encoder layer, ReLU, bool src_mask and padding.
    nn::TransformerEncoderLayer m(8, 2, {.dim_feedforward = 16});
    nn::StateDict t;
    const Tensor src = w.input(t, "src", {5, 3, 8});
    const Tensor am = w.bool_mask(t, "src_mask", {5, 5});
    const Tensor kpm = w.bool_mask(t, "src_key_padding_mask", {3, 5});
    w.write(
        "encoder_post_relu",
        {{"kind", "encoder"}, {"d_model", 8}, {"nhead", 2}, {"dim_feedforward", 16}}, m, t, [&] {
          return std::pair{m.forward(src, {.src_mask = am, .src_key_padding_mask = kpm}), Tensor()};
        });
  }
  {  // Pre-norm encoder layer, GELU, batch first, causal (PyTorch gets the causal mask itself) with
     // padding: the causal rule joins the other masks (without padding, the decoder case below,
     // it is the fused op's own flag).
    nn::TransformerEncoderLayer m(
        8, 2,
        {.dim_feedforward = 16, .activation = "gelu", .batch_first = true, .norm_first = true});
    nn::StateDict t;
    const Tensor src = w.input(t, "src", {3, 5, 8});
    const Tensor kpm = w.bool_mask(t, "src_key_padding_mask", {3, 5});
    w.write("encoder_pre_gelu_causal",
            {{"kind", "encoder"},
             {"d_model", 8},
             {"nhead", 2},
             {"dim_feedforward", 16},
             {"activation", "gelu"},
             {"batch_first", true},
             {"norm_first", true},
             {"is_causal", true}},
            m, t, [&] {
              return std::pair{m.forward(src, {.src_key_padding_mask = kpm, .is_causal = true}),
                               Tensor()};
            });
  }
  {  // Post-norm decoder layer: causal target, padded memory.
    nn::TransformerDecoderLayer m(8, 2, {.dim_feedforward = 16});
    nn::StateDict t;
    const Tensor tgt = w.input(t, "tgt", {4, 3, 8}), memory = w.input(t, "memory", {6, 3, 8});
    const Tensor mkpm = w.bool_mask(t, "memory_key_padding_mask", {3, 6});
    w.write("decoder_post_relu",
            {{"kind", "decoder"},
             {"d_model", 8},
             {"nhead", 2},
             {"dim_feedforward", 16},
             {"tgt_is_causal", true}},
            m, t, [&] {
              return std::pair{
                  m.forward(tgt, memory, {.memory_key_padding_mask = mkpm, .tgt_is_causal = true}),
                  Tensor()};
            });
  }
  {  // Pre-norm decoder layer, GELU, batch first: every mask given explicitly.
    nn::TransformerDecoderLayer m(
        8, 2,
        {.dim_feedforward = 16, .activation = "gelu", .batch_first = true, .norm_first = true});
    nn::StateDict t;
    const Tensor tgt = w.input(t, "tgt", {3, 4, 8}), memory = w.input(t, "memory", {3, 6, 8});
    const Tensor tm = w.bool_mask(t, "tgt_mask", {4, 4});
    const Tensor mm = w.float_mask(t, "memory_mask", {4, 6});
    const Tensor tkpm = w.bool_mask(t, "tgt_key_padding_mask", {3, 4});
    w.write("decoder_pre_gelu",
            {{"kind", "decoder"},
             {"d_model", 8},
             {"nhead", 2},
             {"dim_feedforward", 16},
             {"activation", "gelu"},
             {"batch_first", true},
             {"norm_first", true}},
            m, t, [&] {
              return std::pair{
                  m.forward(tgt, memory,
                            {.tgt_mask = tm, .memory_mask = mm, .tgt_key_padding_mask = tkpm}),
                  Tensor()};
            });
  }
  std::ofstream(dir + "/cases.json") << w.cases.dump(1);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 2) throw ignis::ValueError("usage: transformer_crosscheck_tool DIR");
    return run(argv[1]);
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}
