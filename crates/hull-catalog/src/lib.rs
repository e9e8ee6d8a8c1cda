//! Analyzers: one small module per file format, listed in one explicit table, that turn
//! the files of an image into an [`hull_model::Inventory`].
