//! The engine's error type. Variants carry structured fields; `processes` maps them to openEO error codes.

use std::path::PathBuf;

/// Result alias used throughout the engine.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while planning, reading, computing or writing a cube.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A GDAL call failed.
    #[error("GDAL error while {context}: {source}")]
    Gdal {
        /// What was being done, including the file name where known.
        context: String,
        /// The underlying GDAL error.
        #[source]
        source: gdal::errors::GdalError,
    },
    /// A file could not be read or written.
    #[error("cannot access {}: {source}", path.display())]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A document or asset a user named could not be read (network failure, HTTP error status, missing file, size
    /// or time cap).
    #[error("cannot read {location}: {message}")]
    Fetch {
        /// The URL or path.
        location: String,
        /// What went wrong.
        message: String,
    },
    /// The outbound policy does not allow reading a URL or path a user named.
    #[error("{location} is refused: {reason}")]
    Refused {
        /// The URL or path.
        location: String,
        /// Which rule refuses it.
        reason: String,
    },
    /// The collection configuration is invalid.
    #[error("invalid collection configuration: {message}")]
    Config {
        /// What is wrong.
        message: String,
    },
    /// A requested band does not exist.
    #[error("band '{band}' does not exist; available bands: {available}")]
    BandNotFound {
        /// The requested band.
        band: String,
        /// The bands that exist.
        available: String,
    },
    /// A requested dimension does not exist.
    #[error("dimension '{dimension}' does not exist; available dimensions: {available}")]
    DimensionNotAvailable {
        /// The requested dimension.
        dimension: String,
        /// The dimensions that exist.
        available: String,
    },
    /// A dimension of that name already exists.
    #[error("a dimension named '{dimension}' already exists")]
    DimensionExists {
        /// The dimension name.
        dimension: String,
    },
    /// The filters leave nothing to read.
    #[error("no data available: {reason}")]
    NoDataAvailable {
        /// Which extent was empty.
        reason: String,
    },
    /// A temporal interval whose start is not before its end.
    #[error("the temporal extent is empty: start {start} is not before end {end}")]
    TemporalExtentEmpty {
        /// Interval start.
        start: String,
        /// Interval end.
        end: String,
    },
    /// merge_cubes found overlapping labels but has no resolver.
    #[error("the cubes overlap ({overlap}) and no overlap resolver was given")]
    OverlapResolverMissing {
        /// Description of the overlapping labels.
        overlap: String,
    },
    /// A callback (reducer, apply, resolver) failed; `code` is the callback's own error code.
    #[error("{message}")]
    Callback {
        /// The error code reported by the callback.
        code: String,
        /// Human-readable message.
        message: String,
    },
    /// A failure with its own openEO error code (`IncompatibleDataCubes`, `KernelDimensionsUneven`, …).
    #[error("{message}")]
    Coded {
        /// The openEO error code.
        code: &'static str,
        /// Human-readable message.
        message: String,
    },
    /// An argument is invalid for the operation.
    #[error("{message}")]
    Invalid {
        /// What is wrong.
        message: String,
    },
    /// A format, option or combination is not supported.
    #[error("not supported: {message}")]
    Unsupported {
        /// What is not supported.
        message: String,
    },
    /// The computation was canceled.
    #[error("the computation was canceled")]
    Canceled,
    /// A broken invariant: a bug.
    #[error("internal error: {message}")]
    Internal {
        /// Description of the broken invariant.
        message: String,
    },
}

impl Error {
    /// Wraps a GDAL error with what was being done.
    pub(crate) fn gdal(context: impl Into<String>) -> impl FnOnce(gdal::errors::GdalError) -> Error {
        let context = context.into();
        move |source| Error::Gdal { context, source }
    }

    /// Builds an [`Error::Invalid`].
    pub(crate) fn invalid(message: impl Into<String>) -> Error {
        Error::Invalid {
            message: message.into(),
        }
    }

    /// Builds an [`Error::Coded`].
    pub(crate) fn coded(code: &'static str, message: impl Into<String>) -> Error {
        Error::Coded {
            code,
            message: message.into(),
        }
    }

    /// Builds an [`Error::Internal`].
    pub(crate) fn internal(message: impl Into<String>) -> Error {
        Error::Internal {
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn error_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<super::Error>();
    }
}
