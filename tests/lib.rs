//! End-to-end tests of openeo-local live in `it/`; this library is empty.
