//! tapctl's integration tests, in one binary (each test binary links the
//! whole crate and the AWS SDK, so they are modules here rather than files in
//! `tests/`).

#[cfg(feature = "aws")]
mod aws;
mod bad_input;
mod banking;
mod catalog;
mod cli;
mod common;
mod ec2_blue_green;
mod engine;
mod flagship;
mod ha_web;
mod migrate;
#[cfg(feature = "aws")]
mod moto;
mod multi_env;
mod new;
mod state;
mod yaml;
