// The CPU backend's shared oneDNN engine and primitive runner (onednn.hpp).
#include "onednn.hpp"

#include <unordered_map>

namespace ignis::backend::onednn {

dnnl::engine& engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

dnnl::primitive_attr user_scratchpad() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

void run(Backend& cpu, const dnnl::primitive& prim, const dnnl::primitive_desc& pd,
         const std::vector<std::pair<int, void*>>& args) {
  std::unordered_map<int, dnnl::memory> mems;
  for (const auto& [id, data] : args) {
    mems.emplace(id, dnnl::memory(pd.query_md(dnnl::query::exec_arg_md, id), engine(), data));
  }
  Tensor scratch;
  const dnnl::memory::desc scratch_desc = pd.scratchpad_desc();
  if (scratch_desc.get_size() > 0) {
    scratch = new_contiguous(cpu, {static_cast<std::int64_t>(scratch_desc.get_size())}, DType::kUInt8, Device::cpu());
    mems.emplace(DNNL_ARG_SCRATCHPAD, dnnl::memory(scratch_desc, engine(), scratch.data_ptr()));
  }
  dnnl::stream stream(engine());
  prim.execute(stream, mems);
  stream.wait();
}

}  // namespace ignis::backend::onednn
