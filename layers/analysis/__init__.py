"""Analysis on areas and assets: data in, frames out, with the CRS and units stated."""
