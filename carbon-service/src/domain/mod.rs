pub mod summary;
pub mod usage;
pub mod usage_csv;
pub mod usage_query;
pub mod usage_type;
