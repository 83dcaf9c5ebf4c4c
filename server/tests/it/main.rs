//! HTTP API tests against real `openeo-local serve` processes on 127.0.0.1 (started and killed by the tests), and
//! against the router built in-process.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api;
mod federation;
mod fixture;
mod hardening;
mod inprocess;
mod jobs;
mod outbound;
mod server;
mod synthetic;
