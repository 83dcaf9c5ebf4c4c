//! Collections built at run time from a list of assets (what `load_stac` finds in STAC documents).

use chrono::{DateTime, Utc};

use super::scan::{collection_grid, headers};
use super::{Asset, Collection, Item};
use crate::io::gdal::{crs_from_user, transform_bbox};
use crate::{BandInfo, Error, Grid, Result};

/// One band of one file, found in a STAC item or asset.
#[derive(Clone, Debug)]
pub struct AssetRef {
    /// Key of the item the file belongs to (files of one item form one scene).
    pub item: String,
    /// Acquisition time, when the item has one.
    pub time: Option<DateTime<Utc>>,
    /// Index into the collection's bands.
    pub band: usize,
    /// Location of the file: a local path or an http(s) URL.
    pub path: String,
    /// 1-based band index in the file.
    pub file_band: usize,
    /// The file's grid when the STAC metadata gives it (`proj:*`): its header is then not read.
    pub grid: Option<Grid>,
    /// The band's nodata value from the STAC metadata (`raster:bands`); with `grid` set, the file's own tag is
    /// not consulted.
    pub nodata: Option<f64>,
}

impl Collection {
    /// Builds a collection from assets: headers are read where the references give no grid (in parallel, over range
    /// requests for remote files), the grid is the first asset's, and items without time make a collection without
    /// temporal dimension.
    ///
    /// # Errors
    /// [`Error::NoDataAvailable`] without assets; GDAL errors reading the headers.
    pub fn from_assets(id: &str, bands: Vec<BandInfo>, refs: Vec<AssetRef>) -> Result<Collection> {
        if refs.is_empty() {
            return Err(Error::NoDataAvailable {
                reason: format!("{id} lists no raster assets"),
            });
        }
        let timeless = refs.iter().all(|r| r.time.is_none());
        let mut paths: Vec<String> = refs
            .iter()
            .filter(|r| r.grid.is_none())
            .map(|r| r.path.clone())
            .collect();
        paths.sort();
        paths.dedup();
        let infos = headers(&paths)?;
        let mut items: Vec<(String, Item)> = Vec::new();
        for r in refs {
            let (grid, file_nodata) = match &r.grid {
                Some(g) => (g.clone(), r.nodata),
                None => {
                    let info = paths
                        .iter()
                        .position(|p| *p == r.path)
                        .and_then(|i| infos.get(i))
                        .ok_or_else(|| Error::internal("header missing"))?;
                    let tagged = info.nodata.get(r.file_band - 1).copied().flatten();
                    (info.grid.clone(), r.nodata.or(tagged))
                }
            };
            let nodata = bands.get(r.band).and_then(|b| b.nodata).or(file_nodata);
            let asset = Asset {
                path: r.path.clone(),
                band: r.file_band,
                grid,
                nodata,
                synthetic: None,
            };
            let time = r.time.unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
            match items.iter_mut().find(|(k, i)| *k == r.item && i.time == time) {
                Some((_, item)) => item.assets[r.band] = Some(asset),
                None => {
                    let mut assets = vec![None; bands.len()];
                    if let Some(slot) = assets.get_mut(r.band) {
                        *slot = Some(asset);
                    }
                    items.push((r.item.clone(), Item { time, assets }));
                }
            }
        }
        let mut items: Vec<Item> = items.into_iter().map(|(_, i)| i).collect();
        items.sort_by_key(|i| i.time);
        let grid = collection_grid(None, None, &items)?;
        let extent_wgs84 = transform_bbox(&grid.bounds(), &grid.crs, &crs_from_user("EPSG:4326")?)?;
        Ok(Collection {
            id: id.to_string(),
            title: id.to_string(),
            description: format!("Assets of {id}"),
            license: "proprietary".into(),
            keywords: Vec::new(),
            attribution: Vec::new(),
            bands,
            grid,
            items,
            extent_wgs84,
            properties: Vec::new(),
            timeless,
        })
    }
}
