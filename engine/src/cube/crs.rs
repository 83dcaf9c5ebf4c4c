//! Coordinate reference systems, held as WKT plus the EPSG code when one is known.

use serde::{Deserialize, Serialize};

/// A coordinate reference system. Built by [`crate::crs_from_user`] or read from a raster.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Crs {
    wkt: String,
    epsg: Option<u32>,
}

impl Crs {
    /// Creates a CRS from its WKT and, when known, its EPSG code.
    pub fn new(wkt: String, epsg: Option<u32>) -> Crs {
        Crs { wkt, epsg }
    }

    /// The WKT definition.
    pub fn wkt(&self) -> &str {
        &self.wkt
    }

    /// The EPSG code, when the CRS has one.
    pub fn epsg(&self) -> Option<u32> {
        self.epsg
    }

    /// True when both describe the same CRS (same EPSG code, or identical WKT).
    pub fn same_as(&self, other: &Crs) -> bool {
        match (self.epsg, other.epsg) {
            (Some(a), Some(b)) => a == b,
            _ => self.wkt == other.wkt,
        }
    }

    /// A short name for messages and metadata: `EPSG:32632`, or the WKT.
    pub fn label(&self) -> String {
        match self.epsg {
            Some(code) => format!("EPSG:{code}"),
            None => self.wkt.clone(),
        }
    }
}
