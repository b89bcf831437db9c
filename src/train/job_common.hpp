#pragma once
// What the two jobs of `ignis train` share (train_job.cpp: Fashion-MNIST; user_data_job.cpp: the
// user's own data).
#include <memory>
#include <ostream>
#include <vector>

#include "ignis/keras/sequential.hpp"
#include "ignis/train/train_job.hpp"

namespace ignis::train::detail {

/// options.batch_size, or with kAutoBatchSize the largest that fits (printed to `out`).
std::int64_t resolve_batch_size(keras::Sequential& model, const Tensor& x, const Tensor& y,
                                const TrainJobOptions& options, Device device, std::ostream& out);

/// TerminateOnNaN, a CSVLogger into options.out/history.csv (creating the folder), then the
/// caller's options.callbacks.
std::vector<std::shared_ptr<Callback>> job_callbacks(const TrainJobOptions& options);

/// The job of a user's data file (options.data is not a folder).
TrainJobResult run_user_data_job(const TrainJobOptions& options, const DeviceChoice& choice, std::ostream& out);

}  // namespace ignis::train::detail
