namespace QuantReason.Analysis

/// Version of the analysis layer, written into exported reports.
module Version =
    let current = "0.1.0"
