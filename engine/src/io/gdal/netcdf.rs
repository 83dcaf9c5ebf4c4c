//! The structure of CF netCDF-4 output, made through GDAL's multidimensional API: the coordinates of up to two
//! dimensions besides bands (a CF time axis for instants, strings for other labels), `y`, `x`, one chunked compressed Float32 variable per band with `_FillValue` NaN and a grid-mapping variable, so
//! GDAL and xarray read the CRS back. The file is closed with no data written; [`crate::io::netcdf_sink`] writes
//! the tiles into it.

use std::ffi::{CString, c_void};
use std::path::{Path, PathBuf};
use std::ptr;

use chrono::Timelike;
use gdal::DriverManager;
use gdal_sys::{GDALDataType, GDALDatasetH, GDALDimensionH, GDALExtendedDataTypeH, GDALGroupH, GDALMDArrayH};

use super::gtiff::temp_name;
use super::srs_of;
use crate::{CubeMeta, DimensionKind, Error, Result};

/// A netCDF file created with its coordinates and empty variables, and how blocks map onto its variables.
#[derive(Debug)]
pub(crate) struct NetcdfLayout {
    /// The file, under its temporary name.
    pub(crate) temp: PathBuf,
    /// The final name.
    pub(crate) target: PathBuf,
    /// Variable names, in band order.
    pub(crate) vars: Vec<String>,
    /// Variables hold UInt16 with fill value 0 instead of Float32 with NaN.
    pub(crate) uint16: bool,
    /// The zlib level the variables are compressed with (with shuffle), or `None` for uncompressed variables.
    pub(crate) deflate: Option<u8>,
    /// Lengths of the dimensions besides bands, y and x, in cube order (each variable's leading dimensions).
    pub(crate) outer: Vec<usize>,
    /// Lengths of the cube's non-spatial axes (the block layout) and which of them is bands, if any.
    pub(crate) block_axes: Vec<usize>,
    /// The bands axis among `block_axes`.
    pub(crate) band_axis: Option<usize>,
    /// Rows and columns of one chunk.
    pub(crate) chunk: (usize, usize),
}

/// Every GDAL object created for the file, released in reverse order before the dataset is closed.
pub(super) struct Handles {
    dataset: GDALDatasetH,
    group: GDALGroupH,
    dims: Vec<GDALDimensionH>,
    arrays: Vec<GDALMDArrayH>,
    pub(super) float32: GDALExtendedDataTypeH,
    float64: GDALExtendedDataTypeH,
    string: GDALExtendedDataTypeH,
    uint16: GDALExtendedDataTypeH,
}

impl Drop for Handles {
    fn drop(&mut self) {
        // SAFETY: each handle was returned non-null by GDAL, is released exactly once here, and the dataset is
        // closed last, after every object that belongs to it.
        unsafe {
            for a in self.arrays.drain(..) {
                gdal_sys::GDALMDArrayRelease(a);
            }
            for d in self.dims.drain(..) {
                gdal_sys::GDALDimensionRelease(d);
            }
            for t in [self.float32, self.float64, self.string, self.uint16] {
                if !t.is_null() {
                    gdal_sys::GDALExtendedDataTypeRelease(t);
                }
            }
            if !self.group.is_null() {
                gdal_sys::GDALGroupRelease(self.group);
            }
            if !self.dataset.is_null() {
                gdal_sys::GDALClose(self.dataset);
            }
        }
    }
}

pub(super) fn cstr(s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::invalid(format!("'{s}' contains a NUL byte")))
}

fn non_null<T>(p: *mut T, what: &str) -> Result<*mut T> {
    if p.is_null() {
        Err(Error::internal(format!("GDAL failed to {what} (netCDF writer)")))
    } else {
        Ok(p)
    }
}

impl Handles {
    pub(super) fn dimension(&mut self, name: &str, kind: &str, direction: &str, size: usize) -> Result<GDALDimensionH> {
        let (n, k, d) = (cstr(name)?, cstr(kind)?, cstr(direction)?);
        // SAFETY: the group is valid and the strings outlive the call.
        let h = unsafe {
            gdal_sys::GDALGroupCreateDimension(
                self.group,
                n.as_ptr(),
                k.as_ptr(),
                d.as_ptr(),
                size as u64,
                ptr::null_mut(),
            )
        };
        let h = non_null(h, &format!("create dimension {name}"))?;
        self.dims.push(h);
        Ok(h)
    }

