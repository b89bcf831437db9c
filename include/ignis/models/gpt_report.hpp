#pragma once
// report.html of a GPT training job: the configuration, the validation loss, the loss curve
// (an inline SVG: training loss per step, validation evaluations as points) and the sample.
// Self-contained: no script, no external resource.
#include <string>

#include "ignis/models/gpt_job.hpp"

namespace ignis::models {

std::string gpt_report_html(const GptJobOptions& options, const GptJobResult& result);

}  // namespace ignis::models
