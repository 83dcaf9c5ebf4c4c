//! Dimensions and their typed labels.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Metadata of one band: what `eo:bands` publishes and what readers need (nodata).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct BandInfo {
    /// Band name, the label used in processes (`B04`).
    pub name: String,
    /// STAC/EO common name (`red`), used to find bands by role.
    #[serde(default)]
    pub common_name: Option<String>,
    /// Centre wavelength in micrometres.
    #[serde(default)]
    pub wavelength: Option<f64>,
    /// The value that marks missing data in the source files (overrides the files' own tag).
    #[serde(default)]
    pub nodata: Option<f64>,
    /// Physical unit of the values.
    #[serde(default)]
    pub unit: Option<String>,
}

impl BandInfo {
    /// A band known only by its name.
    pub fn named(name: impl Into<String>) -> BandInfo {
        BandInfo {
            name: name.into(),
            ..BandInfo::default()
        }
    }
}

/// The kind of a dimension; spatial axes are not listed because every cube has exactly `y` and `x` last.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DimensionKind {
    /// A temporal dimension (labels are instants).
    Temporal,
    /// The bands dimension (labels are band names with metadata).
    Bands,
    /// Any other dimension (labels are strings).
    Other,
}

/// A label of a temporal dimension that stands for a period rather than an instant.
#[derive(Clone, Debug, PartialEq)]
pub struct Period {
    /// The label as users see it (`2022-06`).
    pub label: String,
    /// When the period starts.
    pub start: DateTime<Utc>,
}

/// The labels of a non-spatial dimension, typed by kind.
#[derive(Clone, Debug, PartialEq)]
pub enum Labels {
    /// Instants of a temporal dimension, ascending.
    Time(Vec<DateTime<Utc>>),
    /// Periods of a temporal dimension (`2022-06`, `2022-jja`, …) with the instants they start at, ascending.
    Periods(Vec<Period>),
    /// Bands, in cube order.
    Bands(Vec<BandInfo>),
    /// Free-form labels of another dimension.
    Other(Vec<String>),
}

impl Labels {
    /// Number of labels.
    pub fn len(&self) -> usize {
        match self {
            Labels::Time(v) => v.len(),
            Labels::Periods(v) => v.len(),
            Labels::Bands(v) => v.len(),
            Labels::Other(v) => v.len(),
        }
    }

    /// True when there are no labels.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The labels as strings (RFC 3339 for instants, names for bands).
    pub fn to_strings(&self) -> Vec<String> {
        match self {
            Labels::Time(v) => v
                .iter()
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .collect(),
            Labels::Periods(v) => v.iter().map(|p| p.label.clone()).collect(),
            Labels::Bands(v) => v.iter().map(|b| b.name.clone()).collect(),
            Labels::Other(v) => v.clone(),
        }
    }

    /// Keeps only the labels at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> Labels {
        fn pick<T: Clone>(v: &[T], idx: &[usize]) -> Vec<T> {
            idx.iter().filter_map(|&i| v.get(i).cloned()).collect()
        }
        match self {
            Labels::Time(v) => Labels::Time(pick(v, indices)),
            Labels::Periods(v) => Labels::Periods(pick(v, indices)),
            Labels::Bands(v) => Labels::Bands(pick(v, indices)),
            Labels::Other(v) => Labels::Other(pick(v, indices)),
        }
    }

    /// The instants of a temporal dimension (a period's start), `None` for other kinds.
    pub fn instants(&self) -> Option<Vec<DateTime<Utc>>> {
        match self {
            Labels::Time(v) => Some(v.clone()),
            Labels::Periods(v) => Some(v.iter().map(|p| p.start).collect()),
            _ => None,
        }
    }

    /// The kind of dimension these labels belong to.
    pub fn kind(&self) -> DimensionKind {
        match self {
            Labels::Time(_) | Labels::Periods(_) => DimensionKind::Temporal,
            Labels::Bands(_) => DimensionKind::Bands,
            Labels::Other(_) => DimensionKind::Other,
        }
    }
}

/// A named, non-spatial dimension with its labels.
#[derive(Clone, Debug, PartialEq)]
pub struct Dimension {
    name: String,
    labels: Labels,
}

impl Dimension {
    /// Creates a dimension.
    pub fn new(name: impl Into<String>, labels: Labels) -> Dimension {
        Dimension {
            name: name.into(),
            labels,
        }
    }

    /// The dimension's name as users see it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The dimension's labels.
    pub fn labels(&self) -> &Labels {
        &self.labels
    }

    /// The dimension's kind.
    pub fn kind(&self) -> DimensionKind {
        self.labels.kind()
    }

    /// Number of labels.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True when the dimension has no labels.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The same dimension with other labels.
    pub fn with_labels(&self, labels: Labels) -> Dimension {
        Dimension {
            name: self.name.clone(),
            labels,
        }
    }
}