    pub(super) fn array(
        &mut self,
        name: &str,
        dims: &[GDALDimensionH],
        dtype: GDALExtendedDataTypeH,
        options: &[String],
    ) -> Result<GDALMDArrayH> {
        let n = cstr(name)?;
        let opts: gdal::cpl::CslStringList = options.iter().cloned().collect();
        let mut dims = dims.to_vec();
        // SAFETY: the group, dimensions and data type are valid handles; GDAL copies what it keeps.
        let h = unsafe {
            gdal_sys::GDALGroupCreateMDArray(
                self.group,
                n.as_ptr(),
                dims.len(),
                dims.as_mut_ptr(),
                dtype,
                opts.as_ptr(),
            )
        };
        let h = non_null(h, &format!("create variable {name}"))?;
        self.arrays.push(h);
        Ok(h)
    }

    pub(super) fn text_attribute(&self, array: Option<GDALMDArrayH>, name: &str, value: &str) -> Result<()> {
        let (n, v) = (cstr(name)?, cstr(value)?);
        // SAFETY: valid group/array and data type handles; the attribute handle is released right after writing.
        unsafe {
            let attr = match array {
                Some(a) => {
                    gdal_sys::GDALMDArrayCreateAttribute(a, n.as_ptr(), 0, ptr::null(), self.string, ptr::null_mut())
                }
                None => gdal_sys::GDALGroupCreateAttribute(
                    self.group,
                    n.as_ptr(),
                    0,
                    ptr::null(),
                    self.string,
                    ptr::null_mut(),
                ),
            };
            let attr = non_null(attr, &format!("create attribute {name}"))?;
            let ok = gdal_sys::GDALAttributeWriteString(attr, v.as_ptr());
            gdal_sys::GDALAttributeRelease(attr);
            if ok == 0 {
                return Err(Error::internal(format!("GDAL failed to write attribute {name}")));
            }
        }
        Ok(())
    }

    pub(super) fn write(
        &self,
        array: GDALMDArrayH,
        dtype: GDALExtendedDataTypeH,
        start: &[u64],
        count: &[usize],
        data: *const c_void,
    ) -> Result<()> {
        // SAFETY: `data` points to at least product(count) contiguous values of `dtype` in row-major order, as the
        // callers guarantee; start/count have one entry per array dimension.
        let ok = unsafe {
            gdal_sys::GDALMDArrayWrite(
                array,
                start.as_ptr(),
                count.as_ptr(),
                ptr::null(),
                ptr::null(),
                dtype,
                data,
                ptr::null(),
                0,
            )
        };
        if ok == 0 {
            Err(Error::internal("GDAL failed to write netCDF data"))
        } else {
            Ok(())
        }
    }
}

impl Handles {
    /// A new netCDF-4 file with its root group and the data types the writer uses.
    pub(super) fn create(path: &Path) -> Result<Handles> {
        super::silence_hdf5_errors();
        let driver = DriverManager::get_driver_by_name("netCDF").map_err(Error::gdal("loading the netCDF driver"))?;
        let name = cstr(&path.to_string_lossy())?;
        let opts: gdal::cpl::CslStringList = ["FORMAT=NC4"].into_iter().collect();
        // SAFETY: driver handle and strings are valid for the call; a null result is checked below.
        let dataset = unsafe {
            gdal_sys::GDALCreateMultiDimensional(driver.c_driver(), name.as_ptr(), ptr::null_mut(), opts.as_ptr())
        };
        let mut h = Handles {
            dataset,
            group: ptr::null_mut(),
            dims: Vec::new(),
            arrays: Vec::new(),
            float32: ptr::null_mut(),
            float64: ptr::null_mut(),
            string: ptr::null_mut(),
            uint16: ptr::null_mut(),
        };
        non_null(dataset, &format!("create {}", path.display()))?;
        // SAFETY: dataset is valid; the returned handles are owned by `h` and released in its Drop.
        unsafe {
            h.group = non_null(gdal_sys::GDALDatasetGetRootGroup(dataset), "open the root group")?;
            let t = |ty| non_null(gdal_sys::GDALExtendedDataTypeCreate(ty), "create a data type");
            h.float32 = t(GDALDataType::GDT_Float32)?;
            h.float64 = t(GDALDataType::GDT_Float64)?;
            h.uint16 = t(GDALDataType::GDT_UInt16)?;
            h.string = non_null(gdal_sys::GDALExtendedDataTypeCreateString(0), "create a data type")?;
        }
        h.text_attribute(None, "Conventions", "CF-1.9")?;
        h.text_attribute(None, "source", "openeo-local")?;
        Ok(h)
    }

