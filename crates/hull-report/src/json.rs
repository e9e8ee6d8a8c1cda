//! hull's own JSON: the [`Inventory`] as it is, inside a versioned envelope.
//!
//! Every field is documented in `docs/json-schema.md`. `schema_version` changes only
//! when a field is removed or changes meaning; new fields may appear at any time, so
//! readers must ignore fields they do not know.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use hull_model::Inventory;

use crate::{ReadError, WriteOptions};

/// The version of the document layout this crate writes.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Envelope {
    schema_version: u32,
    generator: Generator,
    #[serde(flatten)]
    inventory: Inventory,
}

#[derive(Serialize, Deserialize)]
struct Generator {
    name: String,
    version: String,
    created: String,
}

/// The hull JSON document for `inv` (packages in writer order).
pub fn to_value(inv: &Inventory, opts: &WriteOptions) -> Result<Value, serde_json::Error> {
    let mut inventory = inv.clone();
    crate::common::sort_packages(&mut inventory.packages);
    serde_json::to_value(Envelope {
        schema_version: SCHEMA_VERSION,
        generator: Generator {
            name: "hull".into(),
            version: opts.tool_version.clone(),
            created: opts.timestamp.clone(),
        },
        inventory,
    })
}

/// Read a hull JSON document already parsed as JSON.
pub fn from_value(value: Value) -> Result<Inventory, ReadError> {
    let version = value
        .get("schema_version")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    if version != u64::from(SCHEMA_VERSION) {
        return Err(ReadError::Version {
            format: "hull json",
            version: value
                .get("schema_version")
                .map(|v| v.to_string())
                .unwrap_or_default(),
        });
    }
    let env: Envelope = serde_json::from_value(value).map_err(|source| ReadError::Shape {
        format: "hull json",
        source,
    })?;
    Ok(env.inventory)
}
