#pragma once
// What the two jobs of `ignis train` share (train_job.cpp: Fashion-MNIST; user_data_job.cpp: the
// user's own data).
#include <memory>
#include <optional>
#include <utility>
#include <ostream>
#include <vector>

#include "ignis/keras/sequential.hpp"
#include "ignis/train/train_job.hpp"

namespace ignis::train::detail {

/// Trains `model` on (x, y) as the options say (the batch size resolved, the job's callbacks:
/// TerminateOnNaN, a CSVLogger into options.out/history.csv, then options.callbacks), and fills
/// result's batch_size, history, train_seconds, micro_batch_size and samples_per_second.
void fit_for_job(keras::Sequential& model, const Tensor& x, const Tensor& y,
                 const std::optional<std::pair<Tensor, Tensor>>& validation, const TrainJobOptions& options,
                 Device device, std::ostream& out, TrainJobResult& result);

/// The job of a user's data file (options.data is not a folder).
TrainJobResult run_user_data_job(const TrainJobOptions& options, const DeviceChoice& choice, std::ostream& out);

}  // namespace ignis::train::detail