    /// A temporal dimension and its CF coordinate variable.
    fn time_coordinate(&mut self, name: &str, times: &[chrono::DateTime<chrono::Utc>]) -> Result<GDALDimensionH> {
        let d = self.dimension(name, "TEMPORAL", "", times.len())?;
        // The netCDF driver links a coordinate variable to the dimension of the same name.
        let arr = self.array(name, &[d], self.float64, &[])?;
        let (units, values) = time_encoding(times);
        for (k, v) in [
            ("standard_name", "time"),
            ("long_name", "time"),
            ("axis", "T"),
            ("units", units),
            ("calendar", "standard"),
        ] {
            self.text_attribute(Some(arr), k, v)?;
        }
        self.write(arr, self.float64, &[0], &[values.len()], values.as_ptr().cast())?;
        Ok(d)
    }

    /// The netCDF dimension of a cube dimension with its coordinate variable: a CF time axis for instants, strings
    /// for any other labels.
    pub(super) fn coordinate_of(&mut self, d: &crate::Dimension) -> Result<GDALDimensionH> {
        let temporal = d.kind() == DimensionKind::Temporal;
        match d.labels().instants() {
            Some(times) if temporal => self.time_coordinate(d.name(), &times),
            _ => self.label_coordinate(d.name(), temporal, &d.labels().to_strings()),
        }
    }

    /// A dimension whose labels are text (periods, renamed dates, other dimensions), with a string coordinate
    /// variable.
    pub(super) fn label_coordinate(&mut self, name: &str, temporal: bool, labels: &[String]) -> Result<GDALDimensionH> {
        let kind = if temporal { "TEMPORAL" } else { "" };
        let d = self.dimension(name, kind, "", labels.len())?;
        let arr = self.array(name, &[d], self.string, &[])?;
        self.text_attribute(Some(arr), "long_name", name)?;
        let texts = labels.iter().map(|l| cstr(l)).collect::<Result<Vec<_>>>()?;
        let pointers: Vec<*const std::ffi::c_char> = texts.iter().map(|t| t.as_ptr()).collect();
        self.write(arr, self.string, &[0], &[pointers.len()], pointers.as_ptr().cast())?;
        Ok(d)
    }

    /// The `y` and `x` dimensions with pixel-centre coordinates (degrees for EPSG:4326, metres otherwise).
    fn spatial_coordinates(&mut self, grid: &crate::Grid) -> Result<[GDALDimensionH; 2]> {
        let geographic = grid.crs.epsg() == Some(4326);
        let ys: Vec<f64> = (0..grid.height).map(|j| grid.y_center(j)).collect();
        let xs: Vec<f64> = (0..grid.width).map(|i| grid.x_center(i)).collect();
        let (ny, uy) = if geographic {
            ("latitude", "degrees_north")
        } else {
            ("projection_y_coordinate", "m")
        };
        let (nx, ux) = if geographic {
            ("longitude", "degrees_east")
        } else {
            ("projection_x_coordinate", "m")
        };
        let mut out = Vec::new();
        for (name, kind, values, std_name, units, axis) in [
            ("y", "HORIZONTAL_Y", ys, ny, uy, "Y"),
            ("x", "HORIZONTAL_X", xs, nx, ux, "X"),
        ] {
            let d = self.dimension(name, kind, "", values.len())?;
            let arr = self.array(name, &[d], self.float64, &[])?;
            for (k, v) in [("standard_name", std_name), ("units", units), ("axis", axis)] {
                self.text_attribute(Some(arr), k, v)?;
            }
            self.write(arr, self.float64, &[0], &[values.len()], values.as_ptr().cast())?;
            out.push(d);
        }
        Ok([out[0], out[1]])
    }

