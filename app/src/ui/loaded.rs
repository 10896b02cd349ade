//! Data a page loads while the server renders it, picked up by the browser as it hydrates:
//! resources whose rendered value is read back by the same JSON decoder that reads server
//! functions' answers and the live stream.
//!
//! Leptos's default resource codec reads its value with `serde_json::from_str`, and server
//! functions read their answers with `serde_json::from_slice`. The two readers are distinct
//! types, so the browser carried two decoders for every type that both a resource and a server
//! function bring (the map's, the boards', the chats', the game's): 30 and 26 of them in the
//! first module. Every resource here reads with `from_slice` too, so each type is decoded by
//! one function (docs/DESIGN.md, "What a first visit downloads").

use leptos::{
    prelude::*,
    server::codee::{Decoder, Encoder},
};
use serde::{de::DeserializeOwned, Serialize};
use std::{future::Future, pin::Pin};

use crate::error::AppError;

/// JSON, read as bytes (as server functions' answers are).
pub struct Json;

impl<T: Serialize> Encoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(value: &T) -> Result<String, Self::Error> {
        serde_json::to_string(value)
    }
}

impl<T: DeserializeOwned> Decoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(text: &str) -> Result<T, Self::Error> {
        read(text)
    }
}

/// Reads JSON text with the one reader the browser carries decoders for.
pub fn read<T: DeserializeOwned>(text: &str) -> Result<T, serde_json::Error> {
    serde_json::from_slice(text.as_bytes())
}

/// A resource whose value crosses from the server's render to the browser as [`Json`].
pub type Loaded<T> = Resource<T, Json>;

/// The head of the live feed when a fetch started, with its answer (`ui::live::use_snapshot`):
/// whatever the feed brings after that head is applied to the answer.
pub type Snapshot<T> = Loaded<(u64, Result<T, AppError>)>;

/// `Resource::new`, with the value read back as [`Json`].
///
/// The source and the fetch are boxed before the resource is made, so the browser carries
/// one copy of a resource's machinery per value and source type rather than one per place
/// that loads it (each closure is a type of its own, and the resource's code is generic over
/// both).
#[track_caller]
pub fn load<S, T, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetch: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Loaded<T>
where
    S: PartialEq + Clone + Send + Sync + 'static,
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    load_boxed(
        Box::new(source),
        Box::new(move |source| Box::pin(fetch(source))),
    )
}

type Fetch<S, T> = Box<dyn Fn(S) -> Pin<Box<dyn Future<Output = T> + Send>> + Send + Sync>;

#[track_caller]
fn load_boxed<S, T>(source: Box<dyn Fn() -> S + Send + Sync>, fetch: Fetch<S, T>) -> Loaded<T>
where
    S: PartialEq + Clone + Send + Sync + 'static,
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
{
    Resource::new_with_options(source, fetch, false)
}
