//! Errors of graph evaluation, each with its openEO error code.

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error while parsing or evaluating a process graph.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The graph is not a valid process graph.
    #[error("invalid process graph: {reason}")]
    ProcessGraphInvalid {
        /// What is wrong.
        reason: String,
    },
    /// The graph is too large or too deeply nested to be evaluated.
    #[error("the process graph is too complex: {reason}")]
    ProcessGraphComplexity {
        /// What limit it exceeds.
        reason: String,
    },
    /// A process id that is not implemented.
    #[error("process '{process}' is not supported")]
    ProcessUnsupported {
        /// The process id.
        process: String,
    },
    /// A required parameter is missing.
    #[error("process '{process}' requires the parameter '{parameter}'")]
    ProcessParameterRequired {
        /// The process id.
        process: String,
        /// The parameter.
        parameter: String,
    },
    /// A parameter has an invalid value.
    #[error("the value of parameter '{parameter}' of process '{process}' is invalid: {reason}")]
    ProcessParameterInvalid {
        /// The process id.
        process: String,
        /// The parameter.
        parameter: String,
        /// Why.
        reason: String,
    },
    /// An argument that the process does not declare.
    #[error("process '{process}' has no parameter '{parameter}'")]
    ProcessParameterUnsupported {
        /// The process id.
        process: String,
        /// The parameter.
        parameter: String,
    },
    /// A `from_parameter` reference without a value.
    #[error("the parameter '{parameter}' is not defined")]
    ProcessGraphParameterMissing {
        /// The parameter.
        parameter: String,
    },
    /// Unknown collection.
    #[error("collection '{collection}' does not exist")]
    CollectionNotFound {
        /// The collection id.
        collection: String,
    },
    /// Unknown or unsupported output format.
    #[error("format '{format}' is not supported; supported formats: GTiff, netCDF, JSON")]
    FormatUnsupported {
        /// The format name.
        format: String,
    },
    /// A minimum greater than its maximum.
    #[error("process '{process}': the minimum is greater than the maximum")]
    MinMaxSwapped {
        /// The process id.
        process: String,
    },
    /// An array element that does not exist.
    #[error("the array has no element with {what}")]
    ArrayElementNotAvailable {
        /// Index or label description.
        what: String,
    },
    /// A label or band that does not exist.
    #[error("{message}")]
    LabelNotAvailable {
        /// Details.
        message: String,
    },
    /// A label the array has already (`array_append`).
    #[error("the array already has an element with the label '{label}'")]
    LabelExists {
        /// The label.
        label: String,
    },
    /// A label given for an array without labels.
    #[error("process '{process}': a label can't be provided as the given array is not labeled")]
    ArrayNotLabeled {
        /// The process id.
        process: String,
    },
    /// A label present in both arrays to concatenate.
    #[error("the label '{label}' exists in both arrays; resolve the conflict before concatenating them")]
    ArrayLabelConflict {
        /// The label.
        label: String,
    },
    /// `quantiles` without `probabilities` and `q`.
    #[error("the process 'quantiles' requires either the 'probabilities' or the 'q' parameter to be set")]
    QuantilesParameterMissing,
    /// `quantiles` with both `probabilities` and `q`.
    #[error("the process 'quantiles' only allows that either the 'probabilities' or the 'q' parameter is set")]
    QuantilesParameterConflict,
    /// Probabilities not in ascending order.
    #[error("the values passed for parameter 'probabilities' must be sorted in ascending order")]
    AscendingProbabilitiesRequired,
    /// An engine error while building or running the plan.
    #[error(transparent)]
    Engine(#[from] openeo_engine::Error),
    /// An error inside the node `node`.
    #[error("node '{node}' ({process}): {source}")]
    InNode {
        /// Node id.
        node: String,
        /// Process id of the node.
        process: String,
        /// The error.
        #[source]
        source: Box<Error>,
    },
}

impl Error {
    /// The openEO error code (the API's `code` field).
    pub fn code(&self) -> &str {
        use openeo_engine::Error as E;
        match self {
            Error::ProcessGraphInvalid { .. } => "ProcessGraphInvalid",
            Error::ProcessGraphComplexity { .. } => "ProcessGraphComplexity",
            Error::ProcessUnsupported { .. } => "ProcessUnsupported",
            Error::ProcessParameterRequired { .. } => "ProcessParameterRequired",
            Error::ProcessParameterInvalid { .. } => "ProcessParameterInvalid",
            Error::ProcessParameterUnsupported { .. } => "ProcessParameterUnsupported",
            Error::ProcessGraphParameterMissing { .. } => "ProcessGraphParameterMissing",
            Error::CollectionNotFound { .. } => "CollectionNotFound",
            Error::FormatUnsupported { .. } => "FormatUnsupported",
            Error::ArrayElementNotAvailable { .. } => "ArrayElementNotAvailable",
            Error::MinMaxSwapped { .. } => "MinMaxSwapped",
            Error::LabelNotAvailable { .. } => "LabelNotAvailable",
            Error::LabelExists { .. } => "LabelExists",
            Error::ArrayNotLabeled { .. } => "ArrayNotLabeled",
            Error::ArrayLabelConflict { .. } => "ArrayLabelConflict",
            Error::QuantilesParameterMissing => "QuantilesParameterMissing",
            Error::QuantilesParameterConflict => "QuantilesParameterConflict",
            Error::AscendingProbabilitiesRequired => "AscendingProbabilitiesRequired",
            Error::InNode { source, .. } => source.code(),
            Error::Engine(e) => match e {
                E::BandNotFound { .. } => "BandNotAvailable",
                E::DimensionNotAvailable { .. } => "DimensionNotAvailable",
                E::DimensionExists { .. } => "DimensionExists",
                E::NoDataAvailable { .. } => "NoDataAvailable",
                E::TemporalExtentEmpty { .. } => "TemporalExtentEmpty",
                E::OverlapResolverMissing { .. } => "OverlapResolverMissing",
                E::Callback { code, .. } => code,
                E::Coded { code, .. } => code,
                E::Invalid { .. } => "ProcessParameterInvalid",
                E::Unsupported { .. } => "FeatureUnsupported",
                E::Canceled => "Canceled",
                E::Fetch { .. } | E::Refused { .. } => "ProcessParameterInvalid",
                E::Gdal { .. } | E::Io { .. } | E::Config { .. } | E::Internal { .. } => "Internal",
            },
        }
    }

    /// True when the error is the user's fault (a 4xx), false for server-side failures.
    pub fn is_client_error(&self) -> bool {
        self.code() != "Internal"
    }

    /// Wraps the error with the node it happened in (innermost node wins).
    pub(crate) fn in_node(self, node: &str, process: &str) -> Error {
        match self {
            e @ Error::InNode { .. } => e,
            e => Error::InNode {
                node: node.to_string(),
                process: process.to_string(),
                source: Box::new(e),
            },
        }
    }

    /// Builds a [`Error::ProcessParameterInvalid`].
    pub(crate) fn invalid(process: &str, parameter: &str, reason: impl Into<String>) -> Error {
        Error::ProcessParameterInvalid {
            process: process.into(),
            parameter: parameter.into(),
            reason: reason.into(),
        }
    }
}