    /// One chunked variable per band with fill value and grid mapping; `options` are GDAL's creation options
    /// (chunk size, compression).
    fn variables(
        &mut self,
        bands: &[String],
        dims: &[GDALDimensionH],
        grid: &crate::Grid,
        uint16: bool,
        options: &[String],
    ) -> Result<()> {
        let srs = srs_of(&grid.crs)?;
        for band in bands {
            let dtype = if uint16 { self.uint16 } else { self.float32 };
            let arr = self.array(&var_name(band), dims, dtype, options)?;
            // SAFETY: valid array and SRS handles; GDAL copies the SRS.
            unsafe {
                gdal_sys::GDALMDArraySetNoDataValueAsDouble(arr, if uint16 { 0.0 } else { f64::NAN });
                gdal_sys::GDALMDArraySetSpatialRef(arr, srs.to_c_hsrs());
            }
            self.text_attribute(Some(arr), "long_name", band)?;
        }
        Ok(())
    }
}

/// CF units for the time axis: whole days when every instant is at midnight, seconds otherwise.
fn time_encoding(times: &[chrono::DateTime<chrono::Utc>]) -> (&'static str, Vec<f64>) {
    let midnight = times
        .iter()
        .all(|t| t.num_seconds_from_midnight() == 0 && t.timestamp_subsec_nanos() == 0);
    if midnight {
        (
            "days since 1970-01-01 00:00:00",
            times.iter().map(|t| t.timestamp() as f64 / 86400.0).collect(),
        )
    } else {
        (
            "seconds since 1970-01-01 00:00:00",
            times.iter().map(|t| t.timestamp_millis() as f64 / 1000.0).collect(),
        )
    }
}

/// A valid netCDF variable name for a band label: letters, digits and underscores (netCDF-4 names may start with
/// a digit, so bands named `0`, `1`, … keep their names).
fn var_name(label: &str) -> String {
    let s: String = label
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' })
        .collect();
    if s.is_empty() { "v_".into() } else { s }
}

/// Creates the file `path` (under a temporary name) with coordinates, empty variables and grid mapping for `meta`,
/// and closes it.
///
/// # Errors
/// [`Error::Unsupported`] for cubes with more than two dimensions besides bands, y and x; GDAL failing to create
/// the file.
pub(crate) fn create_netcdf(meta: &CubeMeta, path: &Path, uint16: bool, deflate: Option<u8>) -> Result<NetcdfLayout> {
    let dims = meta.dims();
    let band_axis = meta.axes_of_kind(DimensionKind::Bands).first().copied();
    // the dimensions besides bands: time (CF time coordinate) or labels (string coordinate)
    let outer: Vec<usize> = (0..dims.len()).filter(|&a| Some(a) != band_axis).collect();
    if outer.len() > 2 || meta.axes_of_kind(DimensionKind::Bands).len() > 1 {
        return Err(Error::Unsupported {
            message: format!(
                "netCDF output of the dimensions {}: besides bands, y and x it holds two dimensions",
                meta.dimension_names().join(", ")
            ),
        });
    }
    let bands: Vec<String> = band_axis
        .map(|a| dims[a].labels().to_strings())
        .unwrap_or_else(|| vec!["var".into()]);
    let target = path.to_path_buf();
    let temp = temp_name(&target);
    let grid = meta.grid();
    let chunk = (grid.height.min(512), grid.width.min(512));
    let mut h = Handles::create(&temp)?;
    let mut var_dims = Vec::new();
    for &a in &outer {
        var_dims.push(h.coordinate_of(&dims[a])?);
    }
    var_dims.extend(h.spatial_coordinates(grid)?);
    let mut options = vec![format!("BLOCKSIZE={}{},{}", "1,".repeat(outer.len()), chunk.0, chunk.1)];
    if let Some(level) = deflate {
        options.extend(["COMPRESS=DEFLATE".into(), format!("ZLEVEL={level}")]);
    }
    h.variables(&bands, &var_dims, grid, uint16, &options)?;
    drop(h);
    Ok(NetcdfLayout {
        temp,
        target,
        vars: bands.iter().map(|b| var_name(b)).collect(),
        uint16,
        deflate,
        outer: outer.iter().map(|&a| dims[a].len()).collect(),
        block_axes: dims.iter().map(crate::Dimension::len).collect(),
        band_axis,
        chunk,
    })
}
