#include "ignis/train/train_job.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/check.hpp"
#include "job_common.hpp"
#include "ignis/core/atomic_file.hpp"
#include "ignis/autograd/reduce.hpp"
#include "backend/cuda_plugin.hpp"
#include "ignis/keras/layers.hpp"
#include "ignis/keras/sequential.hpp"
#include "ignis/ops/elementwise.hpp"
#include "ignis/tensor/generator.hpp"
#include "ignis/train/report.hpp"
#include "ignis/tensor/memory.hpp"

namespace ignis::train {

namespace fs = std::filesystem;

DeviceChoice choose_device(const std::string& spec) {
  const backend::CudaPluginStatus& cuda = backend::cuda_plugin_status();
  const bool available = cuda.backend != nullptr;
  if (spec == "auto") {
    if (available) return {Device::cuda(0), "CUDA is available"};
    return {Device::cpu(), fmt::format("CUDA not available: {}; run `ignis doctor`", cuda.reason)};
  }
  const Device d(spec);
  if (d.is_cuda() && !available) {
    ignis::detail::fail<BackendUnavailableError>("[train] device {} was asked for, but CUDA is not available: {}. Use "
                                                 "--device cpu, or run `ignis doctor`",
                                                 spec, cuda.reason);
  }
  return {d, "as requested"};
}

namespace {

keras::Sequential build_model(const std::string& name) {
  if (name == "mlp") {
    return keras::Sequential({keras::Input({28, 28}), keras::Flatten(), keras::Dense(256, "relu"),
                              keras::Dense(128, "relu"), keras::Dense(10)},
                             "mlp");
  }
  if (name == "cnn") {
    // Two 3x3 convolutions, each followed by 2x2 max pooling, then two dense layers; NCHW
    // (channels_first) so no layer transposes. Defaults reach >= 91% test accuracy (README).
    const keras::Conv2DOptions conv{.padding = "same", .activation = "relu", .data_format = "channels_first"};
    const keras::Pooling2DOptions pool{.data_format = "channels_first"};
    return keras::Sequential({keras::Input({28, 28}), keras::Reshape({1, 28, 28}), keras::Conv2D(32, 3, conv),
                              keras::MaxPooling2D({2, 2}, pool), keras::Conv2D(64, 3, conv),
                              keras::MaxPooling2D({2, 2}, pool), keras::Flatten(), keras::Dense(128, "relu"),
                              keras::Dense(10)},
                             "cnn");
  }
  ignis::detail::fail<ValueError>("[train] unknown model \"{}\"; known: mlp, cnn", name);
}

/// Writes `text` to path atomically and durably (ignis/core/atomic_file.hpp).
void write_atomically(const fs::path& path, const std::string& text) { write_file_atomic(path.string(), text); }

TrainJobResult run_fashion_mnist_job(const TrainJobOptions& options, const DeviceChoice& choice, std::ostream& out) {
  TrainJobResult result;
  result.device = choice.device;
  const data::FashionMnist d = data::load_fashion_mnist(options.data);
  out << fmt::format("Data: Fashion-MNIST from {} ({} training, {} test images)\n\n", options.data,
                     d.train_images.size(0), d.test_images.size(0));

  manual_seed(options.seed);
  keras::DeviceScope scope(choice.device.str());
  keras::Sequential model = build_model(options.model);
  model.compile({.optimizer = options.optimizer,
                 .loss = "sparse_categorical_crossentropy",
                 .metrics = {"accuracy"},
                 .learning_rate = options.lr});
  out << model.summary() << "\n";

  detail::fit_for_job(model, d.train_images, d.train_labels, std::make_pair(d.test_images, d.test_labels), options,
                      choice.device, out, result);

  const Logs test = model.evaluate(d.test_images, d.test_labels, 512);
  result.test_loss = *find(test, "loss");
  result.test_accuracy = *find(test, "accuracy");
  const Tensor predicted = argmax(model.predict(d.test_images, 512), 1).cpu();
  const std::vector<std::int64_t> p = predicted.to_vector<std::int64_t>();
  const std::vector<std::int64_t> t = d.test_labels.to_vector<std::int64_t>();
  std::array<std::int64_t, 10> correct{}, total{};
  for (std::size_t i = 0; i < t.size(); ++i) {
    ++total[static_cast<std::size_t>(t[i])];
    correct[static_cast<std::size_t>(t[i])] += p[i] == t[i];
  }
  for (std::size_t c = 0; c < 10; ++c) {
    result.class_accuracy[c] = total[c] ? static_cast<double>(correct[c]) / static_cast<double>(total[c]) : 0;
  }

  out << fmt::format("\nTest loss {:.4f}, test accuracy {:.2f}% ({} epochs, {:.1f} s of training, {:.0f} samples/s on {})\n",
                     result.test_loss, 100 * result.test_accuracy, result.history.epochs(), result.train_seconds,
                     result.samples_per_second, choice.device.str());
  out << "Per-class accuracy:\n";
  for (std::size_t c = 0; c < 10; ++c) {
    out << fmt::format("  {:<12} {:6.2f}%\n", data::kFashionMnistClasses[c], 100 * result.class_accuracy[c]);
  }

  if (!options.out.empty()) {
    nlohmann::json j = {{"model", options.model},
                        {"device", choice.device.str()},
                        {"device_reason", choice.reason},
                        {"epochs", result.history.epochs()},
                        {"batch_size", result.batch_size},
                        {"batch_size_auto", options.batch_size == kAutoBatchSize},
                        {"micro_batch_size", result.micro_batch_size},
                        {"optimizer", options.optimizer},
                        {"lr", options.lr},
                        {"seed", options.seed},
                        {"test_loss", result.test_loss},
                        {"test_accuracy", result.test_accuracy},
                        {"train_seconds", result.train_seconds},
                        {"samples_per_second", result.samples_per_second},
                        {"stop_reason", result.history.stop_reason}};
    for (std::size_t c = 0; c < 10; ++c) j["class_accuracy"][std::string(data::kFashionMnistClasses[c])] = result.class_accuracy[c];
    for (const auto& [name, values] : result.history.values()) j["history"][name] = values;
    write_atomically(fs::path(options.out) / "results.json", j.dump(2) + "\n");
    ReportInfo report{.title = fmt::format("ignis train: {} on Fashion-MNIST", options.model),
                      .model_summary = model.summary(),
                      .device = choice.device.str(),
                      .device_reason = choice.reason,
                      .facts = {{"test accuracy", fmt::format("{:.2f}%", 100 * result.test_accuracy)},
                                {"test loss", fmt::format("{:.4f}", result.test_loss)},
                                {"epochs", fmt::format("{}", result.history.epochs())},
                                {"training time", fmt::format("{:.1f} s ({:.0f} samples/s)", result.train_seconds,
                                                              result.samples_per_second)},
                                {"optimizer", fmt::format("{}, lr {}", options.optimizer, options.lr)},
                                {"batch size", fmt::format("{}", options.batch_size)},
                                {"seed", fmt::format("{}", options.seed)}}};
    write_atomically(fs::path(options.out) / "report.html", render_report_html(result.history, report));
    out << fmt::format("Results: {}/results.json, history.csv and report.html\n", options.out);
  }
  return result;
}

}  // namespace

namespace detail {

namespace {

/// options.batch_size, or with kAutoBatchSize the largest that fits (printed to `out`).
std::int64_t resolve_batch_size(keras::Sequential& model, const Tensor& x, const Tensor& y,
                                const TrainJobOptions& options, Device device, std::ostream& out) {
  if (options.batch_size != kAutoBatchSize) return options.batch_size;
  const BatchSizeSearchResult search = model.find_max_batch_size(x, y, options.max_auto_batch_size);
  const std::size_t budget = memory_limit(device);
  out << fmt::format("Batch size: auto -> {} ({}; {} trial steps; {})\n\n", search.batch_size,
                     search.first_failing > 0 ? fmt::format("{} does not fit", search.first_failing)
                                              : fmt::format("the bound {} fits", options.max_auto_batch_size),
                     search.trials.size(),
                     budget > 0 ? fmt::format("memory budget {} on {}", format_bytes(budget), device.str())
                                : fmt::format("no memory budget on {}", device.str()));
  return search.batch_size;
}

}  // namespace

void fit_for_job(keras::Sequential& model, const Tensor& x, const Tensor& y,
                 const std::optional<std::pair<Tensor, Tensor>>& validation, const TrainJobOptions& options,
                 Device device, std::ostream& out, TrainJobResult& result) {
  result.batch_size = resolve_batch_size(model, x, y, options, device, out);
  std::vector<std::shared_ptr<Callback>> callbacks = {std::make_shared<TerminateOnNaN>()};
  if (!options.out.empty()) {
    fs::create_directories(options.out);
    callbacks.push_back(std::make_shared<CSVLogger>((fs::path(options.out) / "history.csv").string()));
  }
  callbacks.insert(callbacks.end(), options.callbacks.begin(), options.callbacks.end());
  result.history = model.fit(x, y,
                             {.epochs = options.epochs,
                              .batch_size = result.batch_size,
                              .validation_data = validation,
                              .callbacks = callbacks,
                              .verbose = options.verbose,
                              .out = &out,
                              .seed = options.seed,
                              .resume_from = options.resume_from});
  result.train_seconds = result.history.seconds;
  result.micro_batch_size = result.history.micro_batch_size;
  result.samples_per_second = static_cast<double>(result.history.samples) / std::max(result.train_seconds, 1e-9);
}

}  // namespace detail

TrainJobResult run_train_job(const TrainJobOptions& options, std::ostream& out) {
  const DeviceChoice choice = choose_device(options.device);
  out << fmt::format("Device: {} — {}\n", choice.device.str(), choice.reason);
  if (!fs::exists(options.data)) {
    ignis::detail::fail<FormatError>(
        "[train] --data {} does not exist: give a folder with the four Fashion-MNIST IDX files (Debian: sudo apt-get "
        "install dataset-fashion-mnist puts them in {}) or your own data file (CSV with a header row, NPZ with x and "
        "y, or an NPY or IDX file of features with --targets)",
        options.data, data::kFashionMnistDefaultDir);
  }
  if (fs::is_directory(options.data)) return run_fashion_mnist_job(options, choice, out);
  return detail::run_user_data_job(options, choice, out);
}

}  // namespace ignis::train
